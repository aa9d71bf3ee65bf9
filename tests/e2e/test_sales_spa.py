"""Issue 25.1, the back office's "Podsumowanie sprzedaży" in Polish: presets in the merchant's days, figures in one
amount format, grouping by store and by payment type, an own range, and an axe-core scan of the screen."""
import uuid

from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import PASSWORD, Api, login_ui, receipt
from tests.e2e.test_issue25_spa import NBSP, PHONE, polish


def test_sales_summary_in_polish(browser, server, api: Api):
    email = f"wlasciciel-{uuid.uuid4().hex[:8]}@example.com"
    status, body = api.call("POST", "/v1/signup", {"business_name": "Piekarnia Ola", "email": email,
                                                   "password": PASSWORD, "currency": "PLN",
                                                   "time_zone": "Europe/Warsaw"})
    assert status == 201, body
    token = body["token"]
    store = body["store"]  # the first store, made at sign-up
    api.create_device(token, "Kasa 1", store["id"])
    activation = api.activate(email, PASSWORD, "Kasa 1")
    n = activation["device"]["number"]
    sale = receipt(n, 1, 123456, item="Tort")  # now: today in Warsaw too
    card = receipt(n, 2, 700, item="Kawa")
    card["payments"] = [{"type": "CARD", "money_amount": 700}]
    old = receipt(n, 3, 5000, item="Chleb", created_at="2026-01-15T10:00:00Z")
    api.sync(activation["device_token"], {"state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False},
                                          "receipts": [sale, card, old]})
    with polish(browser, server, name="sales") as page:
        login_ui(page, email)
        page.get_by_role("link", name="Podsumowanie sprzedaży").click()
        expect(page.get_by_test_id("sales-page")).to_be_visible()
        expect(page.get_by_role("heading", name="Podsumowanie sprzedaży")).to_be_visible()
        expect(page.get_by_test_id("sales-receipts")).to_contain_text("2")
        expect(page.get_by_test_id("sales-gross")).to_contain_text(f"1{NBSP}241,56{NBSP}zł")
        expect(page.get_by_test_id("sales-range")).to_contain_text("Europe/Warsaw")
        # By store: the first store's name.
        page.get_by_label("Grupuj według").select_option("store")
        expect(page.get_by_test_id("sales-row")).to_have_count(1)
        expect(page.get_by_test_id("sales-row").first).to_contain_text("Piekarnia Ola")
        # By payment type, translated.
        page.get_by_label("Grupuj według").select_option("payment_type")
        expect(page.get_by_test_id("sales-table")).to_contain_text("Gotówka")
        expect(page.get_by_test_id("sales-table")).to_contain_text("Karta")
        # Yesterday: nothing.
        page.get_by_label("Okres").select_option("yesterday")
        expect(page.get_by_test_id("sales-receipts")).to_contain_text("0")
        # An own range holding January's receipt.
        page.get_by_label("Okres").select_option("custom")
        page.get_by_label("Od").fill("2026-01-01")
        page.get_by_label("Od").dispatch_event("change")
        page.get_by_label("Do").fill("2026-01-31")
        page.get_by_label("Do").dispatch_event("change")
        expect(page.get_by_test_id("sales-gross")).to_contain_text(f"50,00{NBSP}zł")
        assert axe_violations(page, "sales desktop") == []
        page.set_viewport_size(PHONE)
        assert axe_violations(page, "sales phone") == []
