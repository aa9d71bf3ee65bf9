"""Issue 8.4: auth and isolation on every route of chalicelib.api.http.OPERATIONS.

For each operation: no token, a malformed token, an expired token, a device token on a back-office route
and a user token on a device route answer 401; another merchant's token answers 404 for this merchant's
ids and never shows their data; a CASHIER gets 403 on owner/manager actions. Tokens and passwords never
appear in responses (except the token-issuing ones) nor in any log record, botocore's DEBUG included."""
import json
import logging
import uuid
from datetime import timedelta

import pytest

from chalicelib import clock
import app  # noqa: F401 - importing the app registers every route in OPERATIONS
from chalicelib.api.http import OPERATIONS

MUTATING = {"POST", "PATCH", "DELETE"}
OWNER_ONLY = {("POST", "/v1/employees"), ("PATCH", "/v1/employees/{employee_id}"),
              ("DELETE", "/v1/employees/{employee_id}"), ("POST", "/v1/employees/{employee_id}/invitation"),
              ("DELETE", "/v1/employees/{employee_id}/access")}
TOKEN_ISSUING = {("POST", "/v1/signup"), ("POST", "/v1/auth/login"), ("POST", "/v1/pos/login"),
                 ("POST", "/v1/pos/activate"), ("POST", "/v1/pos/pair")}


# The world has no SHIFT_LEFT_OPEN finding to acknowledge: the owner's request reaches the use case, which answers
# 404 (tests/functional/test_finding_acknowledge.py acknowledges a real one).
NO_OPEN_FINDING = "00000000-0000-4000-8000-000000000025"
ACKNOWLEDGE = ("POST", "/v1/audit/findings/{finding_id}/acknowledge")


def _request(op, world, spare_employee_id):
    """A request that this merchant's owner may make (ids of `world`)."""
    ids = {"store_id": world.store["id"], "device_id": world.device["id"], "employee_id": spare_employee_id,
           "receipt_number": world.receipt_numbers[0], "run_id": world.audit_run_id, "token_id": world.api_token["id"],
           "webhook_id": world.webhook["id"], "delivery_id": world.delivery["id"],
           "finding_id": NO_OPEN_FINDING}
    path = op.path.format(**{k: v for k, v in ids.items() if "{" + k + "}" in op.path})
    if (op.method, op.path) == ("DELETE", "/v1/stores/{store_id}"):
        path = f"/v1/stores/{world.empty_store['id']}"
    if (op.method, op.path) in {("DELETE", "/v1/pos_devices/{device_id}"),
                                ("POST", "/v1/pos_devices/{device_id}/deactivate")}:
        path = path.replace(world.device["id"], world.idle_device["id"])
    bodies = {
        ("POST", "/v1/stores"): {"name": "New store"},
        ("PATCH", "/v1/stores/{store_id}"): {"name": "Renamed store"},
        ("POST", "/v1/employees"): {"name": "New", "role": "CASHIER"},
        ("PATCH", "/v1/employees/{employee_id}"): {"name": "Renamed"},
        ("POST", "/v1/pos_devices"): {"name": "Till 9", "store_id": world.store["id"]},
        ("PATCH", "/v1/pos_devices/{device_id}"): {"name": "Till 1b"},
        ("POST", "/v1/pos/switch_user"): {"employee_id": world.cashier["id"], "pin": "2222"},
        ("POST", "/v1/pos/sync"): {"receipts": []},
        ("POST", "/v1/api_tokens"): {"name": "BI", "access": "READ"},
        ("POST", "/v1/webhooks"): {"url": "http://127.0.0.1:9/other", "event_types": ["shift.closed"]},
        ("PATCH", "/v1/webhooks/{webhook_id}"): {"enabled": False},
    }
    return path, bodies.get((op.method, op.path))


def _authorized(op, status, answer) -> bool:
    """Let through: a success, a 409 on a change (the slot's state), or 'no deletion yet' (the device exists)."""
    if status < 400:
        return True
    code = answer["errors"][0]["code"]
    if (op.method, op.path) == ACKNOWLEDGE:
        return status == 404 and code == "NOT_FOUND" and "finding" in answer["errors"][0]["details"]
    return (status == 409 and op.method in MUTATING) or (status == 404 and code == "NO_DELETION")


def _ids_of(world) -> set[str]:
    return {world.owner.merchant["id"], world.owner.owner["id"], world.store["id"], world.empty_store["id"],
            world.device["id"], world.idle_device["id"], world.manager["id"], world.cashier["id"], world.shift_id,
            world.audit_run_id, world.api_token["id"], world.webhook["id"], world.delivery["id"]}


def _leaks(body, ids) -> set[str]:
    text = json.dumps(body)
    return {i for i in ids if i in text}


# The spare employee's own deletion last: the routes under /v1/employees/{employee_id}/... need it.
PROTECTED = sorted((op for op in OPERATIONS if op.auth),
                   key=lambda op: (op.method, op.path) == ("DELETE", "/v1/employees/{employee_id}"))


@pytest.fixture
def spare(world):
    # a MANAGER with an e-mail and no access yet: one the owner may invite (issue 23)
    status, body = world.api.post("/v1/employees", {"name": "Spare", "role": "MANAGER",
                                                    "email": f"spare-{uuid.uuid4().hex[:8]}@example.com"},
                                  token=world.owner.token)
    assert status == 201, body
    return body["id"]


def test_every_protected_route_refuses_missing_malformed_and_wrong_kind_tokens(world, spare):
    api = world.api
    assert len(PROTECTED) >= 25
    bad_headers = [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer  \t", "Bearer " + "x" * 5000,
                   "Bearer \u00e9\u00e8", "Token " + world.owner.token, world.owner.token,
                   "Bearer " + world.owner.token[:-1], "Bearer " + world.owner.token + "x"]
    for op in PROTECTED:
        path, body = _request(op, world, spare)
        for header in bad_headers:
            headers = {} if header is None else {"Authorization": header}
            status, answer = api.call(op.method, path, body=body, headers=headers)
            assert status == 401, (op.method, op.path, header, answer)
            assert answer["errors"][0]["code"] == "UNAUTHENTICATED", answer
        wrong_kind = world.device_token if op.auth == "user" else world.owner.token
        status, answer = api.call(op.method, path, body=body, token=wrong_kind)
        assert (status, answer["errors"][0]["code"]) == (401, "UNAUTHENTICATED"), (op.method, op.path, answer)
        # A POS login token is no key either.
        status, answer = api.call(op.method, path, body=body, token=world.login_token())
        assert status == 401, (op.method, op.path, answer)


def test_expired_user_tokens_answer_401_on_every_back_office_route(world, spare):
    api = world.api
    clock.set_now(clock.now() + timedelta(hours=12, seconds=1))
    for op in PROTECTED:
        if op.auth != "user":
            continue
        path, body = _request(op, world, spare)
        status, answer = api.call(op.method, path, body=body, token=world.owner.token)
        assert (status, answer["errors"][0]["code"]) == (401, "TOKEN_EXPIRED"), (op.method, op.path, answer)
    # An expired POS login token cannot activate a slot.
    clock.set_now(None)
    login = world.login_token()
    clock.set_now(clock.now() + timedelta(minutes=10, seconds=1))
    status, answer = api.post("/v1/pos/activate", {"login_token": login, "pos_device_id": world.idle_device["id"],
                                                   "installation_id": "late-1"})
    assert status == 401, answer


def test_valid_tokens_do_work_on_every_route(world, spare):
    """The other half of the checks above: with the right token each request is authorized."""
    api = world.api
    for op in sorted(PROTECTED, key=lambda o: o.method == "DELETE"):  # deletions last
        path, body = _request(op, world, spare)
        token = world.owner.token if op.auth == "user" else world.device_token
        if op.path == "/v1/auth/logout":  # a session of its own: the owner's must outlive the test
            token = api.post("/v1/auth/login", {"email": world.owner.email, "password": world.owner.password})[1]["token"]
        status, answer = api.call(op.method, path, body=body, token=token)
        assert _authorized(op, status, answer), (op.method, op.path, status, answer)


def test_another_merchant_sees_404_and_none_of_this_merchants_data(world, other_world, spare):
    api, theirs = world.api, other_world.owner.token
    mine = _ids_of(world) | {spare}
    for op in PROTECTED:
        if op.path == "/v1/auth/logout":
            continue  # names no record; it would end the other merchant's session the loop goes on with
        path, body = _request(op, world, spare)
        token = theirs if op.auth == "user" else other_world.device_token
        status, answer = api.call(op.method, path, body=body, token=token)
        if "{" in op.path and op.path != "/v1/receipts/{receipt_number}":
            assert (status, answer["errors"][0]["code"]) == (404, "NOT_FOUND"), (op.method, op.path, answer)
        assert not _leaks(answer, mine), (op.method, op.path, answer)
    # Receipt numbers are per merchant: the same number shows the other merchant's own receipt, not ours.
    status, answer = api.get(f"/v1/receipts/{world.receipt_numbers[0]}", token=theirs)
    assert (status, answer["pos_device_id"]) == (200, other_world.device["id"]), answer
    # Filters by this merchant's ids show nothing; bodies that name this merchant's ids are refused.
    for path in (f"/v1/receipts?pos_device_id={world.device['id']}", f"/v1/receipts?store_id={world.store['id']}",
                 f"/v1/shifts?pos_device_id={world.device['id']}", f"/v1/events?pos_device_id={world.device['id']}",
                 f"/v1/pos_devices?store_id={world.store['id']}",
                 f"/v1/audit/findings?pos_device_id={world.device['id']}"):
        status, answer = api.get(path, token=theirs)
        assert status == 200, (path, answer)
        assert not _leaks(answer, mine), (path, answer)
        assert all(not v for k, v in answer.items() if k != "cursor"), (path, answer)
    status, answer = api.post("/v1/pos_devices", {"name": "Steal", "store_id": world.store["id"]}, token=theirs)
    assert (status, answer["errors"][0]["code"]) == (400, "UNKNOWN_STORE"), answer
    status, answer = api.post("/v1/employees", {"name": "X", "role": "CASHIER", "store_ids": [world.store["id"]]},
                              token=theirs)
    assert status == 400, answer
    status, answer = api.post("/v1/pos/activate", {"login_token": other_world.login_token(),
                                                   "pos_device_id": world.idle_device["id"],
                                                   "installation_id": "steal-1"})
    assert status == 404, answer
    status, answer = api.post("/v1/pos/switch_user", {"employee_id": world.cashier["id"], "pin": "2222"},
                              token=other_world.device_token)
    assert status == 401, answer
    status, answer = api.post("/v1/pos/switch_user", {"email": world.owner.email, "password": world.owner.password},
                              token=other_world.device_token)
    assert status == 401, answer
    # Nothing of ours changed.
    status, device = api.get(f"/v1/pos_devices/{world.idle_device['id']}", token=world.owner.token)
    assert device["status"] == "NOT_ACTIVATED", device
    assert device["deletion"] is None, device


def test_cashier_is_refused_the_whole_back_office_and_manager_owner_actions(world, spare):
    """A CASHIER has no back-office session (DESIGN.md 3.2): login answers 403, and a user token of a cashier
    (one issued before that rule) answers 403 on every back-office route, reads included."""
    api = world.api
    for op in PROTECTED:
        if op.auth != "user":
            continue
        path, body = _request(op, world, spare)
        status, answer = api.call(op.method, path, body=body, token=world.cashier_token)
        assert (status, answer["errors"][0]["code"]) == (403, "BACK_OFFICE_FORBIDDEN"), (op.method, op.path, answer)
        if op.path == "/v1/auth/logout":
            continue  # the manager's session must go on for the rest of the test
        status, answer = api.call(op.method, path, body=body, token=world.manager_token)
        if (op.method, op.path) in OWNER_ONLY:
            assert status == 403, (op.method, op.path, answer)
    status, answer = api.delete(f"/v1/pos_devices/{world.idle_device['id']}?force=true", token=world.manager_token)
    assert (status, answer["errors"][0]["code"]) == (403, "FORCE_OWNER_ONLY"), answer
    status, answer = api.post("/v1/pos/login", {"email": world.cashier["email"], "password": "correct horse 1"})
    assert status == 403, answer
    # The refused actions changed nothing (the manager's allowed ones did: a rename, the idle slot's deletion).
    status, device = api.get(f"/v1/pos_devices/{world.device['id']}", token=world.owner.token)
    assert device["status"] == "ACTIVATED", device
    events = api.get("/v1/events?limit=250", token=world.owner.token)[1]["events"]
    # (the cashier once accepted an invitation as a manager: tests/conftest.py Merchant.employee)
    assert not [e for e in events if e["actor"].get("id") == world.cashier["id"]
                and e["type"] != "employee.invitation_accepted"], events


def test_tokens_and_passwords_never_leak_to_responses_or_logs(client, caplog):
    """A whole story (sign-up, logins, activation, sync, failures, deactivation) with every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "boto3", "pynamodb", "urllib3", "chalicelib", "app", "pos-backoffice", "moto"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    password = f"pw-{uuid.uuid4().hex}"
    responses = []

    def call(method, path, body=None, token=None):
        status, answer = client.call(method, path, body=body, token=token)
        responses.append(((method, path), answer))
        return status, answer

    email = f"leak-{uuid.uuid4().hex[:6]}@example.com"
    status, signup = call("POST", "/v1/signup", {"business_name": "Leak test", "email": email, "password": password})
    assert status == 201
    user_token = signup["token"]
    status, login = call("POST", "/v1/auth/login", {"email": email, "password": password})
    second_token = login["token"]
    call("POST", "/v1/auth/login", {"email": email, "password": password + "-wrong"})
    status, store = call("POST", "/v1/stores", {"name": "S"}, user_token)
    cashier_password = f"cpw-{uuid.uuid4().hex}"
    from tests.conftest import Merchant  # a cashier with a password: invited, accepted, then made CASHIER

    Merchant(client, user_token, email, password, signup["employee"], signup["merchant"]).employee(
        "C", "CASHIER", email=f"c-{email}", password=cashier_password, pin="4321")
    status, device = call("POST", "/v1/pos_devices", {"name": "T", "store_id": store["id"]}, user_token)
    status, pos_login = call("POST", "/v1/pos/login", {"email": email, "password": password})
    login_token = pos_login["login_token"]
    status, activation = call("POST", "/v1/pos/activate", {"login_token": login_token, "pos_device_id": device["id"],
                                                          "installation_id": "leak-install"})
    assert status == 200, activation
    device_token = activation["device_token"]
    call("POST", "/v1/pos/switch_user", {"email": f"c-{email}", "password": cashier_password}, device_token)
    call("POST", "/v1/pos/sync", {"receipts": []}, device_token)
    call("GET", "/v1/pos/me", None, device_token)
    call("GET", "/v1/events", None, second_token)
    call("GET", "/v1/employees", None, second_token)
    call("POST", f"/v1/pos_devices/{device['id']}/deactivate", None, user_token)
    call("GET", "/v1/pos/me", None, device_token)
    call("POST", "/v1/pos/activate", {"login_token": login_token, "pos_device_id": device["id"],
                                      "installation_id": "leak-2"})
    call("GET", "/v1/events?limit=250", None, user_token)
    secrets = {password, cashier_password, user_token, second_token, login_token, device_token}
    issued = {("POST", "/v1/signup"): {user_token}, ("POST", "/v1/auth/login"): {second_token},
              ("POST", "/v1/pos/login"): {login_token}, ("POST", "/v1/pos/activate"): {device_token}}
    for (method, path), answer in responses:
        text = json.dumps(answer)
        allowed = issued.get((method, path), set()) if (method, path) in TOKEN_ISSUING else set()
        leaked = {s for s in secrets - allowed if s in text}
        assert not leaked, (method, path, "leaks a secret")
        assert "4321" not in text, (method, path, "shows a PIN")
    log_text = caplog.text + "\n".join(
        str(record.__dict__) for record in caplog.records)
    assert len(caplog.records) > 100  # botocore's DEBUG output really was captured
    for secret in secrets:
        assert secret not in log_text, "a token or password was logged"
