"""Issue 23: attacks on team access, and the role x route matrix.

The matrix walks every route of chalicelib.api.http.OPERATIONS as OWNER, ADMINISTRATOR, MANAGER of store A,
MANAGER of store B and CASHIER, on store A's records: it fails when a back-office route declares no permission,
when a role without the permission is not refused (403), when a manager of another store gets anything but the
404 of a missing record (or an empty listing), and when a role with the permission is refused."""
import uuid

import pytest

import app  # noqa: F401 - importing the app registers every route in OPERATIONS
from chalicelib.api import auth
from chalicelib.api.http import OPERATIONS, endpoint
from chalicelib.domain.roles import PERMISSIONS, Role
from tests.conftest import receipt

MUTATING = {"POST", "PATCH", "DELETE"}
MANAGER_A_EMAIL = "man-a@matrix.example"


def _sync(client, token, number, seqs):
    status, body = client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": max(seqs), "open_tickets": 0, "shift_open": False},
        "receipts": [receipt(number, seq) for seq in seqs], "shifts": []}, token=token)
    assert status == 200 and body["accepted"] == len(seqs), body


def _cashier_token(m, employee_id):
    """A user token of a CASHIER (one issued the way a login did before cashiers lost the back office)."""
    from chalicelib.services import accounts
    from chalicelib.wiring import adapters

    token, _ = accounts._issue_user_token(adapters().accounts.get_employee(m.merchant["id"], employee_id))
    return token


@pytest.fixture
def world(client):
    m = client.signup(name="Matrix")
    a, b = m.store("A"), m.store("B")
    till_a = m.device("Till A", store_id=a["id"])
    idle_a = m.device("Idle A", store_id=a["id"])
    till_b = m.device("Till B", store_id=b["id"])
    token_a = m.activate(till_a["id"])["device_token"]
    _sync(client, token_a, till_a["number"], [1, 2])
    tokens = {
        "OWNER": m.token,
        "ADMINISTRATOR": m.employee("Adm", "ADMINISTRATOR", password="admin pass 1")["token"],
        "MANAGER_A": m.employee("Man A", "MANAGER", email=MANAGER_A_EMAIL, password="manager pass 1",
                                store_ids=[a["id"]])["token"],
        "MANAGER_B": m.employee("Man B", "MANAGER", password="manager pass 2", store_ids=[b["id"]])["token"],
    }
    cashier = m.employee("Cas", "CASHIER", pin="2468")
    tokens["CASHIER"] = _cashier_token(m, cashier["id"])
    status, run = client.post("/v1/audit/runs", token=m.token)  # the owner's run, for GET /v1/audit/runs/{run_id}
    assert status == 202, run
    status, api_token = client.post("/v1/api_tokens", {"name": "ERP", "access": "WRITE"}, token=m.token)
    assert status == 201, api_token
    status, webhook = client.post("/v1/webhooks", {"url": "http://127.0.0.1:9/hooks",
                                                   "event_types": ["receipts.created"]}, token=m.token)
    assert status == 201, webhook
    status, delivery = client.post(f"/v1/webhooks/{webhook['id']}/test", token=m.token)
    assert status == 202, delivery
    return type("World", (), {"m": m, "a": a, "b": b, "till_a": till_a, "idle_a": idle_a, "till_b": till_b,
                              "token_a": token_a, "tokens": tokens, "receipt_a": f"{till_a['number']}-1",
                              "run_id": run["id"], "token_id": api_token["id"], "webhook_id": webhook["id"],
                              "delivery_id": delivery["id"]})


ROLE_OF = {"OWNER": Role.OWNER, "ADMINISTRATOR": Role.ADMINISTRATOR, "MANAGER_A": Role.MANAGER,
           "MANAGER_B": Role.MANAGER, "CASHIER": Role.CASHIER}


def _request(op, world, spare_id):
    device = world.idle_a["id"] if (op.method, op.path) in {
        ("DELETE", "/v1/pos_devices/{device_id}"), ("POST", "/v1/pos_devices/{device_id}/deactivate")} \
        else world.till_a["id"]
    ids = {"store_id": world.a["id"], "device_id": device, "employee_id": spare_id, "receipt_number": world.receipt_a,
           "run_id": world.run_id, "token_id": world.token_id, "webhook_id": world.webhook_id,
           "delivery_id": world.delivery_id, "finding_id": NO_SUCH_FINDING}
    path = op.path.format(**{k: v for k, v in ids.items() if "{" + k + "}" in op.path})
    bodies = {("POST", "/v1/stores"): {"name": f"S {uuid.uuid4().hex[:6]}"},
              ("PATCH", "/v1/stores/{store_id}"): {"address": "Rynek 1"},
              ("POST", "/v1/employees"): {"name": "New", "role": "CASHIER"},
              ("PATCH", "/v1/employees/{employee_id}"): {"name": "Renamed"},
              ("POST", "/v1/api_tokens"): {"name": f"T {uuid.uuid4().hex[:6]}", "access": "READ"},
              ("POST", "/v1/webhooks"): {"url": "http://127.0.0.1:9/other", "event_types": ["shift.closed"]},
              ("PATCH", "/v1/webhooks/{webhook_id}"): {"enabled": False},
              ("POST", "/v1/pos_devices"): {"name": f"T {uuid.uuid4().hex[:6]}", "store_id": world.a["id"]},
              ("PATCH", "/v1/pos_devices/{device_id}"): {"name": f"Till A {uuid.uuid4().hex[:4]}"}}
    return path, bodies.get((op.method, op.path))


# The world has no finding a person could acknowledge (a SHIFT_LEFT_OPEN one): who may acknowledge gets 404.
NO_SUCH_FINDING = "00000000-0000-4000-8000-000000000023"


def _order(op):
    # the caller's own session ends last; deletions after the rest, the spare employee's own deletion last of them
    return ((op.method, op.path) == ("POST", "/v1/auth/logout"), op.method == "DELETE",
            (op.method, op.path) == ("DELETE", "/v1/employees/{employee_id}"))


BACK_OFFICE = sorted((op for op in OPERATIONS if op.auth == "user"), key=_order)


def test_every_back_office_route_declares_a_known_permission():
    assert BACK_OFFICE
    missing = [(op.method, op.path) for op in BACK_OFFICE if op.permission not in PERMISSIONS]
    assert not missing, missing
    # and a new route without one cannot even be registered
    from chalice import Blueprint

    with pytest.raises(ValueError, match="permission"):
        endpoint(Blueprint("forgetful"), "/v1/forgot", "GET", summary="x", auth=auth.BACK_OFFICE, tag="x")
    with pytest.raises(ValueError, match="permission"):
        endpoint(Blueprint("forgetful"), "/v1/forgot", "GET", summary="x", auth=auth.BACK_OFFICE, tag="x",
                 permission="nope")


@pytest.mark.parametrize("who", ["OWNER", "ADMINISTRATOR", "MANAGER_A", "MANAGER_B", "CASHIER"])
def test_role_by_route_matrix(client, world, who):
    m, token = world.m, world.tokens[who]
    status, spare = client.post("/v1/employees", {"name": "Spare", "role": "MANAGER",
                                                  "email": f"spare-{uuid.uuid4().hex[:8]}@example.com"}, token=m.token)
    assert status == 201, spare
    a_ids = {world.a["id"], world.till_a["id"], world.idle_a["id"]}
    for op in BACK_OFFICE:
        path, body = _request(op, world, spare["id"])
        status, answer = client.call(op.method, path, body=body, token=token)
        where = (who, op.method, op.path, status, answer)
        assert status < 500, where
        if who == "CASHIER":
            assert status == 403 and answer["errors"][0]["code"] == "BACK_OFFICE_FORBIDDEN", where
            continue
        if ROLE_OF[who] not in PERMISSIONS[op.permission]:
            assert status == 403 and answer["errors"][0]["code"] == "FORBIDDEN", where
            continue
        scoped_path = any("{" + k + "}" in op.path for k in ("device_id", "store_id", "receipt_number"))
        if who == "MANAGER_B" and scoped_path:
            assert status == 404 and answer["errors"][0]["code"] == "NOT_FOUND", where
            continue
        if who == "MANAGER_B" and op.method == "POST" and op.path == "/v1/pos_devices":
            assert status == 400 and answer["errors"][0]["code"] == "UNKNOWN_STORE", where  # store A is not theirs
            continue
        if who == "MANAGER_B" and status == 200 and isinstance(answer, dict):
            assert not a_ids & set(str(answer).replace("'", " ").split()) and not any(
                i in str(answer) for i in a_ids), where  # listings: nothing of store A
            continue
        authorized = status < 400 or (status == 409 and op.method in MUTATING) or (
            status == 404 and answer["errors"][0]["code"] == "NO_DELETION") or (
            status == 404 and op.path.endswith("/acknowledge"))
        assert authorized, where


# ---------------------------------------------------------------- attacks


def test_a_manager_cannot_raise_their_own_role_nor_add_stores_to_themselves(client, world):
    m, mt = world.m, world.tokens["MANAGER_B"]
    me = next(e for e in client.get("/v1/employees", token=m.token)[1]["employees"] if e["name"] == "Man B")
    for change in ({"role": "OWNER"}, {"role": "ADMINISTRATOR"}, {"store_ids": [world.a["id"], world.b["id"]]},
                   {"name": "Boss"}):
        status, body = client.patch(f"/v1/employees/{me['id']}", change, token=mt)
        assert status == 403, (change, body)
    status, body = client.post("/v1/employees", {"name": "Sock", "role": "ADMINISTRATOR",
                                                 "email": "sock@example.com"}, token=mt)
    assert status == 403, body
    after = next(e for e in client.get("/v1/employees", token=m.token)[1]["employees"] if e["id"] == me["id"])
    assert (after["role"], after["store_ids"], after["name"]) == ("MANAGER", [world.b["id"]], "Man B")
    # still a manager of B only
    assert [s["id"] for s in client.get("/v1/stores", token=mt)[1]["stores"]] == [world.b["id"]]


def test_a_manager_cannot_reach_another_stores_pos_by_id_cursor_filter_or_export(client, world):
    mt, owner = world.tokens["MANAGER_B"], world.m.token
    till = world.till_a["id"]
    # by id: as missing
    assert client.get(f"/v1/pos_devices/{till}", token=mt)[0] == 404
    assert client.post(f"/v1/pos_devices/{till}/deactivate", {}, token=mt)[0] == 404
    assert client.get(f"/v1/receipts/{world.receipt_a}", token=mt)[0] == 404
    # by filter
    for path in (f"/v1/receipts?store_id={world.a['id']}", f"/v1/receipts?pos_device_id={till}",
                 f"/v1/shifts?pos_device_id={till}", f"/v1/pos_devices?store_id={world.a['id']}",
                 f"/v1/events?pos_device_id={till}", f"/v1/audit/findings?pos_device_id={till}",
                 f"/v1/receipts?receipt_number={world.receipt_a}"):
        status, body = client.get(path, token=mt)
        assert status == 200 and till not in str(body) and world.receipt_a not in str(body), (path, body)
    # by cursor: every cursor of the owner's listings, replayed
    for path in ("/v1/receipts", "/v1/pos_devices", "/v1/events", "/v1/shifts", "/v1/stores", "/v1/audit/findings"):
        cursor = client.get(f"{path}?limit=1", token=owner)[1]["cursor"]
        while cursor:
            status, body = client.get(f"{path}?limit=1&cursor={cursor}", token=mt)
            assert status in (200, 400), (path, body)
            assert till not in str(body) and world.a["id"] not in str(body), (path, body)
            cursor = body.get("cursor") if status == 200 else None
    # by export
    response = client.http.http.get(f"/v1/receipts/export?store_id={world.a['id']}",
                                    headers={"Authorization": f"Bearer {mt}"})
    assert response.status_code == 200 and world.receipt_a not in response.body.decode("utf-8-sig")
    response = client.http.http.get("/v1/receipts/export", headers={"Authorization": f"Bearer {mt}"})
    assert response.status_code == 200 and world.receipt_a not in response.body.decode("utf-8-sig")
    # by a move of their own POS into the other store (and back out of it)
    status, mine = client.post("/v1/pos_devices", {"name": "Mine", "store_id": world.b["id"]}, token=mt)
    assert status == 201, mine
    status, body = client.patch(f"/v1/pos_devices/{mine['id']}", {"store_id": world.a["id"]}, token=mt)
    assert status == 400 and body["errors"][0]["code"] == "UNKNOWN_STORE", body
    assert client.patch(f"/v1/pos_devices/{till}", {"store_id": world.b["id"]}, token=mt)[0] == 404


def test_an_invitation_cannot_be_reused_or_guessed(client, world):
    m = world.m
    status, ewa = client.post("/v1/employees", {"name": "Ewa", "role": "MANAGER", "email": "ewa@example.com"},
                              token=m.token)
    invitation = m.invite(ewa["id"])
    # guesses: one answer for all, then 429 from this address
    answers = [client.post("/v1/invitations/accept", {"token": guess, "password": "guessing pass 1"})
               for guess in (invitation["token"][:-1] + "x", "x" * 43, str(uuid.uuid4()), invitation["token"].upper())]
    assert all(s == 401 and b["errors"][0]["code"] == "INVITATION_INVALID" for s, b in answers), answers
    assert len({b["errors"][0]["details"] for _s, b in answers}) == 1
    status, body = client.post("/v1/invitations/accept", {"token": "y" * 43, "password": "guessing pass 1"})
    assert status == 401, body
    status, body = client.post("/v1/invitations/accept", {"token": "z" * 43, "password": "guessing pass 1"})
    assert status == 429 and body["errors"][0]["code"] == "TOO_MANY_ATTEMPTS", body
    # the invitation token is not a session, nor the other way round
    assert client.get("/v1/stores", token=invitation["token"])[0] == 401
    status, body = client.post("/v1/invitations/accept", {"token": m.token, "password": "guessing pass 1"})
    assert status in (401, 429), body


def test_an_invitation_is_used_once(client, world, monkeypatch):
    from chalicelib.services import accounts

    m = world.m
    status, ewa = client.post("/v1/employees", {"name": "Ewa", "role": "MANAGER", "email": "ewa2@example.com"},
                              token=m.token)
    invitation = m.invite(ewa["id"])
    status, first = client.post("/v1/invitations/accept", {"token": invitation["token"], "password": "first pass 1"})
    assert status == 200, first
    status, body = client.post("/v1/invitations/accept", {"token": invitation["token"], "password": "second pass 2"})
    assert status == 401 and body["errors"][0]["code"] == "INVITATION_INVALID", body
    assert client.post("/v1/auth/login", {"email": "ewa2@example.com", "password": "first pass 1"})[0] == 200
    assert client.post("/v1/auth/login", {"email": "ewa2@example.com", "password": "second pass 2"})[0] == 401
    # a race: the employee record changed between the read and the write (another acceptance won): refused
    status, ola = client.post("/v1/employees", {"name": "Ola", "role": "MANAGER", "email": "ola@example.com"},
                              token=m.token)
    invitation = m.invite(ola["id"])
    real_save = accounts.adapters().accounts.save_employee

    def racing_save(employee, old, event):
        stale = dict(old)
        real_save(old | {"updated_at": "2099-01-01T00:00:00Z"}, old, event)  # the other acceptance's write
        return real_save(employee, stale, event)

    monkeypatch.setattr(accounts.adapters().accounts, "save_employee", racing_save)
    status, body = client.post("/v1/invitations/accept", {"token": invitation["token"], "password": "racing pass 1"})
    assert status == 401 and body["errors"][0]["code"] == "INVITATION_INVALID", body


def test_an_email_that_has_access_elsewhere_cannot_be_invited_here(client, world):
    other = client.signup(name="Elsewhere")
    elsewhere = other.employee("Jan", "MANAGER", email="jan@example.com", password="jan's pass 1")
    assert elsewhere["access"] == "ACTIVE"
    m = world.m
    status, body = client.post("/v1/employees", {"name": "Jan", "role": "MANAGER", "email": "JAN@example.com"},
                               token=m.token)
    assert status == 409 and body["errors"][0]["code"] == "EMAIL_TAKEN", body
    status, mia = client.post("/v1/employees", {"name": "Mia", "role": "MANAGER"}, token=m.token)
    status, body = client.patch(f"/v1/employees/{mia['id']}", {"email": "jan@example.com"}, token=m.token)
    assert status == 409 and body["errors"][0]["code"] == "EMAIL_TAKEN", body
    # Jan's access elsewhere is untouched
    assert client.post("/v1/auth/login", {"email": "jan@example.com", "password": "jan's pass 1"})[0] == 200


def test_a_managers_pos_login_reaches_only_their_stores_slots(client, world):
    """The POS app's e-mail and password login of a MANAGER of store A offers and activates store A's slots only;
    store B's slot answers 404 exactly like a slot that does not exist. The owner's login reaches both."""
    status, login = client.post("/v1/pos/login", {"email": MANAGER_A_EMAIL, "password": "manager pass 1"})
    assert status == 200, login
    assert {d["id"] for d in login["pos_devices"]} == {world.idle_a["id"]}, login["pos_devices"]
    for device_id in (world.till_b["id"], str(uuid.uuid4())):
        status, body = client.post("/v1/pos/activate", {"login_token": login["login_token"], "pos_device_id": device_id,
                                                        "installation_id": "tablet-of-a"})
        assert (status, body["errors"][0]["code"]) == (404, "NOT_FOUND"), body
    status, body = client.post("/v1/pos/activate", {"login_token": login["login_token"],
                                                    "pos_device_id": world.idle_a["id"], "installation_id": "tablet-of-a"})
    assert (status, body["pos_device"]["status"]) == (200, "ACTIVATED"), body
    status, owner = client.post("/v1/pos/login", {"email": world.m.email, "password": world.m.password})
    assert (status, {d["id"] for d in owner["pos_devices"]}) == (200, {world.till_b["id"]}), owner
