"""Issue 17 in the browser: name rules with a counter, show deleted, receipts filters and CSV export, a session
that expires mid-form, Add employee while loading, and the nav on a phone."""
import time

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Api, login_ui, receipt, save_review_screenshot


def wait_deleted(api: Api, token: str, device_id: str) -> None:
    for _ in range(200):
        deletion = api.ok("GET", f"/v1/pos_devices/{device_id}/deletion", token=token)
        if deletion["status"] != "RUNNING":
            assert deletion["status"] == "SUCCEEDED", deletion
            return
        time.sleep(0.05)
    raise AssertionError("deletion still running")


def test_names_counter_and_show_deleted(page: Page, api: Api):
    owner = api.signup("Names shop")
    store = api.create_store(owner["token"], "Main Street")
    api.create_device(owner["token"], "Till 1", store["id"])
    gone = api.create_device(owner["token"], "Old till", store["id"])
    api.ok("DELETE", f"/v1/pos_devices/{gone['id']}", token=owner["token"])
    wait_deleted(api, owner["token"], gone["id"])
    login_ui(page, owner["email"])

    expect(page.get_by_test_id("pos-row")).to_have_count(1)
    page.get_by_test_id("show-deleted").check()
    expect(page.get_by_test_id("pos-row")).to_have_count(2)
    expect(page.locator(f'[data-pos-id="{gone["id"]}"]').get_by_test_id("status-badge")).to_have_text("Deleted")
    assert "show_deleted=true" in page.url
    page.get_by_test_id("show-deleted").uncheck()
    expect(page.get_by_test_id("pos-row")).to_have_count(1)

    # A long name is not cut: the counter goes red and the form refuses it with a message.
    page.get_by_test_id("add-pos").first.click()
    long_name = "Kasa przy wejściu od strony parkingu " * 3  # 111 characters, 110 once trimmed
    page.get_by_test_id("pos-name-input").fill(long_name)
    expect(page.get_by_test_id("pos-name-input")).to_have_value(long_name)
    expect(page.get_by_test_id("counter-name")).to_have_text("110 / 100 characters: 10 too many")
    expect(page.get_by_test_id("counter-name")).to_have_class("field__counter field__counter--over")
    page.get_by_test_id("pos-store-select").select_option(label="Main Street")
    page.get_by_test_id("save-pos").click()
    expect(page.get_by_test_id("error-name")).to_have_text("Use at most 100 characters.")
    # The same name as another POS of the store: the server's 409 next to the field.
    page.get_by_test_id("pos-name-input").fill("TILL 1")
    page.get_by_test_id("save-pos").click()
    expect(page.get_by_test_id("error-name")).to_have_text(
        "Another POS in this store is already called 'TILL 1'; choose another name.")
    save_review_screenshot(page, "en-pos-create-name-taken")


def test_receipts_filters_export_and_panel(page: Page, api: Api):
    owner = api.signup("Filter shop")
    store = api.create_store(owner["token"], "Main Street")
    api.create_device(owner["token"], "Till 1", store["id"])
    cashier = api.ok("POST", "/v1/employees", {"name": "Ala Nowak", "role": "CASHIER"}, token=owner["token"],
                     status=201)
    activation = api.activate(owner["email"], PASSWORD, "Till 1")
    n = activation["device"]["number"]
    receipts = []
    for seq in range(1, 13):
        r = receipt(n, seq, 100 * seq, cashier["id"] if seq % 2 else None, created_at=f"2026-11-{seq + 10:02d}T10:00:00Z")
        if seq % 3 == 0:
            r["payments"] = [{"type": "CARD", "money_amount": 100 * seq}]
        receipts.append(r)
    api.sync(activation["device_token"], {"state": {"last_receipt_number": 12, "open_tickets": 0, "shift_open": False},
                                          "receipts": receipts})
    login_ui(page, owner["email"])
    page.get_by_test_id("nav-receipts").click()
    expect(page.get_by_test_id("receipt-row")).to_have_count(12)

    page.get_by_test_id("receipt-search").fill(f"{n}-1")
    expect(page.get_by_test_id("receipt-row")).to_have_count(4)  # n-1, n-10, n-11, n-12
    page.get_by_test_id("receipt-search").fill("")
    expect(page.get_by_test_id("receipt-row")).to_have_count(12)
    page.get_by_test_id("payment-filter").select_option("CARD")
    expect(page.get_by_test_id("receipt-row")).to_have_count(4)
    page.get_by_test_id("employee-filter").select_option(label="Ala Nowak")
    expect(page.get_by_test_id("receipt-row")).to_have_count(2)  # 9 and 3
    page.get_by_test_id("date-from").fill("2026-11-14")
    expect(page.get_by_test_id("receipt-row")).to_have_count(1)
    expect(page.get_by_test_id("receipt-number")).to_have_text(f"{n}-9")

    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    content = open(download_info.value.path(), encoding="utf-8-sig").read()
    lines = content.strip().splitlines()
    assert lines[0].startswith("Receipt number,Date (UTC),Type,POS,Store,Employee")
    assert len(lines) == 2 and lines[1].startswith(f"{n}-9,") and "Ala Nowak" in lines[1] and "9.00,0.00,EUR" in lines[1]

    page.get_by_test_id("receipt-number").click()
    panel = page.get_by_test_id("receipt-dialog")
    expect(panel.get_by_test_id("receipt-dialog-pos")).to_have_text("Till 1")
    box = panel.bounding_box()
    viewport = page.viewport_size
    assert abs(box["x"] + box["width"] - viewport["width"]) <= 2 and box["height"] >= viewport["height"] - 2, box
    save_review_screenshot(page, "en-receipt-panel")


def test_session_expiry_keeps_the_place_and_the_typed_name(page: Page, api: Api):
    owner = api.signup("Expiry shop")
    api.create_store(owner["token"], "Main Street")
    login_ui(page, owner["email"])
    page.get_by_test_id("add-pos").first.click()
    expect(page.get_by_test_id("pos-create-page")).to_be_visible()
    page.get_by_test_id("pos-name-input").fill("Typed before expiry")
    page.get_by_test_id("pos-store-select").select_option(label="Main Street")
    # The session ends on the server side (a token the API no longer knows).
    page.evaluate("""() => {
        const s = JSON.parse(localStorage.getItem('pos-backoffice.session'));
        s.token = 'expired-' + s.token;
        localStorage.setItem('pos-backoffice.session', JSON.stringify(s));
    }""")
    page.get_by_test_id("save-pos").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.get_by_test_id("login-email").fill(owner["email"])
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("pos-create-page")).to_be_visible()
    assert page.url.endswith("#/pos/new"), page.url
    expect(page.get_by_test_id("pos-name-input")).to_have_value("Typed before expiry")
    page.get_by_test_id("save-pos").click()
    expect(page.get_by_test_id("pos-row")).to_have_count(1)


def test_add_employee_while_the_page_loads(page: Page, api: Api):
    owner = api.signup("Slow shop")
    login_ui(page, owner["email"])
    release = []
    page.route("**/v1/stores*", lambda route: release.append(route))
    page.get_by_test_id("nav-employees").click()
    button = page.get_by_test_id("add-employee")
    expect(button).to_be_disabled()
    button.click(force=True)  # a click while loading does nothing (it used to throw)
    while not release:
        page.wait_for_timeout(50)
    for route in release:
        route.continue_()
    page.unroute("**/v1/stores*")
    expect(button).to_be_enabled()
    button.click()
    expect(page.get_by_test_id("employee-dialog")).to_be_visible()


def test_phone_nav_scrolls_to_the_current_tab(phone_page: Page, api: Api):
    page = phone_page
    owner = api.signup("Phone nav shop")
    login_ui(page, owner["email"])
    page.goto("/#/employees")
    expect(page.get_by_test_id("employees-page")).to_be_visible()
    nav = page.locator(".app-nav ul")
    assert nav.evaluate("el => el.scrollWidth > el.clientWidth"), "the tabs fit: nothing to test"
    box = page.get_by_test_id("nav-employees").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert "local" in nav.evaluate("el => getComputedStyle(el).backgroundAttachment")  # the scroll cue
    save_review_screenshot(page, "en-phone-nav")


def test_move_a_pos_to_another_store(page: Page, api: Api):
    owner = api.signup("Move shop")
    first = api.create_store(owner["token"], "First street")
    api.create_store(owner["token"], "Second street")
    device = api.create_device(owner["token"], "Till 1", first["id"])
    login_ui(page, owner["email"])
    page.goto(f"/#/pos/{device['id']}")
    expect(page.get_by_test_id("pos-store")).to_have_text("First street")
    page.get_by_test_id("move-button").click()
    page.get_by_test_id("move-store-select").select_option(label="Second street")
    page.get_by_test_id("move-save").click()
    expect(page.get_by_test_id("pos-store")).to_have_text("Second street")
    # Once activated, the POS cannot move: the button is gone.
    api.activate(owner["email"], PASSWORD, "Till 1")
    page.reload()
    expect(page.get_by_test_id("pos-store")).to_have_text("Second street")
    expect(page.get_by_test_id("move-button")).to_have_count(0)
    # The card says who is signed in on it and whether the app is online (it has not synced yet).
    expect(page.get_by_test_id("signed-in-name")).to_have_text("Move shop")
    expect(page.get_by_test_id("online-state")).to_have_text("Offline")


def test_plural_forms_in_the_ui(page: Page):
    page.goto("/")
    texts = page.evaluate("""async () => {
        const i18n = await import('./i18n/index.js');
        const out = {};
        for (const lang of ['en', 'pl']) {
            i18n.setLanguage(lang);
            out[lang] = [1, 2, 5, 22].map((n) => i18n.t('pos.deactivate_unsynced', { n }));
        }
        i18n.setLanguage('en');
        return out;
    }""")
    assert texts["en"][:2] == ["The server knows of 1 receipt from this device that is not synced yet.",
                               "The server knows of 2 receipts from this device that are not synced yet."]
    assert texts["pl"] == ["Serwer wie o 1 niezsynchronizowanym paragonie z tego urządzenia.",
                           "Serwer wie o 2 niezsynchronizowanych paragonach z tego urządzenia.",
                           "Serwer wie o 5 niezsynchronizowanych paragonach z tego urządzenia.",
                           "Serwer wie o 22 niezsynchronizowanych paragonach z tego urządzenia."]
