"""Issues 24, 23 and 25 in the browser, in Polish: the "Integracje" screen (an API token shown once, used, then
revoked; a webhook pointing at a local receiver, its secret shown once, a test delivery seen DELIVERED in the
delivery log and sent again), a manager without that screen, the activity log filtered by who did it, and the
receipts list's total of its filter. axe-core finds nothing on the new screens at 1366x768 and 390x844."""
import re
import threading
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import PASSWORD, Api, login_ui, receipt
from tests.e2e.test_issue25_spa import NBSP, PHONE, polish
from tests.helpers import serve_posts


def signup_warsaw(api: Api, business: str) -> dict:
    email = f"wlasciciel-{uuid.uuid4().hex[:8]}@example.com"
    status, body = api.call("POST", "/v1/signup", {"business_name": business, "email": email, "password": PASSWORD,
                                                   "currency": "PLN", "time_zone": "Europe/Warsaw"})
    assert status == 201, body
    return {"email": email, "token": body["token"], "store": body["store"], "employee": body["employee"]}


def manager(api: Api, owner_token: str, name: str, store_ids: list[str]) -> dict:
    """A MANAGER with a back-office password (invited, the invitation accepted through the API)."""
    email = f"kierownik-{uuid.uuid4().hex[:8]}@example.com"
    employee = api.ok("POST", "/v1/employees", {"name": name, "role": "MANAGER", "email": email,
                                                "store_ids": store_ids}, token=owner_token, status=201)
    invitation = api.ok("POST", f"/v1/employees/{employee['id']}/invitation", token=owner_token, status=201)
    session = api.ok("POST", "/v1/invitations/accept", {"token": invitation["token"], "password": PASSWORD})
    return {"email": email, "id": employee["id"], "token": session["token"]}


def scan(page: Page, where: str) -> None:
    """axe-core at the desktop size and on a phone, then back to the desktop."""
    assert axe_violations(page, f"{where} desktop") == []
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    assert axe_violations(page, f"{where} phone") == []
    page.set_viewport_size(size)


def money_minor(text: str) -> int:
    """'1 234,56 zł' -> 123456."""
    digits = re.sub(r"[^0-9,-]", "", text.replace(NBSP, ""))
    whole, cents = digits.split(",")
    return int(whole) * 100 + int(cents)


def test_owner_manages_api_tokens_in_polish(browser, server, api: Api):
    owner = signup_warsaw(api, "Kawiarnia Tokeny")
    with polish(browser, server, name="tokens") as page:
        login_ui(page, owner["email"])
        page.get_by_test_id("nav-integrations").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Integracje")
        expect(page.get_by_test_id("tokens")).to_contain_text("Nie ma jeszcze tokenów API.")
        scan(page, "integrations, empty")

        # A name is required (checked before any request), in Polish.
        page.get_by_test_id("create-token").click()
        dialog = page.get_by_test_id("token-dialog")
        dialog.get_by_test_id("token-dialog-save").click()
        expect(dialog.get_by_test_id("error-name")).to_be_visible()
        dialog.get_by_test_id("token-name-input").fill("Księgowość")
        dialog.get_by_label("Dostęp").select_option("READ")
        dialog.get_by_label(owner["store"]["name"]).check()
        scan(page, "token dialog")
        dialog.get_by_test_id("token-dialog-save").click()

        # Shown once, with a copy button and the warning.
        shown = page.get_by_test_id("token-secret-dialog")
        expect(shown).to_be_visible()
        expect(shown.get_by_test_id("secret-once")).to_contain_text("Nie zobaczysz go ponownie")
        expect(shown.get_by_test_id("copy-secret")).to_have_text("Kopiuj")
        token = shown.get_by_test_id("secret-value").input_value()
        assert token.startswith("pos_at_"), token
        scan(page, "token shown once")
        shown.get_by_test_id("secret-done").click()
        expect(shown).to_have_count(0)

        row = page.get_by_test_id("token-row").filter(has_text="Księgowość")
        expect(row.get_by_test_id("token-access")).to_have_text("Tylko odczyt")
        expect(row).to_contain_text(owner["store"]["name"])
        expect(row.get_by_test_id("token-last-used")).to_have_text("Nigdy")
        assert token not in page.content()  # listed without the token

        # Used by a program: the list then shows when.
        status, body = api.call("GET", "/v1/pos_devices", token=token)
        assert status == 200, body
        page.reload()
        expect(row.get_by_test_id("token-last-used")).to_have_text(re.compile(r"^\d\d\.\d\d\.\d{4}, \d\d:\d\d$"))

        # Revoked after a confirmation: it stops working at once.
        row.get_by_test_id("revoke-token").click()
        confirm = page.get_by_test_id("confirm-dialog")
        expect(confirm).to_contain_text("Księgowość")
        scan(page, "revoke token")
        confirm.get_by_test_id("confirm-revoke-token").click()
        expect(page.get_by_test_id("token-row")).to_have_count(0)
        status, body = api.call("GET", "/v1/pos_devices", token=token)
        assert status == 401, body


def test_owner_webhook_test_delivery_log_and_resend_in_polish(browser, server, api: Api):
    owner = signup_warsaw(api, "Kawiarnia Webhook")
    received = []
    arrived = threading.Event()

    def answer(path, headers, body):
        received.append((path, headers.get("POS-Event-Type")))
        arrived.set()
        return 204

    receiver = serve_posts(answer)
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks/pos"
    try:
        with polish(browser, server, name="webhooks") as page:
            login_ui(page, owner["email"])
            page.goto("#/integrations")
            expect(page.get_by_test_id("webhooks")).to_contain_text("Nie ma jeszcze webhooków.")
            page.get_by_test_id("create-webhook").click()
            dialog = page.get_by_test_id("webhook-dialog")
            # No event chosen: said on the field, nothing sent.
            dialog.get_by_test_id("webhook-url-input").fill(url)
            dialog.get_by_test_id("webhook-dialog-save").click()
            expect(dialog.get_by_test_id("error-event_types")).to_have_text("Wybierz co najmniej jedno zdarzenie.")
            dialog.get_by_label("Test (webhook.test)").check()
            dialog.get_by_label("Utworzono POS (pos_device.created)").check()
            # The server's refusal shows on the URL field, in Polish.
            dialog.get_by_test_id("webhook-url-input").fill(url.replace("http://", "http://ala:kot@"))
            dialog.get_by_test_id("webhook-dialog-save").click()
            expect(dialog.get_by_test_id("error-url")).to_contain_text("nie może zawierać nazwy użytkownika")
            scan(page, "webhook dialog with errors")
            dialog.get_by_test_id("webhook-url-input").fill(url)
            dialog.get_by_test_id("webhook-dialog-save").click()

            shown = page.get_by_test_id("webhook-secret-dialog")
            expect(shown.get_by_test_id("secret-once")).to_contain_text("Nie zobaczysz go ponownie")
            assert shown.get_by_test_id("secret-value").input_value().startswith("whsec_")
            shown.get_by_test_id("secret-done").click()

            row = page.get_by_test_id("webhook-row")
            expect(row).to_have_count(1)
            expect(row.get_by_test_id("webhook-url")).to_have_text(url)
            expect(row.get_by_test_id("webhook-events")).to_have_text("Utworzono POS, Test")
            expect(row.get_by_test_id("webhook-enabled")).to_have_text("Tak")
            scan(page, "integrations with a webhook")

            # A test delivery: DELIVERED in the log, after the receiver got it.
            row.get_by_test_id("test-webhook").click()
            expect(page.get_by_test_id("toast").first).to_contain_text("Test czeka na wysłanie")
            assert arrived.wait(30), "the test delivery never arrived"
            assert received == [("/hooks/pos", "webhook.test")]
            row.get_by_test_id("webhook-deliveries").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Dziennik wysyłek")
            expect(page.get_by_test_id("deliveries-url")).to_have_text(url)
            expect(page.get_by_test_id("deliveries-page")).not_to_contain_text("null")
            delivery = page.get_by_test_id("delivery-row")
            expect(delivery).to_have_count(1)
            expect(delivery.get_by_test_id("delivery-status")).to_have_text("Doręczono", timeout=20_000)
            expect(delivery.get_by_test_id("delivery-event")).to_have_text("Test")
            expect(delivery.get_by_test_id("delivery-attempts")).to_have_text("1")
            expect(delivery.get_by_test_id("delivery-answer")).to_have_text("HTTP 204")
            scan(page, "delivery log")

            # Sent again: the receiver gets it a second time, and it is DELIVERED again.
            arrived.clear()
            delivery.get_by_test_id("resend-delivery").click()
            expect(page.get_by_test_id("toast").last).to_contain_text("ponownie czeka")
            assert arrived.wait(30), "the re-sent delivery never arrived"
            assert received == [("/hooks/pos", "webhook.test")] * 2
            expect(delivery.get_by_test_id("delivery-status")).to_have_text("Doręczono", timeout=20_000)
            expect(delivery.get_by_test_id("delivery-attempts")).to_have_text("2")

            # More than a page of deliveries: 50 on the first, the oldest on the next (the API's cursor).
            hook_id = api.ok("GET", "/v1/webhooks", token=owner["token"])["webhooks"][0]["id"]
            for _ in range(50):
                api.ok("POST", f"/v1/webhooks/{hook_id}/test", token=owner["token"], status=202)
            page.get_by_test_id("refresh-deliveries").click()
            expect(page.get_by_test_id("delivery-row")).to_have_count(50)
            page.get_by_test_id("next-page").click()
            expect(page.get_by_test_id("delivery-row")).to_have_count(1)
            expect(delivery.get_by_test_id("delivery-attempts")).to_have_text("2")  # the first one, re-sent
            page.get_by_test_id("prev-page").click()
            expect(page.get_by_test_id("delivery-row")).to_have_count(50)

            # Edit: turned off (PATCH), the list says so.
            page.get_by_test_id("back-to-integrations").click()
            page.get_by_test_id("webhook-row").get_by_test_id("edit-webhook").click()
            dialog = page.get_by_test_id("webhook-dialog")
            expect(dialog.get_by_test_id("webhook-url-input")).to_have_value(url)
            expect(dialog.get_by_label("Test (webhook.test)")).to_be_checked()
            dialog.get_by_test_id("webhook-enabled-input").uncheck()
            dialog.get_by_test_id("webhook-dialog-save").click()
            expect(page.get_by_test_id("webhook-row").get_by_test_id("webhook-enabled")).to_have_text("Nie")
            listed = api.ok("GET", "/v1/webhooks", token=owner["token"])["webhooks"]
            assert [(w["url"], w["enabled"]) for w in listed] == [(url, False)]

            # Deleted after a confirmation.
            page.get_by_test_id("webhook-row").get_by_test_id("delete-webhook").click()
            page.get_by_test_id("confirm-delete-webhook").click()
            expect(page.get_by_test_id("webhook-row")).to_have_count(0)
            assert api.ok("GET", "/v1/webhooks", token=owner["token"])["webhooks"] == []
    finally:
        receiver.shutdown()


def test_manager_has_no_integrations_and_the_activity_log_filters_by_actor(browser, server, api: Api):
    owner = signup_warsaw(api, "Kawiarnia Kto")
    store = owner["store"]
    other = api.create_store(owner["token"], "Przystań")
    ewa = manager(api, owner["token"], "Ewa Kierownik", [store["id"]])
    # Done by the manager: two POS in their store; by the owner: one in the other store.
    for name in ("Kasa Ewy 1", "Kasa Ewy 2"):
        api.ok("POST", "/v1/pos_devices", {"name": name, "store_id": store["id"]}, token=ewa["token"], status=201)
    api.create_device(owner["token"], "Kasa właściciela", other["id"])
    # More than a page (50) of the manager's events, so that the filter has to survive paging.
    till = api.ok("GET", f"/v1/pos_devices?store_id={store['id']}", token=ewa["token"])["pos_devices"][0]
    for n in range(50):
        api.ok("PATCH", f"/v1/pos_devices/{till['id']}", {"name": f"Kasa Ewy {n + 3}"}, token=ewa["token"], status=200)
    ewas = api.ok("GET", f"/v1/events?actor_id={ewa['id']}&limit=250", token=owner["token"])["events"]
    assert len(ewas) > 52 and all(e["actor"]["id"] == ewa["id"] for e in ewas), ewas

    with polish(browser, server, name="actor-filter") as page:
        login_ui(page, owner["email"])
        page.goto("#/events")
        expect(page.get_by_test_id("event-row")).to_have_count(50)
        page.get_by_label("Kto").select_option(label="Ewa Kierownik")
        expect(page.get_by_test_id("event-row")).to_have_count(50)
        expect(page.get_by_test_id("event-row").first).to_contain_text("Kasa Ewy 52")
        assert f"actor_id={ewa['id']}" in page.url
        scan(page, "activity log filtered by actor")
        # The next page keeps the filter: the rest of the manager's events, none of the owner's.
        page.get_by_test_id("next-page").click()
        expect(page.get_by_test_id("event-row")).to_have_count(len(ewas) - 50)
        for row in page.get_by_test_id("event-row").all():
            expect(row).to_contain_text("Ewa Kierownik")
        expect(page.get_by_test_id("events-table")).not_to_contain_text("Kasa właściciela")
        assert f"actor_id={ewa['id']}" in page.url
        # The filter is in the address: a reload keeps it (from the first page).
        page.reload()
        expect(page.get_by_label("Kto")).to_have_value(ewa["id"])
        expect(page.get_by_test_id("event-row")).to_have_count(50)
        page.get_by_label("Kto").select_option("")
        expect(page.get_by_test_id("event-row")).to_have_count(50)
        assert "actor_id" not in page.url
        page.get_by_test_id("next-page").click()
        expect(page.get_by_test_id("events-table")).to_contain_text("Kasa właściciela")

    with polish(browser, server, name="manager-no-integrations") as page:
        login_ui(page, ewa["email"])
        expect(page.get_by_test_id("nav-events")).to_be_visible()
        expect(page.get_by_test_id("nav-integrations")).to_have_count(0)
        # Typed in by hand: the server refuses, the page says so.
        page.goto("#/integrations")
        expect(page.get_by_test_id("error-alert").first).to_be_visible()
        expect(page.get_by_test_id("token-row")).to_have_count(0)
        expect(page.get_by_test_id("create-token")).to_have_count(0)
        expect(page.get_by_test_id("create-webhook")).to_have_count(0)
        # A manager picks from employees too (no API tokens to list), within their stores' events.
        in_scope = api.ok("GET", f"/v1/events?actor_id={ewa['id']}&limit=250", token=ewa["token"])["events"]
        assert 52 <= len(in_scope) <= len(ewas), in_scope
        page.goto("#/events")
        page.get_by_label("Kto").select_option(label="Ewa Kierownik")
        expect(page.get_by_test_id("event-row")).to_have_count(50)
        page.get_by_test_id("next-page").click()
        expect(page.get_by_test_id("event-row")).to_have_count(len(in_scope) - 50)
    status, body = api.call("GET", "/v1/api_tokens", token=ewa["token"])
    assert status == 403, body


def test_receipts_total_is_the_sum_of_the_filtered_receipts(browser, server, api: Api):
    owner = signup_warsaw(api, "Kawiarnia Suma")
    token, store = owner["token"], owner["store"]
    other = api.create_store(token, "Przystań")
    ewa = manager(api, token, "Ewa Suma", [store["id"]])
    api.create_device(token, "Kasa 1", store["id"])
    api.create_device(token, "Kasa 2", other["id"])
    one = api.activate(owner["email"], PASSWORD, "Kasa 1")
    two = api.activate(owner["email"], PASSWORD, "Kasa 2")
    n1, n2 = one["device"]["number"], two["device"]["number"]
    # 10 and 11 November in Warsaw (UTC+1): 9 November 23:30 UTC is already the 10th there, 22:30 UTC is not.
    api.sync(one["device_token"], {"state": {"last_receipt_number": 4, "open_tickets": 0, "shift_open": False},
                                   "receipts": [receipt(n1, 1, 123456, ewa["id"], created_at="2026-11-09T23:30:00Z"),
                                                receipt(n1, 2, 700, created_at="2026-11-10T12:00:00Z"),
                                                receipt(n1, 3, 250, ewa["id"], created_at="2026-11-11T12:00:00Z"),
                                                receipt(n1, 4, 999, created_at="2026-11-20T12:00:00Z")]})
    api.sync(two["device_token"], {"state": {"last_receipt_number": 2, "open_tickets": 0, "shift_open": False},
                                   "receipts": [receipt(n2, 1, 5000, created_at="2026-11-10T08:00:00Z"),
                                                receipt(n2, 2, 10, created_at="2026-11-09T22:30:00Z")]})

    def listed_sum(page: Page) -> tuple[int, int]:
        totals = page.get_by_test_id("receipt-total").all_inner_texts()
        return len(totals), sum(money_minor(x) for x in totals)

    def check_total(page: Page, count: int, net: int) -> None:
        expect(page.get_by_test_id("receipts-sum-count")).to_have_text(str(count))
        expect(page.get_by_test_id("receipt-row")).to_have_count(count)
        assert listed_sum(page) == (count, net)
        assert money_minor(page.get_by_test_id("receipts-sum-net").inner_text()) == net

    with polish(browser, server, name="receipts-sum") as page:
        login_ui(page, owner["email"])
        page.goto("#/receipts")
        expect(page.get_by_test_id("receipt-row")).to_have_count(6)
        # No dates: no total, and why.
        expect(page.get_by_test_id("receipts-sum-note")).to_contain_text("Wybierz zakres dat")
        page.get_by_test_id("date-from").fill("2026-11-10")
        page.get_by_test_id("date-to").fill("2026-11-11")
        check_total(page, 4, 123456 + 700 + 250 + 5000)
        expect(page.get_by_test_id("receipts-sum-net")).to_have_text(f"1{NBSP}294,06{NBSP}zł")
        expect(page.get_by_test_id("receipts-sum-range")).to_have_text("Dni 10.11.2026 – 11.11.2026 (Europe/Warsaw).")
        scan(page, "receipts with their total")
        # One store.
        page.get_by_test_id("store-filter").select_option(store["id"])
        check_total(page, 3, 123456 + 700 + 250)
        # One employee (the summary grouped by employee).
        page.get_by_test_id("employee-filter").select_option(ewa["id"])
        check_total(page, 2, 123456 + 250)
        # A search by number: no total, and why.
        page.get_by_test_id("receipt-search").fill(f"{n1}-3")
        expect(page.get_by_test_id("receipts-sum-note")).to_contain_text("numerze paragonu")

    # A manager's total counts their store only, as their list does.
    with polish(browser, server, name="receipts-sum-manager") as page:
        login_ui(page, ewa["email"])
        page.goto("#/receipts?date_from=2026-11-10&date_to=2026-11-11")
        check_total(page, 3, 123456 + 700 + 250)
