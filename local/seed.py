"""Demo data for `make run`, created through the API itself (the same path a real user takes).

`POS_DEMO_LANGUAGE=pl` seeds it in Polish (names of the shop, stores, POS devices, employees, items)."""
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

from chalice.test import Client

DEMO_EMAIL = "owner@demo.example.com"
DEMO_PASSWORD = "demo-password"

# The words of the demo data, per language.
DEMO_TEXTS = {
    "en": {"business": "Demo Coffee", "old_town": "Old Town", "harbour": "Harbour", "cashier": "Ala Cashier",
           "spare": "Spare tablet", "till": "Till {n}", "item": "Coffee"},
    "pl": {"business": "Kawiarnia Demo", "old_town": "Stare Miasto", "harbour": "Przystań", "cashier": "Ala Kasjerka",
           "spare": "Zapasowy tablet", "till": "Kasa {n}", "item": "Kawa"},
}


def demo_language() -> str:
    language = os.environ.get("POS_DEMO_LANGUAGE", "en").strip().lower()[:2]
    return language if language in DEMO_TEXTS else "en"


def _call(client, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = getattr(client.http, method)(path, headers=headers, body=json.dumps(body) if body is not None else b"")
    data = json.loads(response.body) if response.body else None
    if response.status_code >= 300:
        raise RuntimeError(f"seeding failed: {method.upper()} {path} -> {response.status_code} {data}")
    return data


def _receipt(number: int, seq: int, at: datetime, shift_id: str, total: int, item: str = "Coffee") -> dict:
    return {"id": str(uuid.uuid4()), "receipt_number": f"{number}-{seq}", "receipt_type": "SALE",
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "shift_id": shift_id,
            "line_items": [{"item_name": item, "quantity": 1, "price": total, "total_money": total}],
            "payments": [{"type": "CASH", "money_amount": total}], "total_money": total, "total_tax": 0}


def seed_demo(chalice_app, language: str | None = None) -> dict:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    language = language or demo_language()
    words = DEMO_TEXTS[language]
    with Client(chalice_app) as client:
        signup = {"business_name": words["business"], "email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        if language == "pl":
            signup["currency"] = "PLN"
        owner = _call(client, "post", "/v1/signup", signup)
        token = owner["token"]
        center = _call(client, "post", "/v1/stores", {"name": words["old_town"], "address": "Rynek 1"}, token)
        harbour = _call(client, "post", "/v1/stores", {"name": words["harbour"], "address": "Nabrzeże 5"}, token)
        _call(client, "post", "/v1/employees", {"name": words["cashier"], "role": "CASHIER", "pin": "1234",
                                                "store_ids": [center["id"], harbour["id"]]}, token)
        _call(client, "post", "/v1/pos_devices", {"name": words["spare"], "store_id": harbour["id"]}, token)
        devices = []
        for name, store in ((words["till"].format(n=1), center), (words["till"].format(n=2), harbour)):
            device = _call(client, "post", "/v1/pos_devices", {"name": name, "store_id": store["id"]}, token)
            login = _call(client, "post", "/v1/pos/login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            activation = _call(client, "post", "/v1/pos/activate", {
                "login_token": login["login_token"], "pos_device_id": device["id"],
                "installation_id": f"demo-{name.replace(' ', '-').lower()}"})
            devices.append((device, activation["device_token"]))
        (till1, token1), (till2, token2) = devices
        # Till 1: a closed shift, every receipt synced.
        shift1 = {"id": str(uuid.uuid4()), "opened_at": (now - timedelta(hours=9)).isoformat(),
                  "closed_at": (now - timedelta(hours=1)).isoformat(), "starting_cash": 10000,
                  "expected_cash": 13500, "actual_cash": 13500}
        receipts1 = [_receipt(till1["number"], seq, now - timedelta(hours=8 - seq), shift1["id"], 350 * seq,
                              words["item"])
                     for seq in range(1, 6)]
        _call(client, "post", "/v1/pos/sync", {"state": {"last_receipt_number": 5, "open_tickets": 0,
                                                         "shift_open": False},
                                               "shifts": [shift1], "receipts": receipts1}, token1)
        # Till 2: an open shift; it sold 6 receipts but only 3 reached the server.
        shift2 = {"id": str(uuid.uuid4()), "opened_at": (now - timedelta(hours=3)).isoformat(),
                  "starting_cash": 5000}
        receipts2 = [_receipt(till2["number"], seq, now - timedelta(minutes=90 - seq * 10), shift2["id"], 420,
                              words["item"])
                     for seq in range(1, 4)]
        _call(client, "post", "/v1/pos/sync", {"state": {"last_receipt_number": 6, "open_tickets": 1,
                                                         "shift_open": True},
                                               "shifts": [shift2], "receipts": receipts2}, token2)
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
