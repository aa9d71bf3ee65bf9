"""The back-office SPA in a real browser against the real local server (no mocks)."""
import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Api, login_ui, receipt, save_review_screenshot


def pos_row(page: Page, name: str):
    return page.get_by_test_id("pos-row").filter(has=page.get_by_test_id("pos-name").get_by_text(name, exact=True))


def open_pos_card(page: Page, name: str) -> None:
    page.get_by_test_id("nav-pos").click()
    pos_row(page, name).get_by_test_id("pos-name").click()
    expect(page.get_by_test_id("pos-edit-page")).to_be_visible()
    expect(page.get_by_test_id("pos-name-input")).to_have_value(name)


def test_pos_lifecycle_story(page: Page, api: Api):
    """Sign up, create a store and a POS, activate and sync as a device, deactivate, delete safely."""
    email = f"owner-{uuid.uuid4().hex[:10]}@example.com"

    # Sign up in the UI.
    page.goto("/")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.get_by_test_id("to-signup").click()
    page.get_by_test_id("signup-business-name").fill("Café Story")
    page.get_by_test_id("signup-email").fill(email)
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("pos-list-page")).to_be_visible()
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    # A store, then a POS in it.
    page.get_by_test_id("nav-stores").click()
    page.get_by_test_id("store-name-input").fill("Main Street")
    page.get_by_test_id("store-address-input").fill("Main Street 1, Kraków")
    page.get_by_test_id("save-store").click()
    expect(page.get_by_test_id("store-row")).to_have_count(2)  # with the first store, made at sign-up (named after the business)
    expect(page.get_by_test_id("store-name").filter(has_text="Main Street")).to_have_count(1)

    page.get_by_test_id("nav-pos").click()
    page.get_by_test_id("add-pos").first.click()
    expect(page.get_by_role("heading", name="Create POS")).to_be_visible()
    page.get_by_test_id("pos-name-input").fill("Till 1")
    page.get_by_test_id("pos-store-select").select_option(label="Main Street")
    page.get_by_test_id("save-pos").click()
    row = pos_row(page, "Till 1")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("status-badge")).to_have_text("Not activated")
    expect(row).to_contain_text("Main Street")
    expect(row.get_by_test_id("shift-open")).to_have_text("No")

    # The POS app activates it with the owner's e-mail and password.
    activation = api.activate(email, PASSWORD, "Till 1")
    number = activation["device"]["number"]
    page.reload()
    expect(pos_row(page, "Till 1").get_by_test_id("status-badge")).to_have_text("Activated")

    # The POS app syncs a shift and three receipts.
    shift_id = str(uuid.uuid4())
    employee_id = activation["employee"]["id"]
    result = api.sync(activation["device_token"], {
        "state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False},
        "shifts": [{"id": shift_id, "opened_at": "2026-11-24T08:00:00Z", "closed_at": "2026-11-24T16:00:00Z",
                    "opened_by_employee": employee_id, "closed_by_employee": employee_id, "starting_cash": 10000,
                    "expected_cash": 53200, "actual_cash": 53200}],
        "receipts": [
            receipt(number, 1, 700, employee_id, shift_id, "Tea", "2026-11-24T09:00:00Z"),
            receipt(number, 2, 8500, employee_id, shift_id, "Cake", "2026-11-24T10:00:00Z"),
            receipt(number, 3, 35000, employee_id, shift_id, "Coffee beans", "2026-11-24T11:00:00Z"),
        ],
    })
    assert result["accepted"] == 3, result
    page.reload()
    expect(pos_row(page, "Till 1").get_by_test_id("unsynced-receipts")).to_have_text("0")

    # Receipts list: number, POS name, total in major units.
    page.get_by_test_id("nav-receipts").click()
    receipts = page.get_by_test_id("receipt-row")
    expect(receipts).to_have_count(3)
    first = page.locator(f'[data-testid="receipt-row"][data-receipt-number="{number}-1"]')
    expect(first.get_by_test_id("receipt-pos-name")).to_have_text("Till 1")
    expect(first.get_by_test_id("receipt-total")).to_have_text("€7.00")
    expect(page.locator(f'[data-receipt-number="{number}-3"]').get_by_test_id("receipt-total")).to_have_text("€350.00")
    # Newest first.
    expect(receipts.first).to_have_attribute("data-receipt-number", f"{number}-3")

    # Opening a receipt shows the POS name; Esc closes the dialog and gives focus back.
    opener = first.get_by_test_id("receipt-number")
    opener.click()
    dialog = page.get_by_test_id("receipt-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("receipt-dialog-pos")).to_have_text("Till 1")
    expect(dialog).to_contain_text("Tea")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()

    # Shifts show the synced shift with its cash.
    page.get_by_test_id("nav-shifts").click()
    expect(page.get_by_test_id("shift-row")).to_have_count(1)
    expect(page.get_by_test_id("shift-row")).to_contain_text("Till 1")
    expect(page.get_by_test_id("shift-row")).to_contain_text("€532.00")

    # Deactivate through the dialog (Edit POS card, Status field).
    open_pos_card(page, "Till 1")
    expect(page.get_by_test_id("status-badge")).to_have_text("Activated")
    page.get_by_test_id("deactivate-button").click()
    dialog = page.get_by_test_id("deactivate-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("deactivate-warning")).to_have_text(
        re.compile("After deactivation, all unsynced data in the POS app will be lost."))
    # No final sync here: the device's access ends at once (the stolen-device path).
    dialog.get_by_test_id("final-sync-enable").uncheck()
    dialog.get_by_test_id("confirm-deactivate").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("deactivation-result")).to_be_visible()
    expect(page.get_by_test_id("lost-receipts")).to_have_text("Receipts lost: 0.")
    expect(page.get_by_test_id("status-badge")).to_have_text("Inactive")
    expect(page.get_by_test_id("deactivate-button")).to_have_count(0)
    # The device's token is revoked at once.
    status, body = api.call("POST", "/v1/pos/sync", {"receipts": []}, token=activation["device_token"])
    assert status == 401 and body["errors"][0]["code"] == "DEVICE_DEACTIVATED", (status, body)

    page.get_by_test_id("nav-pos").click()
    expect(pos_row(page, "Till 1").get_by_test_id("status-badge")).to_have_text("Inactive")

    # Delete through the dialog; the progress ends and the POS is gone from the list.
    open_pos_card(page, "Till 1")
    page.get_by_test_id("delete-button").click()
    dialog = page.get_by_test_id("delete-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("confirm-delete")).to_have_text("Delete POS")
    dialog.get_by_test_id("confirm-delete").click()
    # The finished progress stays on screen for a moment before the list comes back.
    done = page.wait_for_selector('[data-testid="deletion-progress"][data-status="SUCCEEDED"]')
    # An inactive POS is deleted at once: its plan (from the API) is the one step.
    assert [(el.get_attribute("data-step"), el.get_attribute("data-state"))
            for el in done.query_selector_all('[data-testid="deletion-step"]')] == [("Deleted", "done")]
    expect(page.get_by_test_id("pos-list-page")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/pos$"))
    expect(page.get_by_test_id("pos-row")).to_have_count(0)
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    # The deleted POS still answers by its address, read-only.
    page.goto(f"/#/pos/{activation['device']['id']}")
    expect(page.get_by_test_id("pos-deleted-notice")).to_be_visible()
    expect(page.get_by_test_id("delete-button")).to_have_count(0)
    expect(page.get_by_test_id("status-badge")).to_have_text("Deleted")

    # Its synced receipts stay, still with the POS name.
    page.get_by_test_id("nav-receipts").click()
    expect(page.get_by_test_id("receipt-row")).to_have_count(3)
    expect(page.get_by_test_id("receipt-pos-name").first).to_have_text("Till 1")

    # The activity log tells the story.
    page.get_by_test_id("nav-events").click()
    types = page.get_by_test_id("event-type")
    expect(types.first).to_be_visible()
    for text in ("POS created", "POS activated", "POS deactivated", "POS deleted"):
        expect(types.filter(has_text=re.compile(f"^{text}$"))).not_to_have_count(0)

    # Switch to Polish: the choice is remembered across a reload.
    page.get_by_test_id("lang-select").select_option("pl")
    expect(page.get_by_test_id("nav-pos")).to_have_text("Urządzenia POS")
    page.reload()
    expect(page.get_by_test_id("nav-receipts")).to_have_text("Paragony")
    expect(page.get_by_test_id("lang-select")).to_have_value("pl")


def test_polish_status_names_and_wording(page: Page, api: Api):
    owner = api.signup("Sklep Testowy")
    store = api.create_store(owner["token"], "Rynek")
    for name in ("Kasa nowa", "Kasa aktywna", "Kasa stara"):
        api.create_device(owner["token"], name, store["id"])
    api.activate(owner["email"], owner["password"], "Kasa aktywna")
    old = api.activate(owner["email"], owner["password"], "Kasa stara")
    api.ok("POST", f"/v1/pos_devices/{old['device']['id']}/deactivate", token=owner["token"])

    login_ui(page, owner["email"])
    expect(pos_row(page, "Kasa aktywna").get_by_test_id("status-badge")).to_have_text("Activated")
    page.get_by_test_id("lang-select").select_option("pl")
    expect(page.get_by_role("heading", name="Urządzenia POS")).to_be_visible()
    expect(pos_row(page, "Kasa nowa").get_by_test_id("status-badge")).to_have_text("Nieaktywowany")
    expect(pos_row(page, "Kasa aktywna").get_by_test_id("status-badge")).to_have_text("Aktywowany")
    expect(pos_row(page, "Kasa stara").get_by_test_id("status-badge")).to_have_text("Nieaktywny")
    expect(page.get_by_test_id("nav-receipts")).to_have_text("Paragony")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    save_review_screenshot(page, "review-pl-pos-list-desktop")

    # The "Create POS" form in the article's words.
    page.get_by_test_id("add-pos").first.click()
    expect(page.get_by_role("heading", name="Utwórz POS")).to_be_visible()
    expect(page.get_by_label("Nazwa")).to_be_visible()
    expect(page.get_by_label("Sklep")).to_be_visible()
    expect(page.get_by_test_id("save-pos")).to_have_text("Zapisz")
    page.get_by_test_id("save-pos").click()
    expect(page.get_by_test_id("error-name")).to_have_text("To pole jest wymagane.")

    # The Deactivate dialog: Polish warning, keyboard-only, Esc cancels and focus returns.
    open_pos_card(page, "Kasa aktywna")
    expect(page.get_by_role("heading", name="Edytuj POS")).to_be_visible()
    button = page.get_by_test_id("deactivate-button")
    expect(button).to_have_text("Dezaktywuj")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_test_id("deactivate-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_test_id("deactivate-warning")).to_have_text(
        re.compile("Po dezaktywacji wszystkie niezsynchronizowane dane w aplikacji POS zostaną utracone."))
    expect(dialog.get_by_test_id("confirm-deactivate")).to_have_text("Dezaktywuj")
    # Focus starts inside the dialog (on the safe choice) and stays there.
    expect(dialog.get_by_test_id("cancel-dialog")).to_be_focused()
    save_review_screenshot(page, "review-pl-deactivate-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(button).to_be_focused()
    expect(page.get_by_test_id("status-badge")).to_have_text("Aktywowany")

    # Keyboard confirm: Tab to "Dezaktywuj" and press Enter.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    expect(dialog.get_by_test_id("confirm-deactivate")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("status-badge")).to_have_text("Nieaktywny")
    # The dialog's default: the old device may still upload for 72 hours, so nothing is lost yet.
    expect(page.get_by_test_id("final-sync-result")).to_contain_text("Oczekiwane paragony: 0.")
    expect(page.get_by_test_id("final-sync-panel")).to_be_visible()


def test_deletion_blocked_by_open_shift_then_forced(page: Page, api: Api):
    owner = api.signup()
    store = api.create_store(owner["token"], "Corner shop")
    api.create_device(owner["token"], "Busy till", store["id"])
    activation = api.activate(owner["email"], owner["password"], "Busy till")
    number = activation["device"]["number"]
    shift_id = str(uuid.uuid4())
    api.sync(activation["device_token"], {
        "state": {"last_receipt_number": 1, "open_tickets": 0, "shift_open": True},
        "shifts": [{"id": shift_id, "opened_at": "2026-11-24T08:00:00Z", "starting_cash": 5000}],
        "receipts": [receipt(number, 1, 1250, shift_id=shift_id)],
    })

    login_ui(page, owner["email"])
    expect(pos_row(page, "Busy till").get_by_test_id("shift-open")).to_have_text("Yes")
    open_pos_card(page, "Busy till")
    page.get_by_test_id("delete-button").click()
    dialog = page.get_by_test_id("delete-dialog")
    expect(dialog.get_by_test_id("force-delete")).not_to_be_checked()
    dialog.get_by_test_id("confirm-delete").click()

    progress = page.get_by_test_id("deletion-progress")
    expect(progress).to_have_attribute("data-status", "FAILED")
    expect(page.get_by_test_id("deletion-error-details")).to_contain_text("shift")
    expect(page.get_by_test_id("deletion-advice")).to_contain_text("Close the shift")
    expect(progress.locator('[data-step="CheckShiftClosed"]')).to_have_attribute("data-state", "failed")
    expect(progress.locator('[data-step="CheckOpenTickets"]')).to_have_attribute("data-state", "done")
    # The route's whole plan is shown; the steps after the refusal did not run.
    rows = progress.get_by_test_id("deletion-step")
    expect(rows).to_have_count(5)
    assert [rows.nth(i).get_attribute("data-step") for i in range(5)] == [
        "CheckOpenTickets", "CheckShiftClosed", "VerifyReceiptsSynced", "Deactivate", "Deleted"]
    assert [rows.nth(i).get_attribute("data-state") for i in range(2, 5)] == ["skipped"] * 3
    expect(page.get_by_test_id("deletion-status")).to_have_text("The POS could not be deleted — Failed")
    # The device was left as it was.
    expect(page.get_by_test_id("status-badge")).to_have_text("Activated")
    save_review_screenshot(page, "review-deletion-failed")

    # The owner forces it: a second warning, then the checks are skipped.
    page.get_by_test_id("retry-delete").click()
    dialog = page.get_by_test_id("delete-dialog")
    expect(dialog.get_by_test_id("force-warning")).to_be_hidden()
    dialog.get_by_test_id("force-delete").check()
    expect(dialog.get_by_test_id("force-warning")).to_be_visible()
    dialog.get_by_test_id("confirm-delete").click()
    done = page.wait_for_selector('[data-testid="deletion-progress"][data-status="SUCCEEDED"]')
    assert done.query_selector('[data-testid="deletion-forced"]')
    assert [(el.get_attribute("data-step"), el.get_attribute("data-state"))
            for el in done.query_selector_all('[data-testid="deletion-step"]')] == [("Deactivate", "done"), ("Deleted", "done")]
    expect(page.get_by_test_id("pos-list-page")).to_be_visible()
    expect(pos_row(page, "Busy till")).to_have_count(0)

    status, body = api.call("POST", "/v1/pos/sync", {"receipts": []}, token=activation["device_token"])
    assert status == 401, (status, body)
    page.get_by_test_id("nav-receipts").click()
    expect(page.get_by_test_id("receipt-row")).to_have_count(1)
    expect(page.get_by_test_id("receipt-pos-name")).to_have_text("Busy till")
    expect(page.get_by_test_id("receipt-total")).to_have_text("€12.50")


def test_forms_show_validation_and_api_errors_inline(page: Page, api: Api):
    owner = api.signup()

    # Sign-up: client-side checks, then the API's field error (e-mail taken) under the field.
    page.goto("/#/signup")
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("error-business_name")).to_have_text("This field is required.")
    page.get_by_test_id("signup-business-name").fill("Copycat")
    page.get_by_test_id("signup-email").fill(owner["email"])
    page.get_by_test_id("signup-password").fill("short")
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("error-password")).to_have_text("Use at least 8 characters.")
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("error-email")).to_have_text("This e-mail is already used by another account.")
    expect(page.get_by_test_id("signup-email")).to_have_attribute("aria-invalid", "true")

    # Login: a wrong password is explained in words.
    page.get_by_test_id("to-login").click()
    page.get_by_test_id("login-email").fill(owner["email"])
    page.get_by_test_id("login-password").fill("wrong-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("The e-mail or password is wrong.")

    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("pos-list-page")).to_be_visible()

    # Create POS: the store is deleted meanwhile -> the API's store_id error shows under "Store".
    store = api.create_store(owner["token"], "Pop-up")
    page.goto("/#/pos/new")
    page.get_by_test_id("pos-name-input").fill("Till X")
    page.get_by_test_id("pos-store-select").select_option(label="Pop-up")
    api.ok("DELETE", f"/v1/stores/{store['id']}", token=owner["token"], status=204)
    page.get_by_test_id("save-pos").click()
    expect(page.get_by_test_id("error-store_id")).to_have_text("No store with that id.")
    expect(page.get_by_test_id("pos-store-select")).to_have_attribute("aria-invalid", "true")


def test_session_survives_reload_and_401_returns_to_login(page: Page, api: Api):
    owner = api.signup("Session shop")
    login_ui(page, owner["email"])
    page.reload()
    expect(page.get_by_test_id("pos-list-page")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_contain_text("Owner")

    # The token stops working (e.g. expired): the next call answers 401 -> back to login.
    page.evaluate("""() => {
        const s = JSON.parse(localStorage.getItem('pos-backoffice.session'));
        s.token = 'not-a-valid-token';
        localStorage.setItem('pos-backoffice.session', JSON.stringify(s));
    }""")
    page.get_by_test_id("nav-stores").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    expect(page.get_by_test_id("toast").last).to_contain_text("Your session has ended")
    assert page.evaluate("localStorage.getItem('pos-backoffice.session')") is None

    # Logging in again returns to where the session ended (issue 17), not to the POS list.
    page.get_by_test_id("login-email").fill(owner["email"])
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("stores-page")).to_be_visible()
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.goto("/#/receipts")
    expect(page.get_by_test_id("login-form")).to_be_visible()


def test_audit_findings_stores_and_employees(page: Page, api: Api):
    owner = api.signup()
    store = api.create_store(owner["token"], "Harbour")
    api.create_device(owner["token"], "Gappy till", store["id"])
    activation = api.activate(owner["email"], owner["password"], "Gappy till")
    number = activation["device"]["number"]
    # The device says it issued 5 receipts but only 1..3 arrive: 4 and 5 are missing.
    api.sync(activation["device_token"], {
        "state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": False},
        "receipts": [receipt(number, seq, 100 * seq) for seq in (1, 2, 3)],
    })

    login_ui(page, owner["email"])
    expect(pos_row(page, "Gappy till").get_by_test_id("unsynced-receipts")).to_have_text("2")
    page.get_by_test_id("nav-audit").click()
    page.get_by_test_id("run-audit").click()
    expect(page.get_by_test_id("audit-result")).to_be_visible()
    finding = page.locator('[data-testid="finding-row"][data-type="UNSYNCED_RECEIPTS"]')
    expect(finding).to_have_count(1)
    expect(finding.get_by_test_id("missing-receipt-numbers")).to_contain_text(f"{number}-4")
    expect(finding.get_by_test_id("missing-receipt-numbers")).to_contain_text(f"{number}-5")
    expect(finding).to_contain_text("Gappy till")
    page.get_by_test_id("findings-resolved").click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    # Stores: rename in a dialog, delete an empty one.
    page.get_by_test_id("nav-stores").click()
    page.get_by_test_id("store-name-input").fill("Kiosk")
    page.get_by_test_id("save-store").click()
    expect(page.get_by_test_id("store-row")).to_have_count(3)
    kiosk = page.get_by_test_id("store-row").filter(has_text="Kiosk")
    kiosk.get_by_test_id("edit-store").click()
    dialog = page.get_by_test_id("store-dialog")
    expect(dialog.get_by_test_id("store-edit-name")).to_be_focused()
    dialog.get_by_test_id("store-edit-name").fill("Kiosk North")
    dialog.get_by_test_id("store-dialog-save").click()
    expect(page.get_by_test_id("store-name").filter(has_text="Kiosk North")).to_have_count(1)
    page.get_by_test_id("store-row").filter(has_text="Kiosk North").get_by_test_id("delete-store").click()
    page.get_by_test_id("confirm-delete-store").click()
    expect(page.get_by_test_id("store-row")).to_have_count(2)

    # Employees: add a cashier with a PIN, change the role, remove.
    page.get_by_test_id("nav-employees").click()
    expect(page.get_by_test_id("employee-row")).to_have_count(1)
    page.get_by_test_id("add-employee").click()
    dialog = page.get_by_test_id("employee-dialog")
    dialog.get_by_test_id("employee-name").fill("Ola Kasjer")
    dialog.get_by_test_id("employee-pin").fill("12")
    dialog.get_by_test_id("employee-dialog-save").click()
    expect(dialog.get_by_test_id("error-pin")).to_have_text("The PIN is exactly 4 digits.")
    dialog.get_by_test_id("employee-pin").fill("1234")
    dialog.get_by_label("Harbour").check()
    dialog.get_by_test_id("employee-dialog-save").click()
    expect(dialog).to_have_count(0)
    ola = page.get_by_test_id("employee-row").filter(has_text="Ola Kasjer")
    expect(ola).to_contain_text("Cashier")
    expect(ola).to_contain_text("Harbour")
    ola.get_by_test_id("edit-employee").click()
    dialog = page.get_by_test_id("employee-dialog")
    dialog.get_by_test_id("employee-role").select_option("MANAGER")
    dialog.get_by_test_id("employee-email").fill(f"ola-{uuid.uuid4().hex[:6]}@example.com")
    dialog.get_by_test_id("employee-dialog-save").click()
    expect(dialog).to_have_count(0)
    expect(ola).to_contain_text("Manager")
    ola.get_by_test_id("delete-employee").click()
    page.get_by_test_id("confirm-delete-employee").click()
    expect(page.get_by_test_id("employee-row")).to_have_count(1)


def test_rename_keeps_receipt_names_and_paging(page: Page, api: Api):
    owner = api.signup()
    store = api.create_store(owner["token"], "Big store")
    api.create_device(owner["token"], "Old name", store["id"])
    activation = api.activate(owner["email"], owner["password"], "Old name")
    number = activation["device"]["number"]
    api.sync(activation["device_token"], {
        "state": {"last_receipt_number": 60, "open_tickets": 0, "shift_open": False},
        "receipts": [receipt(number, seq, 199, created_at=f"2026-11-24T{8 + seq // 60:02d}:{seq % 60:02d}:00Z")
                     for seq in range(1, 61)],
    })

    login_ui(page, owner["email"])
    open_pos_card(page, "Old name")
    page.get_by_test_id("pos-name-input").fill("")
    page.get_by_test_id("rename-save").click()
    expect(page.get_by_test_id("error-name")).to_have_text("This field is required.")
    page.get_by_test_id("pos-name-input").fill("New name")
    page.get_by_test_id("rename-save").click()
    expect(page.get_by_test_id("toast").last).to_contain_text('"New name"')
    page.get_by_test_id("nav-pos").click()
    expect(pos_row(page, "New name")).to_have_count(1)

    # 60 receipts: 50 on the first page, 10 on the next; the name is the one at sync time.
    page.get_by_test_id("nav-receipts").click()
    expect(page.get_by_test_id("receipt-row")).to_have_count(50)
    expect(page.get_by_test_id("receipt-pos-name").first).to_have_text("Old name")
    page.get_by_test_id("next-page").click()
    expect(page.get_by_test_id("receipt-row")).to_have_count(10)
    expect(page.get_by_test_id("next-page")).to_be_disabled()
    page.get_by_test_id("prev-page").click()
    expect(page.get_by_test_id("receipt-row")).to_have_count(50)

    # Filter by POS (the device list includes it under its new name) and by store.
    page.get_by_test_id("pos-filter").select_option(label="New name")
    expect(page.get_by_test_id("receipt-row")).to_have_count(50)
    expect(page).to_have_url(re.compile("pos_device_id="))
    page.get_by_test_id("store-filter").select_option(label="Big store")
    expect(page.get_by_test_id("receipt-row")).to_have_count(50)


def test_phone_width_layout(phone_page: Page, api: Api):
    page = phone_page
    owner = api.signup("Phone shop")
    store = api.create_store(owner["token"], "Tiny store")
    api.create_device(owner["token"], "Pocket till", store["id"])
    activation = api.activate(owner["email"], owner["password"], "Pocket till")
    api.sync(activation["device_token"], {
        "state": {"last_receipt_number": 1, "open_tickets": 0, "shift_open": False},
        "receipts": [receipt(activation["device"]["number"], 1, 990)]})

    login_ui(page, owner["email"])

    def assert_fits():
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"page is {overflow}px wider than the phone screen"

    row = pos_row(page, "Pocket till")
    expect(row.get_by_test_id("status-badge")).to_have_text("Activated")
    assert_fits()
    save_review_screenshot(page, "review-phone-pos-list")

    row.get_by_test_id("pos-name").click()
    expect(page.get_by_test_id("deactivate-button")).to_be_visible()
    assert_fits()
    save_review_screenshot(page, "review-phone-pos-card")
    page.get_by_test_id("delete-button").click()
    dialog = page.get_by_test_id("delete-dialog")
    expect(dialog.get_by_test_id("confirm-delete")).to_be_in_viewport()
    save_review_screenshot(page, "review-phone-delete-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    page.get_by_test_id("nav-receipts").click()
    expect(page.get_by_test_id("receipt-total")).to_have_text("€9.90")
    assert_fits()
    page.get_by_test_id("lang-select").select_option("pl")
    expect(page.get_by_test_id("nav-receipts")).to_have_text("Paragony")
    expect(page.get_by_test_id("receipt-total")).to_have_text(re.compile(r"^9,90\s€$"))
    assert_fits()
    save_review_screenshot(page, "review-phone-receipts-pl")


def test_every_ui_string_exists_in_both_languages(page: Page):
    page.goto("/")
    missing = page.evaluate("""async () => {
        const en = (await import('./i18n/en.js')).default;
        const pl = (await import('./i18n/pl.js')).default;
        const empty = (d) => Object.keys(d).filter((k) => !String(d[k]).trim());
        return {
            onlyEn: Object.keys(en).filter((k) => !(k in pl)),
            onlyPl: Object.keys(pl).filter((k) => !(k in en)),
            empty: [...empty(en), ...empty(pl)],
        };
    }""")
    assert missing == {"onlyEn": [], "onlyPl": [], "empty": []}
