"""Pairing codes and the final sync on the POS card, in a real browser, in English and Polish (issue 16)."""
import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api, login_ui, receipt, save_review_screenshot

CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$")
COUNTDOWN = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")


def open_card(page: Page, name: str) -> None:
    page.get_by_test_id("nav-pos").click()
    page.get_by_test_id("pos-row").filter(has=page.get_by_test_id("pos-name").get_by_text(name, exact=True)) \
        .get_by_test_id("pos-name").click()
    expect(page.get_by_test_id("pos-name-input")).to_have_value(name)


def pair(api: Api, code: str):
    return api.call("POST", "/v1/pos/pair", {"code": code, "installation_id": f"tab-{uuid.uuid4().hex[:6]}"})


def device_with_owed(api: Api, owner: dict, name: str) -> dict:
    """An activated POS that reported 5 receipts and synced 3 of them."""
    activation = api.activate(owner["email"], owner["password"], name)
    number = activation["device"]["number"]
    api.sync(activation["device_token"], {"state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": False},
                                          "receipts": [receipt(number, seq, 500) for seq in (1, 2, 3)]})
    return activation


def test_pairing_code_is_shown_counts_down_and_works_once(page: Page, api: Api):
    owner = api.signup()
    store = api.create_store(owner["token"], "Main")
    till_p = api.create_device(owner["token"], "Till P", store["id"])
    api.create_device(owner["token"], "Till R", store["id"])
    login_ui(page, owner["email"])
    open_card(page, "Till P")
    panel = page.get_by_test_id("pairing-panel")
    expect(panel).to_contain_text("Pairing code")
    panel.get_by_test_id("generate-pairing-code").click()
    code = panel.get_by_test_id("pairing-code")
    expect(code).to_have_text(CODE)
    expect(code).to_be_focused()
    size = code.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 30, size  # big and readable
    countdown = panel.get_by_test_id("pairing-countdown")
    expect(countdown).to_have_text(COUNTDOWN)
    first = countdown.text_content()
    assert first.startswith(("10:00", "9:5")), first
    expect(countdown).not_to_have_text(first, timeout=3000)  # it counts down
    save_review_screenshot(page, "review-en-pairing-code")

    status, paired = pair(api, code.text_content().lower())
    assert status == 200 and paired["pos_device"]["status"] == "ACTIVATED", paired
    status, again = pair(api, code.text_content())
    assert status == 401 and again["errors"][0]["code"] == "PAIRING_CODE_INVALID"
    # The card notices by itself that a POS app used the code.
    expect(page.get_by_test_id("status-badge")).to_have_text("Activated", timeout=10_000)
    expect(page.get_by_test_id("pairing-panel")).to_have_count(0)
    # The activity log says how it was activated.
    page.goto(f"/#/events?pos_device_id={till_p['id']}")
    expect(page.get_by_text("Pairing code generated", exact=True)).to_be_visible()
    expect(page.get_by_text("Pairing code", exact=True)).to_be_visible()  # the method of the activation

    # Revoke: the code stops working at once.
    open_card(page, "Till R")
    panel = page.get_by_test_id("pairing-panel")
    panel.get_by_test_id("pairing-expiry").select_option("3600")
    panel.get_by_test_id("generate-pairing-code").click()
    expect(panel.get_by_test_id("pairing-countdown")).to_have_text(re.compile(r"^(1:00:00|59:\d\d)$"))
    revoked = panel.get_by_test_id("pairing-code").text_content()
    panel.get_by_test_id("revoke-pairing-code").click()
    expect(panel.get_by_test_id("pairing-code")).to_have_count(0)
    expect(panel.get_by_test_id("generate-pairing-code")).to_have_text("Generate pairing code")
    assert pair(api, revoked)[0] == 401
    # After a reload only "a code is active" can be shown (the server keeps its hash only).
    panel.get_by_test_id("generate-pairing-code").click()
    expect(panel.get_by_test_id("pairing-code")).to_have_text(CODE)
    page.reload()
    expect(page.get_by_test_id("pairing-active")).to_contain_text("A pairing code is active until")
    expect(page.get_by_test_id("pairing-code")).to_have_count(0)


def test_deactivate_with_final_sync_then_end_it(page: Page, api: Api):
    owner = api.signup()
    store = api.create_store(owner["token"], "Main")
    api.create_device(owner["token"], "Till F", store["id"])
    old = device_with_owed(api, owner, "Till F")
    login_ui(page, owner["email"])
    open_card(page, "Till F")
    page.get_by_test_id("deactivate-button").click()
    dialog = page.get_by_test_id("deactivate-dialog")
    expect(dialog.get_by_test_id("final-sync-option")).to_contain_text(
        "Let the old device upload its unsynced receipts for")
    expect(dialog.get_by_test_id("final-sync-enable")).to_be_checked()
    expect(dialog.get_by_test_id("final-sync-hours")).to_have_value("72")
    expect(dialog.get_by_test_id("final-sync-stolen-warning")).to_contain_text("If the device was stolen, switch this off")
    save_review_screenshot(page, "review-en-deactivate-final-sync")
    dialog.get_by_test_id("confirm-deactivate").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("status-badge")).to_have_text("Inactive")
    panel = page.get_by_test_id("final-sync-panel")
    expect(panel).to_contain_text("The old device can upload its unsynced receipts until")
    expect(panel.get_by_test_id("final-sync-owed")).to_have_text("Receipts still expected from it: 2.")
    # The old device uploads one of the two; the card shows what is still owed.
    number = old["device"]["number"]
    result = api.sync(old["device_token"], {"state": {"last_receipt_number": 5, "open_tickets": 0, "shift_open": False},
                                            "receipts": [receipt(number, 4, 500)]})
    assert result["accepted"] == 1, result
    page.reload()
    expect(page.get_by_test_id("final-sync-owed")).to_have_text("Receipts still expected from it: 1.")
    expect(page.get_by_test_id("pairing-panel")).to_be_visible()  # the slot can be paired at once
    # The device turns out to be stolen: end the final sync.
    page.get_by_test_id("end-final-sync").click()
    end_dialog = page.get_by_test_id("end-final-sync-dialog")
    expect(end_dialog.get_by_test_id("end-final-sync-loss")).to_contain_text(
        "Receipts still expected will be counted as lost: 1.")
    end_dialog.get_by_test_id("confirm-end-final-sync").click()
    expect(page.get_by_test_id("final-sync-panel")).to_have_count(0)
    expect(page.get_by_test_id("lost-receipts-total")).to_have_text("1")
    status, body = api.call("POST", "/v1/pos/sync", {"receipts": []}, token=old["device_token"])
    assert status == 401 and body["errors"][0]["code"] == "DEVICE_DEACTIVATED"


def test_polish_pairing_and_final_sync(page: Page, api: Api):
    owner = api.signup("Sklep")
    store = api.create_store(owner["token"], "Rynek")
    api.create_device(owner["token"], "Kasa 1", store["id"])
    api.create_device(owner["token"], "Kasa 2", store["id"])
    device_with_owed(api, owner, "Kasa 2")
    login_ui(page, owner["email"])
    page.get_by_test_id("lang-select").select_option("pl")

    open_card(page, "Kasa 1")
    panel = page.get_by_test_id("pairing-panel")
    expect(panel).to_contain_text("Kod parowania")
    expect(panel.get_by_test_id("pairing-expiry")).to_contain_text("10 minut")
    panel.get_by_test_id("generate-pairing-code").click()
    expect(panel.get_by_test_id("pairing-code")).to_have_text(CODE)
    expect(panel).to_contain_text("Kod wygaśnie za")
    expect(panel.get_by_test_id("revoke-pairing-code")).to_have_text("Unieważnij")
    expect(panel).to_contain_text("Kod działa tylko raz.")
    save_review_screenshot(page, "review-pl-pairing-code")

    open_card(page, "Kasa 2")
    page.get_by_test_id("deactivate-button").click()
    dialog = page.get_by_test_id("deactivate-dialog")
    expect(dialog.get_by_test_id("final-sync-option")).to_contain_text(
        "Pozwól staremu urządzeniu przesłać niezsynchronizowane paragony przez")
    expect(dialog.get_by_test_id("final-sync-stolen-warning")).to_contain_text(
        "Jeśli urządzenie zostało skradzione, wyłącz tę opcję")
    dialog.get_by_test_id("final-sync-hours").fill("200")
    dialog.get_by_test_id("confirm-deactivate").click()
    expect(dialog.get_by_test_id("error-final_sync_hours")).to_have_text("Wpisz pełną liczbę godzin od 1 do 168.")
    expect(page.get_by_test_id("status-badge")).to_have_text("Aktywowany")
    dialog.get_by_test_id("final-sync-hours").fill("24")
    dialog.get_by_test_id("confirm-deactivate").click()
    expect(dialog).to_have_count(0)
    panel = page.get_by_test_id("final-sync-panel")
    expect(panel).to_contain_text("Synchronizacja końcowa starego urządzenia")
    expect(panel.get_by_test_id("final-sync-owed")).to_have_text("Paragony, na które wciąż czekamy: 2.")
    expect(panel.get_by_test_id("end-final-sync")).to_have_text("Zakończ synchronizację końcową")
    save_review_screenshot(page, "review-pl-final-sync-panel")
    panel.get_by_test_id("end-final-sync").click()
    page.get_by_test_id("end-final-sync-dialog").get_by_test_id("confirm-end-final-sync").click()
    expect(page.get_by_test_id("final-sync-panel")).to_have_count(0)
    expect(page.get_by_test_id("lost-receipts-total")).to_have_text("2")
    english = re.compile(r"\b(the|receipts|final sync|pairing)\b", re.IGNORECASE)
    expect(page.get_by_test_id("pos-edit-page")).not_to_contain_text(english)


def test_the_countdown_ends_and_the_expired_code_is_gone(page: Page, api: Api):
    owner = api.signup()
    store = api.create_store(owner["token"], "Main")
    api.create_device(owner["token"], "Till X", store["id"])
    page.clock.install()
    login_ui(page, owner["email"])
    open_card(page, "Till X")
    panel = page.get_by_test_id("pairing-panel")
    panel.get_by_test_id("generate-pairing-code").click()
    expect(panel.get_by_test_id("pairing-code")).to_have_text(CODE)
    page.clock.fast_forward("09:00")
    expect(panel.get_by_test_id("pairing-countdown")).to_have_text(re.compile(r"^(1:00|0:59)$"))
    page.clock.fast_forward("01:05")
    expect(panel.get_by_test_id("pairing-code")).to_have_count(0)
    expect(panel.get_by_test_id("generate-pairing-code")).to_have_text("Generate pairing code")
