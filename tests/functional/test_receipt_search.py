"""Receipts search and filters (number, dates, employee, payment type) and the CSV export (issue 17, item 5)."""
import csv
import io

import pytest

from tests.conftest import receipt


@pytest.fixture
def shop(client):
    m = client.signup(name="Sklep")
    device, token = m.active_device("Kasa 1")
    n = device["number"]
    status, ala = client.post("/v1/employees", {"name": "Ala Nowak", "role": "CASHIER", "pin": "1234"}, token=m.token)
    receipts = []
    for seq in range(1, 13):
        r = receipt(n, seq, total=100 * seq, created_at=f"2026-11-{10 + seq:02d}T10:00:00Z",
                    employee_id=ala["id"] if seq % 2 else m.owner["id"])
        if seq % 3 == 0:
            r["payments"] = [{"type": "CASH", "money_amount": 50}, {"type": "CARD", "money_amount": 100 * seq - 50}]
        elif seq % 3 == 1:
            r["payments"] = [{"type": "CARD", "money_amount": 100 * seq}]
        receipts.append(r)
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 12, "open_tickets": 0,
                                                          "shift_open": False}, "receipts": receipts, "shifts": []},
                               token=token)
    assert (status, body["accepted"]) == (200, 12), body
    return m, n, ala


def numbers(client, m, **query):
    path = "/v1/receipts?" + "&".join(f"{k}={v}" for k, v in query.items())
    status, body = client.get(path, token=m.token)
    assert status == 200, body
    return [r["receipt_number"] for r in body["receipts"]]


def test_search_by_number(client, shop):
    m, n, _ = shop
    assert numbers(client, m, receipt_number=f"{n}-1") == [f"{n}-12", f"{n}-11", f"{n}-10", f"{n}-1"]
    assert numbers(client, m, receipt_number=f"{n}-7") == [f"{n}-7"]
    assert numbers(client, m, receipt_number="99-") == []


def test_filters_by_dates_employee_and_payment_type(client, shop):
    m, n, ala = shop
    assert numbers(client, m, created_at_min="2026-11-15T00:00:00Z", created_at_max="2026-11-17T23:59:59Z") == [
        f"{n}-7", f"{n}-6", f"{n}-5"]
    assert numbers(client, m, employee_id=ala["id"]) == [f"{n}-{s}" for s in (11, 9, 7, 5, 3, 1)]
    cash = [f"{n}-{s}" for s in range(12, 0, -1) if s % 3 != 1]  # CASH alone (s%3==2) or CASH+CARD (s%3==0)
    assert numbers(client, m, payment_type="CASH") == cash
    assert numbers(client, m, payment_type="CARD", employee_id=ala["id"]) == [f"{n}-{s}" for s in (9, 7, 3, 1)]
    # Filters page like any list: a short page with a cursor is fine, nothing is skipped or repeated.
    seen, cursor = [], None
    while True:
        status, body = client.get(f"/v1/receipts?payment_type=CASH&limit=3" + (f"&cursor={cursor}" if cursor else ""),
                                  token=m.token)
        seen += [r["receipt_number"] for r in body["receipts"]]
        cursor = body["cursor"]
        if not cursor:
            break
    assert seen == cash


@pytest.mark.parametrize("query", ["receipt_number=abc", "payment_type=cash", "employee_id=%20"])
def test_bad_filters_are_400(client, shop, query):
    m, _, _ = shop
    status, body = client.get(f"/v1/receipts?{query}", token=m.token)
    assert status == 400, body


def export(client, m, query="", language=None):
    headers = {"Authorization": f"Bearer {m.token}"}
    if language:
        headers["Accept-Language"] = language
    response = client.http.http.get(f"/v1/receipts/export{query}", headers=headers)
    assert response.status_code == 200, response.body
    return response


def test_csv_export_of_the_current_filter(client, shop):
    m, n, ala = shop
    response = export(client, m, f"?employee_id={ala['id']}&payment_type=CARD&format=csv", language="pl")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="receipts.csv"' in response.headers["Content-Disposition"]
    text = response.body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Nr paragonu", "Data (UTC)", "Rodzaj"]
    assert [r[0] for r in rows[1:]] == [f"{n}-{s}" for s in (9, 7, 3, 1)]
    nine = rows[1]
    assert nine[3:] == ["Kasa 1", "Main store", "Ala Nowak", "CARD CASH", "9.00", "0.00", "EUR", nine[-1]]
    assert "X-Next-Cursor" not in response.headers


def test_csv_export_in_parts(client, shop):
    m, n, _ = shop
    first = export(client, m, "?limit=5")
    cursor = first.headers["X-Next-Cursor"]
    assert 'rel="next"' in first.headers["Link"]
    rows = list(csv.reader(io.StringIO(first.body.decode().lstrip("\ufeff"))))
    assert (rows[0][0], len(rows)) == ("Receipt number", 6)
    second = export(client, m, f"?limit=50&cursor={cursor}")
    more = list(csv.reader(io.StringIO(second.body.decode())))
    assert not second.body.decode().startswith("\ufeff")
    assert more[0][0] == f"{n}-7"  # no header again
    assert [r[0] for r in rows[1:] + more] == [f"{n}-{s}" for s in range(12, 0, -1)]
    assert "X-Next-Cursor" not in second.headers


def test_openapi_documents_the_new_parameters(client):
    status, doc = client.get("/v1/openapi.json")
    parameters = doc["components"]["parameters"]  # the shared ones (cursor, limit, headers) by $ref
    names = {(parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p)["name"]
             for p in doc["paths"]["/v1/receipts"]["get"]["parameters"]}
    assert {"receipt_number", "employee_id", "payment_type", "created_at_min", "created_at_max"} <= names
    assert "/v1/receipts/export" in doc["paths"]


@pytest.mark.parametrize("query, status", [("limit=0", 400), ("limit=10001", 400), ("limit=abc", 400),
                                           ("limit=10000", 200), ("limit=251", 200), ("cursor=garbage", 400),
                                           ("surprise=1", 400)])
def test_export_parameters(client, query, status):
    m = client.signup()
    response = client.http.http.get(f"/v1/receipts/export?{query}", headers={"Authorization": f"Bearer {m.token}"})
    assert response.status_code == status, response.body
