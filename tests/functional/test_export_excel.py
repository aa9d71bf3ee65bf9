"""Issue 25.2: the receipts export as Polish Excel opens it right - UTF-8 with BOM, ';', decimal comma, times in
the merchant's time zone, receipt and payment types translated - and formulas still neutralised."""
import csv
import io
import uuid

import pytest

from tests.conftest import Merchant, receipt


@pytest.fixture
def shop(client):
    email = f"ola-{uuid.uuid4().hex[:8]}@example.com"
    status, body = client.post("/v1/signup", {"business_name": "Sklep Ola", "email": email,
                                              "password": "correct horse 1"}, headers={"Accept-Language": "pl"})
    assert status == 201, body
    m = Merchant(client, body["token"], email, "correct horse 1", body["employee"], body["merchant"])
    device, token = m.active_device("=Kasa;1")
    n = device["number"]
    receipts = [receipt(n, 1, total=123456, created_at="2026-07-01T22:30:00Z",
                        payments=[{"type": "CASH", "money_amount": 100000}, {"type": "CARD", "money_amount": 23456}]),
                receipt(n, 2, total=50, created_at="2026-12-01T10:00:00Z", receipt_type="REFUND",
                        payments=[{"type": "BLIK", "money_amount": 50}])]
    status, body = client.post("/v1/pos/sync", {"receipts": receipts}, token=token)
    assert status == 200 and body["accepted"] == 2, body
    return m, n


def export(client, m, query="", language=None):
    headers = {"Authorization": f"Bearer {m.token}"} | ({"Accept-Language": language} if language else {})
    response = client.http.http.get(f"/v1/receipts/export{query}", headers=headers)
    assert response.status_code == 200, response.body
    text = response.body.decode("utf-8")
    assert text.startswith("\ufeff")
    return response, text


def test_a_polish_caller_gets_what_polish_excel_opens_right(client, shop):
    m, n = shop
    response, text = export(client, m, language="pl-PL,pl;q=0.9")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Nr paragonu", "Data (Europe/Warsaw)", "Rodzaj", "POS", "Sklep", "Pracownik",
                       "Rodzaje płatności", "Suma", "Podatek", "Waluta", "Zsynchronizowano (Europe/Warsaw)"]
    refund, sale = rows[1], rows[2]  # newest first
    # 22:30 UTC on 1 July is 00:30 on 2 July in Warsaw (summer time); 10:00 UTC on 1 Dec is 11:00 (winter).
    assert sale[:3] == [f"{n}-1", "02.07.2026 00:30:00", "Sprzedaż"]
    assert refund[:3] == [f"{n}-2", "01.12.2026 11:00:00", "Zwrot"]
    assert sale[3] == "'=Kasa;1"  # a formula still neutralised, its ';' quoted by the CSV writer
    assert sale[4] == "Main store"
    assert sale[6] == "Karta, Gotówka" and refund[6] == "BLIK"
    assert (sale[7], sale[8], sale[9]) == ("1234,56", "0,00", "PLN") and refund[7] == "0,50"
    assert '"\'=Kasa;1"' in text  # quoted, so Excel does not split the name


def test_format_excel_pl_works_in_any_language_and_csv_stays_plain(client, shop):
    m, _ = shop
    _, text = export(client, m, "?format=excel-pl")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][1] == "Date (Europe/Warsaw)" and rows[2][1] == "02.07.2026 00:30:00"
    assert rows[2][2] == "Sale" and rows[2][7] == "1234,56" and rows[2][6] == "Card, Cash"
    _, text = export(client, m, "?format=csv", language="pl")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][1] == "Data (UTC)" and rows[2][1] == "2026-07-01T22:30:00Z" and rows[2][7] == "1234.56"
    assert rows[2][2] == "SALE"


def test_an_unknown_format_is_refused(client, shop):
    m, _ = shop
    status, body = client.get("/v1/receipts/export?format=xlsx", token=m.token)
    assert status == 400 and body["errors"][0]["field"] == "format"
