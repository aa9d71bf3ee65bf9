"""Issue 22, access, sessions and bad input: reversed date ranges, CSV injection, lockout minutes, an owner who
could lock everyone out, cashiers in the back office, sessions that outlived a password change, logout."""
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import clock
from tests.conftest import receipt

T0 = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)


def _error(body) -> dict:
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert set(error) == {"code", "details", "field"}, error
    return error


def _employee(client, m, role, **extra):
    email = f"{role.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    body = m.employee(f"{role.title()} One", role, email=email, password="employee pass 1", **extra)
    body.pop("token")
    return body, email


def _login(client, email, password="employee pass 1"):
    status, body = client.post("/v1/auth/login", {"email": email, "password": password})
    assert status == 200, body
    return body["token"]


# ---------------------------------------------------------------- 17: created_at_min after created_at_max


@pytest.mark.parametrize("path", ["/v1/receipts", "/v1/receipts/export"])
def test_a_reversed_date_range_is_a_400_not_a_500(client, path):
    m = client.signup()
    query = "?created_at_min=2026-11-20T00:00:00Z&created_at_max=2026-11-10T00:00:00Z"
    status, body = client.get(path + query, token=m.token, headers={"Accept-Language": "pl"})
    assert status == 400, body
    error = _error(body)
    assert (error["code"], error["field"]) == ("INVALID_RANGE", "created_at_min"), error
    assert "2026-11-20T00:00:00Z" in error["details"], error
    assert "zamień" in error["details"], error
    # equal bounds are a valid (one-instant) range
    same = "?created_at_min=2026-11-20T00:00:00Z&created_at_max=2026-11-20T00:00:00Z"
    assert client.get(path + same, token=m.token)[0] == 200


# ---------------------------------------------------------------- 13: CSV injection


def test_csv_export_neutralises_formulas_in_names_and_keeps_numbers(client):
    m = client.signup()
    store = m.store("=HYPERLINK(\"http://evil\",\"x\")")
    device = m.device("@SUM(1+1)", store_id=store["id"])
    token = m.activate(device["id"])["device_token"]
    status, ala = client.post("/v1/employees", {"name": "+1 cmd|' /C calc'!A0", "role": "CASHIER"}, token=m.token)
    assert status == 201, ala
    bob = client.post("/v1/employees", {"name": "-2+3", "role": "CASHIER"}, token=m.token)[1]
    n = device["number"]
    receipts = [receipt(n, 1, total=1250, employee_id=ala["id"]), receipt(n, 2, total=99, employee_id=bob["id"])]
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 2, "open_tickets": 0,
                                                          "shift_open": False}, "receipts": receipts}, token=token)
    assert (status, body["accepted"]) == (200, 2), body
    response = client.http.http.get("/v1/receipts/export", headers={"Authorization": f"Bearer {m.token}"})
    assert response.status_code == 200, response.body
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8").lstrip("\ufeff"))))
    by_number = {r[0]: r for r in rows[1:]}
    one, two = by_number[f"{n}-1"], by_number[f"{n}-2"]
    assert (one[3], one[4]) == ("'@SUM(1+1)", "'=HYPERLINK(\"http://evil\",\"x\")"), one
    assert (one[5], two[5]) == ("'+1 cmd|' /C calc'!A0", "'-2+3"), (one, two)
    assert (one[7], two[7], one[8]) == ("12.50", "0.99", "0.00"), one  # amounts stay numbers
    for row in rows[1:]:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row[3:7]), row


# ---------------------------------------------------------------- 22: lockout minutes


@pytest.mark.parametrize("language, word", [("en", "15 minutes"), ("pl", "15 minut")])
def test_a_15_minute_lockout_says_15_minutes(client, language, word):
    clock.set_now(T0)
    try:
        m = client.signup()
        for _ in range(5):
            assert client.post("/v1/auth/login", {"email": m.email, "password": "wrong password"})[0] == 401
        response = client.http.http.post("/v1/auth/login", headers={"Content-Type": "application/json",
                                                                    "Accept-Language": language},
                                         body=f'{{"email": "{m.email}", "password": "wrong password"}}')
        assert response.status_code == 429
        details = _error(response.json_body)["details"]
        assert word in details, details
        assert "16" not in details, details
        assert response.headers["Retry-After"] == "900"
        clock.set_now(T0 + timedelta(minutes=14, seconds=30))  # 30 s left: "1 minute", Retry-After 30
        response = client.http.http.post("/v1/auth/login", headers={"Content-Type": "application/json"},
                                         body=f'{{"email": "{m.email}", "password": "wrong password"}}')
        assert (response.status_code, response.headers["Retry-After"]) == (429, "30")
        if language == "en":
            assert "1 minute." in _error(response.json_body)["details"]
    finally:
        clock.set_now(None)


# ---------------------------------------------------------------- 10: the owner keeps a way to log in


@pytest.mark.parametrize("field", ["email", "password"])
def test_the_owner_cannot_remove_their_own_email_or_password(client, field):
    m = client.signup()
    status, body = client.patch(f"/v1/employees/{m.owner['id']}", {field: None}, token=m.token)
    assert status == 400, body
    error = _error(body)
    assert (error["code"], error["field"]) == ("OWNER_NEEDS_LOGIN", field), error
    # nothing changed: the owner still logs in with the same e-mail and password
    assert client.post("/v1/auth/login", {"email": m.email, "password": m.password})[0] == 200
    # other employees may still be left without a password (POS-only staff)
    cas, _ = _employee(client, m, "MANAGER")
    assert client.patch(f"/v1/employees/{cas['id']}", {field: None}, token=m.token)[0] == 200


# ---------------------------------------------------------------- policy: no back office for a CASHIER


def test_a_cashier_gets_no_back_office_session(client):
    m = client.signup()
    _, email = _employee(client, m, "CASHIER")
    status, body = client.post("/v1/auth/login", {"email": email, "password": "employee pass 1"})
    assert (status, _error(body)["code"]) == (403, "FORBIDDEN"), body
    assert "token" not in body, body
    # the POS app is unchanged: a cashier still signs in on a POS by PIN or by e-mail and password
    _, token = m.active_device()
    status, body = client.post("/v1/pos/switch_user", {"email": email, "password": "employee pass 1"}, token=token)
    assert status == 200, body
    # the document says so: every back-office route may answer 403
    document = client.get("/v1/openapi.json")[1]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if {"userToken": []} in (operation.get("security") or []):
                assert "403" in operation["responses"], (method, path)


def test_a_manager_demoted_to_cashier_loses_the_back_office_at_once(client):
    m = client.signup()
    manager, email = _employee(client, m, "MANAGER")
    token = _login(client, email)
    assert client.get("/v1/receipts", token=token)[0] == 200
    assert client.patch(f"/v1/employees/{manager['id']}", {"role": "CASHIER"}, token=m.token)[0] == 200
    for path in ("/v1/receipts", "/v1/receipts/export", "/v1/employees", "/v1/stores", "/v1/events"):
        status, body = client.get(path, token=token)
        assert status == 401, (path, body)
    status, body = client.post("/v1/auth/login", {"email": email, "password": "employee pass 1"})
    assert status == 403, body


# ---------------------------------------------------------------- 9: sessions end at once


def test_one_login_activates_one_pos_and_may_retry_only_that_one(client):
    """Before: one login token activated two slots. Now the activation uses it up; the same installation may still
    retry the same slot with it (its answer lost), nothing else."""
    m = client.signup()
    first, second = m.device("Till 1"), m.device("Till 2", store_id=None)
    status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
    assert status == 200, login

    def activate(device, installation):
        return client.post("/v1/pos/activate", {"login_token": login["login_token"], "pos_device_id": device["id"],
                                                "installation_id": installation})

    status, body = activate(first, "install-a")
    assert status == 200, body
    for installation in ("install-a", "install-b"):  # the token is used up: as any token that is not one
        status, body = activate(second, installation)
        assert (status, _error(body)["code"]) == (401, "UNAUTHENTICATED"), body
    assert client.get(f"/v1/pos_devices/{second['id']}", token=m.token)[1]["status"] == "NOT_ACTIVATED"
    status, again = activate(first, "install-a")  # the first answer was lost: the same installation retries
    assert (status, again["pos_device"]["id"]) == (200, first["id"]), again
    status, body = activate(first, "install-c")  # another installation cannot take it over with that login
    assert status in (401, 409), body


def test_two_slots_raced_with_one_login_token_activate_one(client, threaded_app):
    from chalice.test import Client

    from tests.conftest import Api, at_once

    m = client.signup()
    devices = [m.device(f"Till {i}") for i in range(1, 5)]
    status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})

    def activate(device, installation):
        return lambda api: api.post("/v1/pos/activate", {"login_token": login["login_token"],
                                                         "pos_device_id": device["id"], "installation_id": installation})

    results = at_once(threaded_app, [activate(device, f"install-{i}") for i, device in enumerate(devices)])
    assert sorted(status for status, _ in results) == [200, 401, 401, 401], results
    listed = client.get("/v1/pos_devices", token=m.token)[1]["pos_devices"]
    assert sorted(d["status"] for d in listed) == ["ACTIVATED", "NOT_ACTIVATED", "NOT_ACTIVATED", "NOT_ACTIVATED"]


def test_a_deleted_employee_is_signed_out_of_the_pos_and_names_no_new_receipt(client):
    """Before: the deleted employee stayed the POS's current user, and receipts sent without `employee_id` carried
    their id. Now their session on the POS ends with the deletion: no current user, receipts name nobody."""
    m = client.signup()
    cashier, email = _employee(client, m, "CASHIER")
    device, token = m.active_device()
    other, other_token = m.active_device("Till 2")  # signed in as the owner: left alone
    status, body = client.post("/v1/pos/switch_user", {"email": email, "password": "employee pass 1"}, token=token)
    assert status == 200, body
    assert client.get("/v1/pos/me", token=token)[1]["current_employee_id"] == cashier["id"]
    assert client.delete(f"/v1/employees/{cashier['id']}", token=m.token)[0] == 204
    assert client.get("/v1/pos/me", token=token)[1]["current_employee_id"] is None
    assert client.get("/v1/pos/me", token=other_token)[1]["current_employee_id"] == m.owner["id"]
    status, body = client.post("/v1/pos/sync", {"receipts": [receipt(device["number"], 1)]}, token=token)
    assert (status, body["accepted"]) == (200, 1), body
    assert client.get(f"/v1/receipts/{device['number']}-1", token=m.token)[1]["employee_id"] is None


@pytest.mark.parametrize("change", ["revoke", {"role": "CASHIER"},
                                    {"email": "moved@example.com"}, {"store_ids": []}, "delete"])
def test_sessions_and_pos_login_tokens_end_when_the_employee_changes(client, change):
    m = client.signup()
    store = m.store()
    manager, email = _employee(client, m, "MANAGER", store_ids=[store["id"]])
    user_token = _login(client, email)
    status, login = client.post("/v1/pos/login", {"email": email, "password": "employee pass 1"})
    assert status == 200, login
    device = m.device(store_id=store["id"])
    # an unrelated change (the name) ends nothing
    assert client.patch(f"/v1/employees/{manager['id']}", {"name": "Renamed"}, token=m.token)[0] == 200
    assert client.get("/v1/stores", token=user_token)[0] == 200

    if change == "delete":
        assert client.delete(f"/v1/employees/{manager['id']}", token=m.token)[0] == 204
    elif change == "revoke":  # DELETE /v1/employees/{id}/access (issue 23): the password goes, sessions end
        assert client.delete(f"/v1/employees/{manager['id']}/access", token=m.token)[0] == 204
    else:
        status, body = client.patch(f"/v1/employees/{manager['id']}", change, token=m.token)
        assert status == 200, body
    status, body = client.get("/v1/stores", token=user_token)
    assert (status, _error(body)["code"]) == (401, "UNAUTHENTICATED"), body
    status, body = client.post("/v1/pos/activate", {"login_token": login["login_token"],
                                                    "pos_device_id": device["id"], "installation_id": "inst-1"})
    assert status == 401, body
    assert client.get(f"/v1/pos_devices/{device['id']}", token=m.token)[1]["status"] == "NOT_ACTIVATED"
    # the owner's own session is untouched
    assert client.get("/v1/stores", token=m.token)[0] == 200


def test_a_password_reset_of_the_owner_ends_the_owners_older_sessions(client):
    m = client.signup()
    other_session = _login(client, m.email, m.password)
    assert client.patch(f"/v1/employees/{m.owner['id']}", {"password": "new owner pass 9"}, token=m.token)[0] == 200
    assert client.get("/v1/stores", token=other_session)[0] == 401
    assert client.get("/v1/stores", token=m.token)[0] == 401
    fresh = _login(client, m.email, "new owner pass 9")
    assert client.get("/v1/stores", token=fresh)[0] == 200


def test_logout_ends_the_callers_session_only(client):
    m = client.signup()
    second = _login(client, m.email, m.password)
    response = client.http.http.post("/v1/auth/logout", headers={"Authorization": f"Bearer {m.token}"}, body=b"")
    assert response.status_code == 204
    assert not response.body
    status, body = client.get("/v1/stores", token=m.token)
    assert (status, _error(body)["code"]) == (401, "UNAUTHENTICATED"), body
    assert client.post("/v1/auth/logout", token=m.token)[0] == 401  # already over
    assert client.post("/v1/auth/logout")[0] == 401
    assert client.get("/v1/stores", token=second)[0] == 200  # the other session goes on


# ---------------------------------------------------------------- 9: sync accepts only this merchant's employees


def _sync(client, token, receipts=(), shifts=(), last=None):
    body = {"receipts": list(receipts), "shifts": list(shifts)}
    if last is not None:
        body["state"] = {"last_receipt_number": last, "open_tickets": 0, "shift_open": False}
    status, answer = client.post("/v1/pos/sync", body, token=token)
    assert status == 200, answer
    return answer


def test_sync_refuses_employee_ids_of_another_merchant_deleted_or_made_up(client):
    m, other = client.signup(), client.signup()
    device, token = m.active_device()
    n = device["number"]
    ala = client.post("/v1/employees", {"name": "Ala", "role": "CASHIER"}, token=m.token)[1]
    gone = client.post("/v1/employees", {"name": "Gone", "role": "CASHIER"}, token=m.token)[1]
    assert client.delete(f"/v1/employees/{gone['id']}", token=m.token)[0] == 204
    receipts = [receipt(n, 1, employee_id=ala["id"]), receipt(n, 2, employee_id=other.owner["id"]),
                receipt(n, 3, employee_id=gone["id"]), receipt(n, 4, employee_id="made-up-id"), receipt(n, 5)]
    answer = _sync(client, token, receipts, last=5)
    assert answer["accepted"] == 2, answer
    refused = {r["id"]: r for r in answer["rejected"]}
    assert ({r["code"] for r in refused.values()}, len(refused)) == ({"UNKNOWN_EMPLOYEE"}, 3), answer
    assert refused[receipts[1]["id"]]["details"].startswith(f"Employee {other.owner['id']} is not"), refused
    stored = client.get("/v1/receipts", token=m.token)[1]["receipts"]
    assert sorted(r["receipt_number"] for r in stored) == [f"{n}-1", f"{n}-5"]


# ---------------------------------------------------------------- 14: device timestamps in a sane window


def test_device_timestamps_far_from_the_server_clock_are_refused_per_item(client):
    clock.set_now(T0)
    try:
        m = client.signup()
        device, token = m.active_device()
        n = device["number"]
        receipts = [receipt(n, 1, created_at="2999-01-01T00:00:00Z"), receipt(n, 2, created_at="1999-12-31T23:59:59Z"),
                    receipt(n, 3, created_at="2026-11-25T09:59:00Z"),  # 23 h 59 min ahead: a clock off, kept
                    receipt(n, 4, created_at="2026-11-25T10:01:00Z"), receipt(n, 5, created_at="2026-11-24T09:00:00Z")]
        shifts = [{"id": "s-future", "opened_at": "2999-01-01T00:00:00Z"},
                  {"id": "s-backwards", "opened_at": "2026-11-24T09:00:00Z", "closed_at": "2026-11-24T08:00:00Z"},
                  {"id": "s-late-close", "opened_at": "2026-11-24T08:00:00Z", "closed_at": "2999-01-01T00:00:00Z"},
                  {"id": "s-ok", "opened_at": "2026-11-24T08:00:00Z", "closed_at": "2026-11-24T09:30:00Z"}]
        answer = _sync(client, token, receipts, shifts, last=5)
        assert answer["accepted"] == 2, answer
        codes = {r["id"]: r["code"] for r in answer["rejected"]}
        assert codes == {receipts[i]["id"]: "TIMESTAMP_OUT_OF_RANGE" for i in (0, 1, 3)}, answer
        assert "2999-01-01T00:00:00Z" in next(r["details"] for r in answer["rejected"] if r["id"] == receipts[0]["id"])
        assert {(s["id"], s["code"]) for s in answer["rejected_shifts"]} == {
            ("s-future", "TIMESTAMP_OUT_OF_RANGE"), ("s-backwards", "SHIFT_CLOSED_BEFORE_OPENED"),
            ("s-late-close", "TIMESTAMP_OUT_OF_RANGE")}, answer
        assert [s["id"] for s in client.get("/v1/shifts", token=m.token)[1]["shifts"]] == ["s-ok"]
        newest = client.get("/v1/receipts", token=m.token)[1]["receipts"][0]
        assert newest["receipt_number"] == f"{n}-3", newest  # nothing from 2999 sorts first
    finally:
        clock.set_now(None)


# ---------------------------------------------------------------- 12: a code outlives no demotion of its creator


@pytest.mark.parametrize("change", ["demote", "delete"])
def test_a_pairing_code_of_a_manager_since_demoted_or_deleted_no_longer_activates(client, change):
    m = client.signup()
    device = m.device()
    manager, email = _employee(client, m, "MANAGER", store_ids=[device["store_id"]])
    token = _login(client, email)
    status, code = client.post(f"/v1/pos_devices/{device['id']}/pairing_code", {}, token=token)
    assert status == 201, code
    if change == "demote":
        assert client.patch(f"/v1/employees/{manager['id']}", {"role": "CASHIER"}, token=m.token)[0] == 200
    else:
        assert client.delete(f"/v1/employees/{manager['id']}", token=m.token)[0] == 204
    status, body = client.post("/v1/pos/pair", {"code": code["code"], "installation_id": "inst-1"})
    assert (status, _error(body)["code"]) == (401, "PAIRING_CODE_INVALID"), body
    assert client.get(f"/v1/pos_devices/{device['id']}", token=m.token)[1]["status"] == "NOT_ACTIVATED"


# ---------------------------------------------------------------- 11: pairing limits per source, honest Retry-After


def _pair_from(client, monkeypatch, address, code, installation_id):
    from chalice.local import LambdaEventConverter

    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", address)
    return client.http.http.post("/v1/pos/pair", headers={"Content-Type": "application/json"},
                                 body=f'{{"code": "{code}", "installation_id": "{installation_id}"}}')


def test_one_source_guessing_pairing_codes_does_not_block_pairing_for_others(client, monkeypatch):
    clock.set_now(T0)
    try:
        m = client.signup()
        device = m.device()
        code = client.post(f"/v1/pos_devices/{device['id']}/pairing_code", {}, token=m.token)[1]["code"]
        # A fresh installation id per guess: the attacker's address is what stops them (PAIR_SOURCE_LIMIT, 20).
        answers = [_pair_from(client, monkeypatch, "203.0.113.9", "ZZZZ-ZZZZ", f"g{i}").status_code for i in range(20)]
        assert answers == [401] * 20, answers
        refused = _pair_from(client, monkeypatch, "203.0.113.9", code, "g-last")
        assert (refused.status_code, refused.json_body["errors"][0]["code"]) == (429, "TOO_MANY_ATTEMPTS")
        assert refused.headers["Retry-After"] == "600", refused.headers  # the 10-minute window, not 900
        assert "10 minutes" in refused.json_body["errors"][0]["details"]
        # even far more guesses than the old service-wide limit (200) leave every other address alone
        for i in range(200):
            assert _pair_from(client, monkeypatch, "203.0.113.9", "ZZZZ-ZZZZ", f"h{i}").status_code == 429
        honest = _pair_from(client, monkeypatch, "198.51.100.7", code, "honest-till")
        assert honest.status_code == 200, honest.json_body
    finally:
        clock.set_now(None)


# ---------------------------------------------------------------- 15: invisible characters do not make a new name


@pytest.mark.parametrize("name", ["Till\u200b 1", "\u202eTill 1", "Till\u200d 1\u200c", "\ufeffTill 1",
                                  "T\u00adill 1", "Till\u2066 1\u2069", "Till 1\ufe0f", "Ｔｉｌｌ　１",
                                  "Till\u00a01", "\u200eTILL 1",
                                  # cross-script look-alikes (Cyrillic Te, Ukrainian i, Greek Tau and iota)
                                  "\u0422ill 1", "T\u0456ll 1", "\u03a4\u03b9ll 1"])
def test_invisible_and_compatibility_characters_do_not_make_a_new_pos_name(client, name):
    m = client.signup()
    store = m.store()
    m.device("Till 1", store["id"])
    status, body = client.post("/v1/pos_devices", {"name": name, "store_id": store["id"]}, token=m.token)
    assert (status, _error(body)["code"]) == (409, "NAME_TAKEN"), (name, body)
    other = m.device("Till 2", store["id"])
    status, body = client.patch(f"/v1/pos_devices/{other['id']}", {"name": name}, token=m.token)
    assert (status, _error(body)["code"]) == (409, "NAME_TAKEN"), (name, body)


# ---------------------------------------------------------------- 20: every answer in the caller's language


PL = {"Accept-Language": "pl"}


def test_validation_sentences_and_choice_lists_are_polish(client):
    m = client.signup()
    status, body = client.get("/v1/receipts?created_at_min=2026-13-01T00:00:00Z", token=m.token, headers=PL)
    assert (status, _error(body)["field"]) == (400, "created_at_min"), body
    assert _error(body)["details"] == "Musi być datą i godziną ISO 8601, np. 2026-11-24T10:00:00Z.", body
    status, body = client.post("/v1/employees", {"name": "X", "role": "BOSS"}, token=m.token, headers=PL)
    assert (status, _error(body)["details"]) == (
        400, "Dozwolone wartości: 'OWNER', 'ADMINISTRATOR', 'MANAGER' lub 'CASHIER'."), body
    status, body = client.post("/v1/employees", {"name": "X", "role": "BOSS"}, token=m.token)
    assert _error(body)["details"].endswith("'OWNER', 'ADMINISTRATOR', 'MANAGER' or 'CASHIER'."), body


def test_the_csv_answer_names_its_language(client):
    m = client.signup()
    for language in ("pl", "en"):
        response = client.http.http.get("/v1/receipts/export", headers={"Authorization": f"Bearer {m.token}",
                                                                         "Accept-Language": language})
        assert response.status_code == 200
        assert (response.headers["Content-Language"], response.headers["Vary"]) == (language, "Accept-Language")


@pytest.fixture
def local_http(threaded_app):
    """The local server's HTTP handler (local/server.py, what `make run` serves) in process, on moto."""
    import threading

    from chalice.config import Config
    from chalice.local import LocalDevServer

    from local import server as local_server

    local_server._ROUTES.update({path: entry.keys() for path, entry in threaded_app.routes.items()})
    dev = LocalDevServer(threaded_app, Config(chalice_stage="dev"), "127.0.0.1", 0, handler_cls=local_server.Handler)
    thread = threading.Thread(target=dev.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{dev.server.server_address[1]}"
    finally:
        dev.server.shutdown()
        dev.server.server_close()


def _http(url, method="GET", headers=None, body=None):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_an_unknown_path_is_a_404_in_the_error_shape_and_never_echoes_the_token(local_http):
    status, _, body = _http(local_http + "/v1/signup", "POST", {"Content-Type": "application/json"}, json.dumps(
        {"business_name": "Cafe", "email": "echo@example.com", "password": "correct horse 1"}).encode())
    assert status == 201, body
    token = json.loads(body)["token"]
    for method, path in (("GET", "/v1/no/such/thing"), ("POST", "/v1/stores/x/y/z"), ("DELETE", "/v1/"),
                         ("GET", "/v1/receipts/1-1/more")):
        status, headers, body = _http(local_http + path, method, {"Authorization": f"Bearer {token}", **PL})
        assert status == 404, (method, path, status, body)
        answer = json.loads(body)
        assert _error(answer) == {"code": "NOT_FOUND", "field": None,
                                  "details": "Nie ma takiej ścieżki w tym API; zobacz /v1/openapi.json."}, answer
        assert token not in body.decode(), body
        assert "Authorization" not in body.decode(), body
        assert headers["Content-Language"] == "pl"
    # a known path still works with the same token, and an unknown method there answers 405 in Polish
    assert _http(local_http + "/v1/stores", "GET", {"Authorization": f"Bearer {token}"})[0] == 200
    status, headers, body = _http(local_http + "/v1/stores", "TRACE", PL)
    assert (status, headers["Allow"]) == (405, "GET, OPTIONS, POST"), headers
    assert _error(json.loads(body))["details"] == "Ta metoda nie jest dozwolona dla tej ścieżki.", body
    status, _, body = _http(local_http + "/not-the-api", "POST", {"Authorization": f"Bearer {token}"})
    assert status == 405, body
    assert token not in body.decode(), body


# ---------------------------------------------------------------- 19: storage briefly unavailable on the API path


@pytest.mark.engine("moto")  # makes the DynamoDB requests fail
def test_reading_a_stalled_deletion_while_storage_is_unavailable_answers_503(client, monkeypatch):
    """GET .../deletion finds a deletion whose execution died and records it FAILED (Stopped); when that write
    meets unavailable storage, the answer is 503 SERVICE_UNAVAILABLE (retry), not the workflow's TransientError
    as a 500 INTERNAL."""
    import time

    import boto3

    from chalicelib.config import reload, settings
    from tests.robustness.harness import FaultInjector, injected_faults

    monkeypatch.setenv("POS_SYNC_WAIT_SECONDS", "30")  # the execution waits for a missing receipt ...
    reload()
    try:
        m = client.signup()
        device, token = m.active_device()
        _sync(client, token, [receipt(device["number"], 1)], last=2)
        assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
        record = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token)[1]
        arn = settings().state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + record["id"]
        functions = boto3.client("stepfunctions", region_name=settings().region)
        deadline = time.monotonic() + 30

        def waiting() -> bool:
            events = functions.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            return any(e["type"] == "WaitStateEntered" for e in events)

        while not waiting():  # in its Wait state (moto cannot stop an execution still starting) ...
            assert time.monotonic() < deadline
            time.sleep(0.05)
        functions.stop_execution(executionArn=arn)  # ... and dies there, its end never recorded
        while functions.describe_execution(executionArn=arn)["status"] == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        clock.set_now(clock.now() + timedelta(minutes=5))  # long enough to be checked as stalled
        with injected_faults(FaultInjector(share=1.0, operations=frozenset({"TransactWriteItems", "UpdateItem",
                                                                            "PutItem"}))):
            status, body = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token)
        assert (status, _error(body)["code"]) == (503, "SERVICE_UNAVAILABLE"), body
        # storage back: the same read records the stop
        status, body = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token)
        assert (status, (body["status"], body["step"])) == (200, ("FAILED", "Stopped")), body
    finally:
        clock.set_now(None)
        monkeypatch.delenv("POS_SYNC_WAIT_SECONDS")
        reload()


# ---------------------------------------------------------------- 16: responses bounded by size, not only count


def _big_receipt(n, seq):
    items = [{"item_name": f"Item {i:03d} " + "x" * 60, "quantity": 1, "price": 1, "total_money": 1} for i in range(500)]
    return receipt(n, seq, total=500, line_items=items, created_at=f"2026-11-24T10:{seq:02d}:00Z")


def test_a_page_of_big_receipts_ends_early_with_a_cursor_and_loses_nothing(client, monkeypatch):
    from chalicelib.services import records

    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    for first in (1, 5):
        answer = _sync(client, token, [_big_receipt(n, s) for s in range(first, first + 4)], last=first + 3)
        assert answer["accepted"] == 4, answer
    one = len(json.dumps(client.get(f"/v1/receipts/{n}-1", token=m.token)[1]))
    assert one > 40_000  # each receipt weighs ~50 KB: 8 of them would be ~400 KB
    monkeypatch.setattr(records, "RESPONSE_BUDGET_BYTES", 3 * one, raising=False)  # 2 MB, scaled to the test
    seen, cursor, pages = [], None, 0
    while True:
        response = client.http.http.get("/v1/receipts?limit=250" + (f"&cursor={cursor}" if cursor else ""),
                                        headers={"Authorization": f"Bearer {m.token}"})
        assert response.status_code == 200
        body = json.loads(response.body)
        assert 1 <= len(body["receipts"]) <= 3, (len(body["receipts"]), len(response.body))
        assert len(response.body) <= 3.2 * one, (len(body["receipts"]), len(response.body))
        seen += [r["receipt_number"] for r in body["receipts"]]
        pages += 1
        cursor = body["cursor"]
        if not cursor:
            break
    assert seen == [f"{n}-{s}" for s in range(8, 0, -1)], (seen, pages)
    assert pages >= 3, (seen, pages)


def test_a_csv_part_ends_early_with_a_cursor_and_loses_nothing(client, monkeypatch):
    from chalicelib.services import records

    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    _sync(client, token, [receipt(n, s, created_at=f"2026-11-24T10:{s:02d}:00Z") for s in range(1, 13)], last=12)
    monkeypatch.setattr(records, "EXPORT_PAGE", 3)
    monkeypatch.setattr(records, "CSV_BUDGET_BYTES", 500, raising=False)  # 3 MB, scaled to the test: a few chunks per part
    rows, cursor, parts = [], None, 0
    while True:
        response = client.http.http.get("/v1/receipts/export?limit=10000" + (f"&cursor={cursor}" if cursor else ""),
                                        headers={"Authorization": f"Bearer {m.token}"})
        assert response.status_code == 200
        part = list(csv.reader(io.StringIO(response.body.decode("utf-8").lstrip("\ufeff"))))
        rows += part[1:] if cursor is None else part
        parts += 1
        cursor = response.headers.get("X-Next-Cursor")
        if not cursor:
            break
    assert [r[0] for r in rows] == [f"{n}-{s}" for s in range(12, 0, -1)], (rows, parts)
    assert parts >= 2, (rows, parts)
