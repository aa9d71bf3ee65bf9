"""Accept-Language on the API (docs/CONTRACT.md section 3, v1.1): every sentence in the caller's language, records
stored as a key and parameters so that one record reads in both languages."""
import pytest

from chalicelib.adapters.models import FindingModel, PosDeviceModel
from tests.conftest import receipt

PL = {"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def sync(client, token, last=0, open_tickets=0, shift_open=False, receipts=()):
    status, body = client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": last, "open_tickets": open_tickets, "shift_open": shift_open},
        "receipts": list(receipts), "shifts": []}, token=token)
    assert status == 200, body
    return body


def test_wrong_password_in_both_languages(client):
    m = client.signup()
    wrong = {"email": m.email, "password": "wrong password 1"}
    status, body = client.post("/v1/auth/login", wrong, headers=PL)
    assert (status, body["errors"][0]) == (401, {
        "code": "INVALID_CREDENTIALS", "details": "Nieprawidłowy e-mail lub hasło.", "field": None})
    status, body = client.post("/v1/auth/login", wrong)
    assert body["errors"][0]["details"] == "The e-mail or password is wrong."


def test_language_headers_and_q_values(client):
    m = client.signup()
    response = client.http.http.get("/v1/stores", headers={"Authorization": f"Bearer {m.token}",
                                                           "Accept-Language": "en;q=0.4, pl;q=0.7"})
    assert response.headers["Content-Language"] == "pl"
    assert "Accept-Language" in response.headers["Vary"]
    response = client.http.http.get("/v1/stores/nope", headers={"Authorization": f"Bearer {m.token}",
                                                                "Accept-Language": "de, fr;q=0.9"})
    assert (response.status_code, response.headers["Content-Language"]) == (404, "en")
    assert response.json_body["errors"][0]["details"] == "No store with that id."


@pytest.mark.parametrize("call, code, polish", [
    (lambda c, m: c.get("/v1/pos_devices/x", token=m.token, headers=PL), "NOT_FOUND", "Nie ma POS o tym identyfikatorze."),
    (lambda c, m: c.delete("/v1/stores/" + m.store()["id"] + "x", token=m.token, headers=PL), "NOT_FOUND",
     "Nie ma sklepu o tym identyfikatorze."),
    (lambda c, m: c.delete(f"/v1/employees/{m.owner['id']}", token=m.token, headers=PL), "OWNER_CANNOT_BE_DELETED",
     "Nie można usunąć właściciela."),
    (lambda c, m: c.get("/v1/receipts/abc", token=m.token, headers=PL), "NOT_FOUND", "Nie ma paragonu o tym numerze."),
    # Path parameters that cannot be an id are refused before any route runs (api/http.py), in Polish too.
    (lambda c, m: c.get("/v1/pos_devices/a.b", token=m.token, headers=PL), "NOT_FOUND", "Nie ma POS o tym identyfikatorze."),
    (lambda c, m: c.patch("/v1/employees/a.b", {"name": "X"}, token=m.token, headers=PL), "NOT_FOUND",
     "Nie ma pracownika o tym identyfikatorze."),
    (lambda c, m: c.get("/v1/stores", token="bad", headers=PL), "UNAUTHENTICATED",
     "Najpierw się zaloguj: brak tokenu, jest nieprawidłowy lub wygasł."),
])
def test_errors_in_polish(client, call, code, polish):
    m = client.signup()
    status, body = call(client, m)
    assert (body["errors"][0]["code"], body["errors"][0]["details"]) == (code, polish), body


def test_store_with_devices_and_duplicate_pin_in_polish(client):
    m = client.signup()
    store = m.store()
    m.device("Till 1", store["id"])
    status, body = client.delete(f"/v1/stores/{store['id']}", token=m.token, headers=PL)
    assert (status, body["errors"][0]["code"]) == (409, "STORE_HAS_POS_DEVICES")
    assert body["errors"][0]["details"].startswith("Najpierw usuń urządzenia POS")
    employee = {"name": "Ala", "role": "CASHIER", "pin": "1234"}
    assert client.post("/v1/employees", employee, token=m.token)[0] == 201
    status, body = client.post("/v1/employees", employee | {"name": "Ola"}, token=m.token, headers=PL)
    assert (status, body["errors"][0]) == (409, {"code": "PIN_TAKEN", "details": "Ten PIN ma już inny pracownik.",
                                                 "field": "pin"})


def test_validation_errors_in_polish(client):
    m = client.signup()
    status, body = client.post("/v1/pos_devices", {"name": "x" * 101, "store_id": m.store()["id"], "extra": 1},
                               token=m.token, headers=PL)
    assert status == 400
    by_field = {e["field"]: e for e in body["errors"]}
    assert by_field["name"]["details"] == "Wpisz najwyżej 100 znaków."
    assert by_field["extra"] == {"code": "UNKNOWN_FIELD", "details": "Nieznane pole; usuń je.", "field": "extra"}
    status, body = client.post("/v1/pos_devices", {}, token=m.token, headers=PL)
    assert {e["details"] for e in body["errors"]} == {"To pole jest wymagane."}


def test_forbidden_role_in_polish(client):
    m = client.signup()
    m.employee("Kasia", "CASHIER", email="kasia@example.com", password="long enough 1")
    status, body = client.post("/v1/auth/login", {"email": "kasia@example.com", "password": "long enough 1"},
                               headers=PL)
    assert status == 403
    assert body["errors"][0]["details"] == "Tylko właściciel, administrator lub kierownik może logować się tutaj."
    status, body = client.post("/v1/auth/login", {"email": "kasia@example.com", "password": "long enough 1"})
    assert body["errors"][0]["details"] == "Only owners, administrators or managers may log in here."
    # A manager may not manage employees (the owner or an administrator only).
    manager = m.employee("Mia", "MANAGER", email="mia@example.com", password="long enough 1")["token"]
    status, body = client.post("/v1/employees", {"name": "X", "role": "CASHIER"}, token=manager, headers=PL)
    assert (status, body["errors"][0]["details"]) == (403, "Tylko właściciel lub administrator może zarządzać pracownikami."), body


def test_method_not_allowed_in_polish(client):
    status, body = client.call("PUT", "/v1/stores", headers=PL)
    assert (status, body["errors"][0]["details"]) == (405, "Ta metoda nie jest dozwolona dla tej ścieżki.")


def test_deletion_refusal_is_stored_as_a_key_and_reads_in_both_languages(client, aws):
    m = client.signup()
    device, token = m.active_device("Kasa 1")
    sync(client, token, last=5, receipts=[receipt(device["number"], s) for s in (1, 2)])
    assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
    client.wait_for_deletion(m.token, device["id"])

    status, pl = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token, headers=PL)
    n = device["number"]
    assert pl["error"]["code"] == "RECEIPTS_NOT_SYNCED"
    assert pl["error"]["details"].startswith(f"3 paragony nie są zsynchronizowane: {n}-3, {n}-4, {n}-5. "
                                             "Podłącz POS „Kasa 1” do Internetu"), pl
    waits = [s["details"] for s in pl["steps"] if s["details"].startswith("Oczekiwanie")]
    # POS_SYNC_WAIT_ATTEMPTS=2 (tests/conftest.py): two waits, numbered out of the setting, not out of 3.
    assert waits == ["Oczekiwanie na synchronizację 3 paragonów (oczekiwanie 1 z 2).",
                     "Oczekiwanie na synchronizację 3 paragonów (oczekiwanie 2 z 2)."], pl["steps"]
    assert pl["steps"][0]["details"].startswith("Sprawdzanie otwartych paragonów, Zmiany")
    status, en = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token, headers=EN)
    assert en["error"]["details"].startswith(f"3 receipts not synced: {n}-3, {n}-4, {n}-5.")
    assert [s["details"] for s in en["steps"] if s["details"].startswith("Waiting")][-1] == \
        "Waiting for 3 receipts to sync (wait 2 of 2)."
    # The record holds the key and its parameters, not a sentence.
    stored = PosDeviceModel.get(m.merchant["id"], device["id"]).deletion
    assert stored["error"]["key"] == "deletion.error.RECEIPTS_NOT_SYNCED"
    assert "details" not in stored["error"]
    assert stored["error"]["params"]["count"] == 3


@pytest.mark.parametrize("tickets, shift, code, polish", [
    (2, False, "OPEN_TICKETS", "Zamknij 2 otwarte paragony w POS „Kasa 1”"),
    (0, True, "SHIFT_OPEN", "Zamknij Zmianę w POS „Kasa 1”"),
])
def test_deletion_checks_in_polish(client, aws, tickets, shift, code, polish):
    m = client.signup()
    device, token = m.active_device("Kasa 1")
    sync(client, token, open_tickets=tickets, shift_open=shift)
    assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
    client.wait_for_deletion(m.token, device["id"])
    status, pl = client.get(f"/v1/pos_devices/{device['id']}", token=m.token, headers=PL)
    assert pl["deletion"]["error"]["code"] == code, pl
    assert pl["deletion"]["error"]["details"].startswith(polish), pl


def test_old_records_with_english_sentences_are_shown_as_they_are(client):
    m = client.signup()
    device = m.device("Till 1")
    item = PosDeviceModel.get(m.merchant["id"], device["id"])
    item.deletion = {"id": "d1", "status": "FAILED", "step": "Failed", "force": False, "route": "CHECKS",
                     "started_at": "2026-11-24T10:00:00Z", "finished_at": "2026-11-24T10:00:01Z",
                     "steps": [{"step": "Started", "at": "2026-11-24T10:00:00Z", "details": "Old sentence."}],
                     "error": {"code": "SHIFT_OPEN", "details": "Close the shift (old record)."}}
    item.save()
    status, body = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token, headers=PL)
    assert body["steps"][0]["details"] == "Old sentence."
    assert body["error"] == {"code": "SHIFT_OPEN", "details": "Close the shift (old record)."}


def test_findings_are_stored_as_keys_and_read_in_both_languages(client):
    m = client.signup()
    device, token = m.active_device("Kasa 1")
    sync(client, token, last=3, receipts=[receipt(device["number"], 1)])
    assert client.post("/v1/audit/runs", token=m.token)[0] == 202
    n = device["number"]
    status, pl = client.get("/v1/audit/findings?status=open", token=m.token, headers=PL)
    assert pl["findings"][0]["details"] == f"2 paragony wystawione w POS „Kasa 1” nie są na serwerze: {n}-2, {n}-3."
    status, en = client.get("/v1/audit/findings?status=open", token=m.token)
    assert en["findings"][0]["details"] == f"2 receipts issued on POS 'Kasa 1' are not on the server: {n}-2, {n}-3."
    stored = next(iter(FindingModel.query(m.merchant["id"])))
    assert stored.details is None
    assert stored.details_key == "finding.UNSYNCED_RECEIPTS"


@pytest.mark.parametrize("headers, body_extra, currency", [
    (PL, {}, "PLN"), (EN, {}, "EUR"), ({}, {}, "EUR"), (PL, {"currency": "EUR"}, "EUR"), (EN, {"currency": "GBP"}, "GBP"),
])
def test_the_merchant_currency_is_set_at_signup(client, headers, body_extra, currency):
    email = f"c-{currency.lower()}-{len(body_extra)}-{len(headers)}@example.com"
    status, body = client.post("/v1/signup", {"business_name": "Sklep", "email": email, "password": "long enough 1",
                                              **body_extra}, headers=headers)
    assert (status, body["merchant"]["currency"]) == (201, currency), body
    status, login = client.post("/v1/auth/login", {"email": email, "password": "long enough 1"})
    assert login["merchant"]["currency"] == currency


def test_an_unknown_currency_is_refused(client):
    status, body = client.post("/v1/signup", {"business_name": "Sklep", "email": "x@example.com",
                                              "password": "long enough 1", "currency": "XYZ"}, headers=PL)
    assert (status, body["errors"][0]["field"]) == (400, "currency")
    assert body["errors"][0]["details"].startswith("Dozwolone wartości: 'PLN'")


def test_sync_rejections_in_polish(client):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    bad_payments = receipt(n, 2)
    bad_payments["payments"] = [{"type": "CASH", "money_amount": 1}]
    invalid = receipt(n, 3)
    invalid["line_items"] = []
    status, body = client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False}, "shifts": [],
        "receipts": [receipt(n + 5, 1), bad_payments, invalid]}, token=token, headers=PL)
    assert status == 200, body
    details = {r["code"]: r["details"] for r in body["rejected"]}
    assert details["WRONG_POS_NUMBER"] == f"Numery paragonów tego POS zaczynają się od „{n}-”, a nie „{n + 5}-”."
    assert details["PAYMENTS_MISMATCH"] == "Płatności nie sumują się do total_money."
    assert details["INVALID_RECEIPT"] == "receipts.2.line_items: Musi mieć co najmniej 1 pozycję."


def test_lockout_in_polish(client):
    m = client.signup()
    for _ in range(5):
        assert client.post("/v1/auth/login", {"email": m.email, "password": "wrong password 1"})[0] == 401
    status, body = client.post("/v1/auth/login", {"email": m.email, "password": "wrong password 1"}, headers=PL)
    assert status == 429
    assert body["errors"][0]["details"] in ("Zbyt wiele nieudanych logowań na ten e-mail; spróbuj ponownie za "
                                            f"{n} {word}." for n, word in ((15, "minut"), (16, "minut"), (14, "minut")))


# ---------------------------------------------------------------- pairing codes, final sync, sync guards (issues 12, 16)


def test_pairing_errors_in_polish(client):
    m = client.signup()
    device = m.device("Kasa 1")
    status, body = client.post("/v1/pos/pair", {"code": "ZZZZ-ZZZZ", "installation_id": "t1"}, headers=PL)
    assert (status, body["errors"][0]) == (401, {
        "code": "PAIRING_CODE_INVALID", "field": None,
        "details": "Ten kod parowania jest nieprawidłowy, wygasł lub został już użyty; wygeneruj nowy kod w Panelu "
                   "Administracyjnym."})
    for _ in range(4):
        assert client.post("/v1/pos/pair", {"code": "ZZZZ-ZZZZ", "installation_id": "t1"})[0] == 401
    status, body = client.post("/v1/pos/pair", {"code": "ZZZZ-ZZZZ", "installation_id": "t1"}, headers=PL)
    assert (status, body["errors"][0]["code"]) == (429, "TOO_MANY_ATTEMPTS")
    assert body["errors"][0]["details"] in ("Zbyt wiele błędnych kodów parowania; spróbuj ponownie za "
                                            f"{n} minut." for n in (10, 11)), body
    status, body = client.post("/v1/pos/pair", {"code": "ZZZZ-ZZZZ", "installation_id": "t1"})
    assert body["errors"][0]["details"] in (f"Too many wrong pairing codes; try again in {n} minutes." for n in (10, 11))
    # A cashier has no back-office session, so neither pairing codes nor the end of a final sync.
    m.employee("Kasia", "CASHIER", email="kasia@example.com", password="long enough 1")
    status, body = client.post("/v1/auth/login", {"email": "kasia@example.com", "password": "long enough 1"},
                               headers=PL)
    assert (status, body["errors"][0]["details"]) == (403, "Tylko właściciel, administrator lub kierownik może logować się tutaj.")
    status, body = client.post(f"/v1/pos_devices/{device['id']}/end_final_sync", token=m.token, headers=PL)
    assert (status, body["errors"][0]) == (409, {"code": "NO_FINAL_SYNC", "field": None,
                                                 "details": "Ten POS nie ma otwartej synchronizacji końcowej."})


def test_final_sync_rejections_in_polish(client):
    m = client.signup()
    device, token = m.active_device("Kasa 1")
    n = device["number"]
    sync(client, token, last=2, receipts=[receipt(n, 1)])
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", {"final_sync_hours": 2}, token=m.token)[0] == 200
    bad_payments = receipt(n, 2)
    bad_payments["payments"] = [{"type": "CASH", "money_amount": 1}]
    status, body = client.post("/v1/pos/sync", {"shifts": [], "receipts": [
        receipt(n, 5000), bad_payments, receipt(n, 3), receipt(n, 3)]}, token=token, headers=PL)
    assert status == 200, body
    assert [(r["code"], r["details"]) for r in body["rejected"]] == [
        ("RECEIPT_OUTSIDE_FINAL_SYNC", f"Paragon {n}-5000 nie należy do paragonów tego urządzenia (od {n}-1 do "
                                       f"{n}-1002); po dezaktywacji POS to urządzenie może przesłać tylko swoje "
                                       "paragony."),
        ("PAYMENTS_MISMATCH", "Płatności nie sumują się do total_money."),
        ("RECEIPT_NUMBER_TAKEN", f"Numer paragonu {n}-3 występuje w tej paczce dwa razy.")]
    status, body = client.post("/v1/pos/sync", {"shifts": [], "receipts": [receipt(n, 5000)]}, token=token)
    assert body["rejected"][0]["details"] == (
        f"Receipt {n}-5000 is not one of this installation's own receipts ({n}-1 to {n}-1002); after its "
        "deactivation this POS may only upload those.")


def test_sync_guards_in_polish(client):
    m = client.signup()
    device, token = m.active_device("Kasa 1")
    n = device["number"]
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 100_001, "open_tickets": 0,
                                                          "shift_open": False}}, token=token, headers=PL)
    assert (status, body["errors"][0]) == (400, {
        "code": "LAST_RECEIPT_NUMBER_OUT_OF_RANGE", "field": "state.last_receipt_number",
        "details": "last_receipt_number 100001 za bardzo wyprzedza paragony zapisane na serwerze dla tego POS (do 0); "
                   "serwer przyjmuje najwyżej 100000 (o 100\u00a0000 więcej). Podaj numer ostatniego paragonu, "
                   "który ten POS naprawdę wystawił."})
    first, second = receipt(n, 1), receipt(n, 2)
    sync(client, token, last=1, receipts=[first])
    reused_in_batch = receipt(n, 3, id=second["id"])
    reused_stored = receipt(n, 4, id=first["id"])
    status, body = client.post("/v1/pos/sync", {"shifts": [], "receipts": [
        second, reused_in_batch, reused_stored, receipt(n, 999_999)]}, token=token, headers=PL)
    assert (status, body["accepted"]) == (200, 1), body
    assert sorted((r["code"], r["details"]) for r in body["rejected"]) == sorted([
        ("RECEIPT_ID_REUSED", f"Identyfikator paragonu {first['id']} ma już paragon {n}-1; każdy paragon musi "
                              "mieć własny identyfikator."),
        ("RECEIPT_ID_REUSED", f"Identyfikator paragonu {second['id']} występuje w tej paczce dwa razy, z "
                              "różnymi numerami; każdy paragon musi mieć własny identyfikator."),
        ("RECEIPT_NUMBER_OUT_OF_RANGE", f"Numer paragonu {n}-999999 za bardzo wyprzedza paragony zapisane na "
                                        "serwerze dla tego POS (do 1); przyjmowany jest najwyżej numer 100001.")])


def test_a_shift_of_another_pos_is_refused_in_polish(client):
    m = client.signup()
    first, first_token = m.active_device("Kasa 1")
    second, second_token = m.active_device("Kasa 2")
    shift = {"id": "shift-1", "opened_at": "2026-11-24T08:00:00Z"}
    assert client.post("/v1/pos/sync", {"shifts": [shift]}, token=first_token)[0] == 200
    status, body = client.post("/v1/pos/sync", {"shifts": [shift]}, token=second_token, headers=PL)
    assert (status, body["rejected_shifts"]) == (200, [{
        "id": "shift-1", "code": "SHIFT_NOT_OWNED",
        "details": "Ta Zmiana należy do innego POS; POS wysyła tylko Zmiany, które sam otworzył."}])
