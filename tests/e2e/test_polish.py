"""Issue 17 in the browser: the whole back office in Polish (nothing English shows, also in the server's
sentences), and what the owner gets besides (names, stale states, receipts search and export, a session
that expires mid-form, a phone-width nav). Screenshots of the main screens in both languages go to
tests/e2e/artifacts/ (not committed)."""
import csv
import io
import re
import time
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Api, _open_page, receipt, save_review_screenshot

# Common English words that are not Polish words too ("to", "a", "on", "no", "by", "status", "data", "online"
# are Polish as well, so they are not listed). Any of these in the visible text of a Polish screen fails.
ENGLISH = set("""
the and of is are was were not with for this that these those from into your you has have had will would
should could cannot must please click here receipt receipts shift shifts store stores device devices deleted
delete deleting deletion open opened closed close sync synced syncing error failed fail waiting wait check
checking employee employees owner cashier manager activated inactive none never yes found unknown invalid
required total cash card payment payments date time last first new add edit save cancel name names sign
login password account already another taken too many again later only may successfully succeeded started
lost missing more than less least most some any every each which what when where who why how
""".split())


def polish_api(api: Api):
    """The set-up as a Polish owner: signed up in Polish (currency PLN), every name typed in Polish."""
    email = f"wlasciciel-{uuid.uuid4().hex[:8]}@example.com"
    status, body = api.call("POST", "/v1/signup", {"business_name": "Kawiarnia Zosia", "email": email,
                                                   "password": PASSWORD, "currency": "PLN"})
    assert status == 201, body
    return {"email": email, "token": body["token"]}


def english_words(page: Page, ignore: str | None = None) -> list[str]:
    text = page.evaluate("document.body.innerText")
    if ignore:  # a random pairing code such as "ADD7-THEM" is not English
        text = text.replace(ignore, " ")
    words = re.findall(r"[A-Za-zÀ-ž]+", text)
    return sorted({w for w in words if w.lower() in ENGLISH})


def assert_polish(page: Page, where: str, ignore: str | None = None) -> None:
    page.wait_for_load_state("networkidle")
    found = english_words(page, ignore)
    assert not found, f"English on the Polish screen {where}: {found}"


def login_pl(page: Page, email: str) -> None:
    page.goto("/#/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("pos-list-page")).to_be_visible()


def polish_page(browser, request, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL", base_url=server)
    page = context.new_page()
    return context, page


def seed_shop(api: Api, owner: dict) -> dict:
    token = owner["token"]
    old_town = api.create_store(token, "Stare Miasto")
    harbour = api.create_store(token, "Przystań")
    ala = api.ok("POST", "/v1/employees", {"name": "Ala Nowak", "role": "CASHIER", "pin": "2468",
                                            "store_ids": [old_town["id"], harbour["id"]]}, token=token, status=201)
    api.create_device(token, "Kasa główna", old_town["id"])
    api.create_device(token, "Tablet zapasowy", harbour["id"])
    api.create_device(token, "Kasa przy oknie", harbour["id"])
    activation = api.activate(owner["email"], PASSWORD, "Kasa główna")
    number = activation["device"]["number"]
    shift = str(uuid.uuid4())
    api.sync(activation["device_token"], {
        "state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": True},
        "shifts": [{"id": shift, "opened_at": "2026-11-24T08:00:00Z", "closed_at": None,
                    "opened_by_employee": ala["id"], "starting_cash": 10000}],
        "receipts": [receipt(number, s, 350 * s, ala["id"], shift, "Kawa", f"2026-11-2{s}T09:00:00Z")
                     for s in (1, 2, 3)]})
    # A second POS: activated, its shift left open, then deactivated (an orphaned shift, lost receipts).
    window = api.activate(owner["email"], PASSWORD, "Kasa przy oknie")
    api.sync(window["device_token"], {
        "state": {"last_receipt_number": 2, "open_tickets": 0, "shift_open": True},
        "shifts": [{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T07:00:00Z", "closed_at": None,
                    "opened_by_employee": ala["id"], "starting_cash": 5000}],
        "receipts": [receipt(window["device"]["number"], 1, 990, ala["id"], None, "Herbata")]})
    api.ok("POST", f"/v1/pos_devices/{window['device']['id']}/deactivate", token=token)
    api.run_audit(token)
    return {"activation": activation, "ala": ala, "number": number, "old_town": old_town}


def test_every_screen_in_polish_shows_no_english(browser, request, server, api: Api):
    owner = polish_api(api)
    shop = seed_shop(api, owner)
    main_pos = shop["activation"]["device"]
    context, page = polish_page(browser, request, server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # Login: a wrong password answers in Polish (the server's sentence).
        page.goto("/#/login")
        assert_polish(page, "login")
        save_review_screenshot(page, "pl-login")
        page.get_by_test_id("login-email").fill(owner["email"])
        page.get_by_test_id("login-password").fill("zle-haslo-123")
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("form-error")).to_contain_text("Nieprawidłowy e-mail lub hasło.")
        assert_polish(page, "login error")
        page.get_by_test_id("to-signup").click()
        expect(page.get_by_test_id("signup-currency")).to_have_value("PLN")
        assert_polish(page, "signup")
        login_pl(page, owner["email"])

        # POS list, then a duplicate name (409 NAME_TAKEN in Polish) and the counter.
        expect(page.get_by_test_id("pos-row")).to_have_count(3)
        assert_polish(page, "POS list")
        save_review_screenshot(page, "pl-pos-list")
        page.get_by_test_id("add-pos").first.click()
        page.get_by_test_id("pos-name-input").fill("kasa GŁÓWNA")
        expect(page.get_by_test_id("counter-name")).to_have_text("11 / 100 znaków")
        page.get_by_test_id("pos-store-select").select_option(label="Stare Miasto")
        page.get_by_test_id("save-pos").click()
        expect(page.get_by_test_id("error-name")).to_have_text(
            "Inny POS w tym sklepie nazywa się już „kasa GŁÓWNA”; wybierz inną nazwę.")
        assert_polish(page, "create POS with a taken name")
        save_review_screenshot(page, "pl-pos-create")

        # The POS card with a refused deletion: steps and reason from the server, in Polish.
        page.goto(f"/#/pos/{main_pos['id']}")
        expect(page.get_by_test_id("pos-edit-page")).to_be_visible()
        page.get_by_test_id("delete-button").click()
        page.get_by_test_id("confirm-delete").click()
        expect(page.get_by_test_id("deletion-error-details")).to_contain_text("Zamknij Zmianę w POS „Kasa główna”")
        assert_polish(page, "POS card, deletion refused")
        save_review_screenshot(page, "pl-pos-deletion-refused")

        # The list shows the refusal under the status, its reason on click.
        page.get_by_test_id("nav-pos").click()
        row = page.locator(f'[data-pos-id="{main_pos["id"]}"]')
        row.get_by_test_id("deletion-failed").locator("summary").click()
        expect(row.get_by_test_id("deletion-failed-reason")).to_contain_text("Zamknij Zmianę")
        expect(row.get_by_test_id("signed-in-name")).to_have_text("Kawiarnia Zosia")
        assert_polish(page, "POS list with a refused deletion")

        # Receipts, the panel on the right, filters.
        page.get_by_test_id("nav-receipts").click()
        expect(page.get_by_test_id("receipt-row")).to_have_count(4)
        expect(page.get_by_test_id("receipt-total").first).to_have_text(re.compile(r"^9,90\s*zł$"))
        assert_polish(page, "receipts")
        save_review_screenshot(page, "pl-receipts")
        page.get_by_test_id("receipt-number").first.click()
        panel = page.get_by_test_id("receipt-dialog")
        expect(panel.get_by_test_id("receipt-dialog-pos")).to_have_text("Kasa przy oknie")
        box = panel.bounding_box()
        assert box["x"] + box["width"] >= 1270 and box["x"] > 600, box  # on the right-hand side
        assert_polish(page, "receipt panel")
        save_review_screenshot(page, "pl-receipt-panel")
        page.keyboard.press("Escape")

        for nav, test_id, name in (("nav-shifts", "shifts-page", "shifts"), ("nav-audit", "audit-page", "audit"),
                                   ("nav-events", "events-page", "events"), ("nav-stores", "stores-page", "stores"),
                                   ("nav-employees", "employees-page", "employees")):
            page.get_by_test_id(nav).click()
            expect(page.get_by_test_id(test_id)).to_be_visible()
            expect(page.get_by_test_id("loading")).to_have_count(0)
            assert_polish(page, name)
            save_review_screenshot(page, f"pl-{name}")

        # Shifts: the orphaned one is flagged; audit: its finding in Polish; events: sentences.
        page.get_by_test_id("nav-shifts").click()
        expect(page.get_by_test_id("shift-left-open")).to_have_count(1)
        page.get_by_test_id("nav-audit").click()
        expect(page.get_by_test_id("audit-page")).to_contain_text("była nadal otwarta, gdy POS został dezaktywowany")
        page.get_by_test_id("nav-events").click()
        expect(page.get_by_test_id("event-text").first).to_be_visible()
        expect(page.get_by_test_id("events-page")).to_contain_text("Utworzono POS „Kasa główna” w sklepie „Stare Miasto”.")
        expect(page.get_by_test_id("events-page")).not_to_contain_text('{"')

        # A store with POS devices cannot be deleted: the server's reason in Polish.
        page.get_by_test_id("nav-stores").click()
        row = page.get_by_test_id("store-row").filter(has_text="Stare Miasto")
        row.get_by_test_id("delete-store").click()
        page.get_by_test_id("confirm-delete-store").click()
        expect(page.locator("dialog")).to_contain_text("Najpierw usuń urządzenia POS tego sklepu")
        assert_polish(page, "store deletion refused")
        page.keyboard.press("Escape")

        # Duplicate PIN: the server's reason in Polish.
        page.get_by_test_id("nav-employees").click()
        page.get_by_test_id("add-employee").click()
        dialog = page.get_by_test_id("employee-dialog")
        dialog.get_by_test_id("employee-name").fill("Ola Kowalska")
        dialog.locator("input[name=pin]").fill("2468")
        page.get_by_test_id("employee-dialog-save").click()
        expect(dialog).to_contain_text("Ten PIN ma już inny pracownik.")
        assert_polish(page, "duplicate PIN")
    finally:
        context.close()
    assert not errors, errors


def test_pairing_and_final_sync_in_polish_show_no_english(browser, request, server, api: Api):
    """The pairing panel (code, countdown, revoke, used by a POS app) and the deactivation with a final sync (the
    dialog, the card's panel, ending it), then their sentences in the activity log: all in Polish."""
    owner = polish_api(api)
    token = owner["token"]
    store = api.create_store(token, "Rynek")
    first = api.create_device(token, "Kasa 1", store["id"])
    second = api.create_device(token, "Kasa 2", store["id"])
    old = api.activate(owner["email"], PASSWORD, "Kasa 2")
    number = old["device"]["number"]
    api.sync(old["device_token"], {"state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": False},
                                   "receipts": [receipt(number, s, 500, None, None, "Kawa") for s in (1, 2, 3)]})
    context, page = polish_page(browser, request, server)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login_pl(page, owner["email"])
        page.goto(f"/#/pos/{first['id']}")
        panel = page.get_by_test_id("pairing-panel")
        expect(panel).to_contain_text("Kod parowania")
        assert_polish(page, "pairing panel")
        panel.get_by_test_id("pairing-expiry").select_option("3600")
        panel.get_by_test_id("generate-pairing-code").click()
        code = panel.get_by_test_id("pairing-code")
        expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
        expect(panel.get_by_test_id("pairing-countdown")).to_have_text(re.compile(r"^(1:00:00|59:\d\d)$"))
        assert_polish(page, "pairing code shown", ignore=code.text_content())
        save_review_screenshot(page, "pl-pairing-code")
        panel.get_by_test_id("revoke-pairing-code").click()
        expect(page.get_by_test_id("toast").last).to_have_text("Kod parowania został unieważniony i już nie działa.")
        assert_polish(page, "pairing code revoked")
        panel.get_by_test_id("generate-pairing-code").click()
        expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
        shown = code.text_content()
        page.reload()
        expect(page.get_by_test_id("pairing-active")).to_contain_text("Kod parowania jest ważny do")
        assert_polish(page, "pairing code active after a reload")
        status, bad = api.call("POST", "/v1/pos/pair", {"code": "ZZZZ-ZZZZ", "installation_id": "tablet-pl"})
        assert status == 401 and bad["errors"][0]["code"] == "PAIRING_CODE_INVALID", bad
        status, paired = api.call("POST", "/v1/pos/pair", {"code": shown, "installation_id": "tablet-pl"})
        assert status == 200, paired
        page.reload()
        expect(page.get_by_test_id("status-badge")).to_have_text("Aktywowany")
        expect(page.get_by_test_id("pairing-panel")).to_have_count(0)

        # Deactivation with a final sync: the dialog, the card's panel, ending it.
        page.goto(f"/#/pos/{second['id']}")
        page.get_by_test_id("deactivate-button").click()
        dialog = page.get_by_test_id("deactivate-dialog")
        expect(dialog.get_by_test_id("final-sync-option")).to_contain_text("Pozwól staremu urządzeniu przesłać")
        assert_polish(page, "deactivate dialog with the final sync option")
        save_review_screenshot(page, "pl-deactivate-final-sync")
        dialog.get_by_test_id("final-sync-hours").fill("0")
        dialog.get_by_test_id("confirm-deactivate").click()
        expect(dialog.get_by_test_id("error-final_sync_hours")).to_have_text("Wpisz pełną liczbę godzin od 1 do 168.")
        assert_polish(page, "deactivate dialog, hours refused")
        dialog.get_by_test_id("final-sync-hours").fill("24")
        dialog.get_by_test_id("confirm-deactivate").click()
        expect(page.get_by_test_id("final-sync-result")).to_have_text(
            "Stare urządzenie może teraz przesłać niezsynchronizowane paragony. Oczekiwane paragony: 2.")
        expect(dialog.get_by_test_id("final-sync-option")).to_have_count(0)
        panel = page.get_by_test_id("final-sync-panel")
        expect(panel.get_by_test_id("final-sync-owed")).to_have_text("Paragony, na które wciąż czekamy: 2.")
        expect(page.get_by_test_id("status-badge")).to_have_text("Nieaktywny")
        assert_polish(page, "POS card with an open final sync")
        # The old device may still upload its own receipts: the card shows what it still owes.
        status, body = api.call("POST", "/v1/pos/sync", {"receipts": [receipt(number, 4, 500, None, None, "Kawa")]},
                                token=old["device_token"])
        assert status == 200 and body["accepted"] == 1, body
        page.reload()
        expect(page.get_by_test_id("final-sync-owed")).to_have_text("Paragony, na które wciąż czekamy: 1.")
        page.get_by_test_id("end-final-sync").click()
        end_dialog = page.get_by_test_id("end-final-sync-dialog")
        expect(end_dialog.get_by_test_id("end-final-sync-loss")).to_have_text(
            "Paragony, na które wciąż czekamy, zostaną policzone jako utracone: 1.")
        assert_polish(page, "end final sync dialog")
        end_dialog.get_by_test_id("confirm-end-final-sync").click()
        expect(page.get_by_test_id("final-sync-panel")).to_have_count(0)
        expect(page.get_by_test_id("lost-receipts-total")).to_have_text("1")
        assert_polish(page, "POS card after the final sync")

        # The activity log tells both stories in Polish sentences with names.
        page.goto("/#/events")
        events = page.get_by_test_id("events-page")
        expect(events).to_contain_text("Aktywowano POS „Kasa 1” na nowym urządzeniu kodem parowania (kod "
                                       "wygenerował: Kawiarnia Zosia); paragony są dalej numerowane od")
        expect(events).to_contain_text("Unieważniono kod parowania dla POS „Kasa 1”; kod już nie działa.")
        expect(events).to_contain_text(re.compile(r"Wygenerowano kod parowania dla POS „Kasa 1”, ważny do "
                                                  r"\d\d\.\d\d\.\d{4}, \d\d:\d\d\."))
        expect(events).to_contain_text(re.compile(r"Dezaktywowano POS „Kasa 2” z synchronizacją końcową: stare "
                                                  r"urządzenie może przesłać swoje paragony do \d\d\.\d\d\.\d{4}, "
                                                  r"\d\d:\d\d; czekamy jeszcze na 2 niezsynchronizowane "
                                                  r"paragony\."))
        expect(events).to_contain_text("Zakończono synchronizację końcową POS „Kasa 2” (na żądanie z Panelu "
                                       "Administracyjnego): odebrano 1 paragon, utracono 1.")
        expect(events).not_to_contain_text('{"')
        assert_polish(page, "events with pairing and final sync")
        save_review_screenshot(page, "pl-events-pairing-final-sync")
    finally:
        context.close()
    assert not errors, errors


def test_main_screens_in_english_for_review(page: Page, api: Api):
    owner = api.signup("Review shop")
    store = api.create_store(owner["token"], "Main Street")
    api.create_device(owner["token"], "Till 1", store["id"])
    activation = api.activate(owner["email"], PASSWORD, "Till 1")
    api.sync(activation["device_token"], {"state": {"last_receipt_number": 2, "open_tickets": 0, "shift_open": False},
                                           "receipts": [receipt(activation["device"]["number"], 1, 700)]})
    api.run_audit(owner["token"])
    page.goto("/#/login")
    page.get_by_test_id("login-email").fill(owner["email"])
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("pos-list-page")).to_be_visible()
    expect(page.get_by_test_id("signed-in-name")).to_have_text("Review shop")
    expect(page.get_by_test_id("online-state")).to_have_text("Online")
    save_review_screenshot(page, "en-pos-list")
    for nav, test_id, name in (("nav-receipts", "receipts-page", "receipts"), ("nav-shifts", "shifts-page", "shifts"),
                               ("nav-audit", "audit-page", "audit"), ("nav-events", "events-page", "events"),
                               ("nav-stores", "stores-page", "stores"), ("nav-employees", "employees-page", "employees")):
        page.get_by_test_id(nav).click()
        expect(page.get_by_test_id(test_id)).to_be_visible()
        expect(page.get_by_test_id("loading")).to_have_count(0)
        save_review_screenshot(page, f"en-{name}")
    page.get_by_test_id("nav-events").click()
    expect(page.get_by_test_id("events-page")).to_contain_text("POS “Till 1” created in store “Main Street”.")
