"""The demo data of `make run` in either language (POS_DEMO_LANGUAGE)."""
import pytest

from local.seed import DEMO_EMAIL, DEMO_PASSWORD, demo_language, seed_demo


@pytest.mark.parametrize("language, business, pos_names, currency", [
    ("en", "Demo Coffee", {"Spare tablet", "Till 1", "Till 2"}, "EUR"),
    ("pl", "Kawiarnia Demo", {"Zapasowy tablet", "Kasa 1", "Kasa 2"}, "PLN"),
])
def test_demo_data_in_both_languages(client, aws, language, business, pos_names, currency):
    from app import app

    seed_demo(app, language)
    status, login = client.post("/v1/auth/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert (status, login["merchant"]["business_name"]) == (200, business)
    assert login["merchant"]["currency"] == currency
    status, devices = client.get("/v1/pos_devices", token=login["token"])
    assert {d["name"] for d in devices["pos_devices"]} == pos_names
    status, receipts = client.get("/v1/receipts", token=login["token"])
    items = {i["item_name"] for r in receipts["receipts"] for i in r["line_items"]}
    assert items == ({"Kawa"} if language == "pl" else {"Coffee"})


@pytest.mark.parametrize("value, language", [(None, "en"), ("pl", "pl"), ("PL", "pl"), ("pl_PL", "pl"), ("de", "en")])
def test_demo_language_setting(monkeypatch, value, language):
    if value is None:
        monkeypatch.delenv("POS_DEMO_LANGUAGE", raising=False)
    else:
        monkeypatch.setenv("POS_DEMO_LANGUAGE", value)
    assert demo_language() == language
