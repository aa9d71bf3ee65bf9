"""Accounts through the public HTTP API: sign-up, login limits, token expiry, stores, employees, OpenAPI."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import clock

T0 = datetime(2026, 11, 24, 10, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def at(aws):
    """Set the one clock: `at(seconds_after_T0)`."""

    def move(seconds=0):
        clock.set_now(T0 + timedelta(seconds=seconds))

    move(0)
    yield move
    clock.set_now(None)


def _code(body):
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert set(error) == {"code", "details", "field"}
    return error["code"]


# ---------------------------------------------------------------- sign-up and login


def test_signup_gives_an_owner_and_a_working_token(client):
    status, body = client.post("/v1/signup", {"business_name": "Cafe Mila", "email": "Mila@Example.com",
                                              "password": "correct horse 1"})
    assert status == 201, body
    assert body["merchant"]["business_name"] == "Cafe Mila"
    assert (body["employee"]["role"], body["employee"]["email"]) == ("OWNER", "mila@example.com")
    assert "password" not in str(body["employee"])
    assert "hash" not in str(body["employee"])
    status, stores = client.get("/v1/stores", token=body["token"])
    # The first store, named after the business, is made with the account (issue 25).
    assert (status, [s["name"] for s in stores["stores"]], stores["cursor"]) == (200, ["Cafe Mila"], None)
    status, employees = client.get("/v1/employees", token=body["token"])
    assert [e["id"] for e in employees["employees"]] == [body["employee"]["id"]]

    status, again = client.post("/v1/signup", {"business_name": "Copycat", "email": "mila@example.COM",
                                               "password": "another pass 1"})
    assert (status, _code(again), again["errors"][0]["field"]) == (409, "EMAIL_TAKEN", "email")


def test_login(client):
    m = client.signup()
    status, body = client.post("/v1/auth/login", {"email": m.email.upper(), "password": m.password})
    assert status == 200, body
    assert body["employee"]["id"] == m.owner["id"]
    assert body["token"]
    assert body["expires_at"]
    assert client.get("/v1/stores", token=body["token"])[0] == 200
    for email, password in ((m.email, "wrong password"), ("nobody@example.com", m.password)):
        status, body = client.post("/v1/auth/login", {"email": email, "password": password})
        assert (status, _code(body)) == (401, "INVALID_CREDENTIALS"), body


def test_five_failed_logins_within_15_minutes_lock_the_email_until_the_window_passes(client, at):
    m = client.signup()
    other = client.signup()
    for minute in range(5):
        at(minute * 60)
        status, body = client.post("/v1/auth/login", {"email": m.email, "password": "wrong password"})
        assert (status, _code(body)) == (401, "INVALID_CREDENTIALS")
    at(5 * 60)
    # now even the right password is refused, on the back office and on the POS login alike
    response = client.http.http.post("/v1/auth/login", headers={"Content-Type": "application/json"},
                                     body=f'{{"email": "{m.email}", "password": "{m.password}"}}')
    assert response.status_code == 429, response.body
    assert _code(response.json_body) == "TOO_MANY_ATTEMPTS"
    assert int(response.headers["Retry-After"]) > 0
    status, body = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
    assert (status, _code(body)) == (429, "TOO_MANY_ATTEMPTS")
    # another e-mail is not affected
    assert client.post("/v1/auth/login", {"email": other.email, "password": other.password})[0] == 200
    # still locked just before the window (started at the first failure) ends
    at(15 * 60 - 1)
    assert client.post("/v1/auth/login", {"email": m.email, "password": m.password})[0] == 429
    at(15 * 60 + 1)
    status, body = client.post("/v1/auth/login", {"email": m.email, "password": m.password})
    assert status == 200, body


def test_failures_spread_over_more_than_15_minutes_do_not_lock(client, at):
    m = client.signup()
    for minute in (0, 4, 8, 12):
        at(minute * 60)
        assert client.post("/v1/auth/login", {"email": m.email, "password": "wrong password"})[0] == 401
    at(16 * 60)  # a new window begins with this failure
    assert client.post("/v1/auth/login", {"email": m.email, "password": "wrong password"})[0] == 401
    at(17 * 60)
    assert client.post("/v1/auth/login", {"email": m.email, "password": m.password})[0] == 200


def test_a_user_token_expires(client, at):
    m = client.signup()
    status, login = client.post("/v1/auth/login", {"email": m.email, "password": m.password})
    assert status == 200
    expires = clock.parse(login["expires_at"])
    assert expires == T0 + timedelta(hours=12)
    at((expires - T0).total_seconds() - 1)
    assert client.get("/v1/stores", token=login["token"])[0] == 200
    at((expires - T0).total_seconds() + 1)
    status, body = client.get("/v1/stores", token=login["token"])
    assert (status, _code(body)) == (401, "TOKEN_EXPIRED"), body
    # a fresh login works again
    status, fresh = client.post("/v1/auth/login", {"email": m.email, "password": m.password})
    assert (status, client.get("/v1/stores", token=fresh["token"])[0]) == (200, 200)


def test_a_pos_login_token_is_short_lived_and_only_for_activation(client, at):
    m = client.signup()
    device = m.device()
    status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
    assert status == 200
    # it is not a back-office token
    assert client.get("/v1/stores", token=login["login_token"])[0] == 401
    at(11 * 60)
    status, body = client.post("/v1/pos/activate", {"login_token": login["login_token"],
                                                    "pos_device_id": device["id"], "installation_id": "x"})
    assert (status, _code(body)) == (401, "TOKEN_EXPIRED"), body
    assert client.get(f"/v1/pos_devices/{device['id']}", token=m.token)[1]["status"] == "NOT_ACTIVATED"


def test_only_owner_or_manager_may_log_a_pos_in(client):
    m = client.signup()
    m.employee("Cas", "CASHIER", email="cas@example.com", password="cashier pass 1")
    status, body = client.post("/v1/pos/login", {"email": "cas@example.com", "password": "cashier pass 1"})
    assert (status, _code(body)) == (403, "FORBIDDEN"), body
    # nor the back office: a cashier has no back-office session (DESIGN.md 3.2)
    status, body = client.post("/v1/auth/login", {"email": "cas@example.com", "password": "cashier pass 1"})
    assert (status, _code(body)) == (403, "FORBIDDEN"), body


# ---------------------------------------------------------------- stores


def test_store_crud(client):
    m = client.signup()
    first = client.get("/v1/stores", token=m.token)[1]["stores"]  # made at sign-up
    status, store = client.post("/v1/stores", {"name": " Main ", "address": "1 High St"}, token=m.token)
    assert status == 201, store
    assert set(store) == {"id", "name", "address", "created_at"}
    assert (store["name"], store["address"]) == ("Main", "1 High St")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", store["created_at"])

    assert client.get(f"/v1/stores/{store['id']}", token=m.token) == (200, store)
    status, listed = client.get("/v1/stores", token=m.token)
    assert (status, sorted(listed["stores"], key=lambda s: s["id"]), listed["cursor"]) == (
        200, sorted(first + [store], key=lambda s: s["id"]), None)

    status, patched = client.patch(f"/v1/stores/{store['id']}", {"name": "Main street"}, token=m.token)
    assert (status, patched["name"], patched["address"]) == (200, "Main street", "1 High St")
    status, patched = client.patch(f"/v1/stores/{store['id']}", {"address": None}, token=m.token)
    assert status == 200
    assert patched["address"] is None
    assert patched["name"] == "Main street"
    assert client.get(f"/v1/stores/{store['id']}", token=m.token)[1] == patched

    status, body = client.delete(f"/v1/stores/{store['id']}", token=m.token)
    assert status == 204
    assert body is None
    status, body = client.get(f"/v1/stores/{store['id']}", token=m.token)
    assert (status, _code(body)) == (404, "NOT_FOUND")
    assert client.delete(f"/v1/stores/{store['id']}", token=m.token)[0] == 404
    assert client.patch(f"/v1/stores/{store['id']}", {"name": "x"}, token=m.token)[0] == 404
    types = [e["type"] for e in client.get("/v1/events", token=m.token)[1]["events"]]
    assert types[:3] == ["store.deleted", "store.updated", "store.updated"]
    assert "store.created" in types


def test_a_store_with_pos_devices_cannot_be_deleted(client):
    m = client.signup()
    store = m.store()
    device = m.device(store_id=store["id"])
    status, body = client.delete(f"/v1/stores/{store['id']}", token=m.token)
    assert (status, _code(body)) == (409, "STORE_HAS_POS_DEVICES"), body
    assert client.get(f"/v1/stores/{store['id']}", token=m.token)[0] == 200
    # once its POS is deleted, the store may go
    assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"
    assert client.delete(f"/v1/stores/{store['id']}", token=m.token)[0] == 204


def test_store_list_pages(client):
    m = client.signup()
    made = {m.store(f"Store {i}")["id"] for i in range(5)} | {
        s["id"] for s in client.get("/v1/stores", token=m.token)[1]["stores"]}  # with the one made at sign-up
    seen, cursor = [], None
    for _ in range(10):
        status, page = client.get("/v1/stores?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=m.token)
        assert status == 200
        assert len(page["stores"]) <= 2
        seen += [s["id"] for s in page["stores"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made)


# ---------------------------------------------------------------- employees


def test_employee_crud_and_secrets_never_leave(client):
    m = client.signup()
    store = m.store()
    status, mia = client.post("/v1/employees", {"name": "Mia", "role": "MANAGER", "email": "Mia@Example.com",
                                                "store_ids": [store["id"]], "pin": "1234"}, token=m.token)
    assert status == 201, mia
    assert set(mia) == {"id", "name", "email", "role", "store_ids", "has_pin", "access", "invitation_expires_at",
                        "created_at", "updated_at"}
    assert (mia["email"], mia["role"], mia["store_ids"], mia["has_pin"], mia["access"]) == (
        "mia@example.com", "MANAGER", [store["id"]], True, "NONE")
    invitation = m.invite(mia["id"])
    status, accepted = client.post("/v1/invitations/accept", {"token": invitation["token"],
                                                              "password": "manager pass 1"})
    assert status == 200 and accepted["employee"]["access"] == "ACTIVE", accepted

    status, listed = client.get("/v1/employees", token=m.token)
    assert sorted(e["id"] for e in listed["employees"]) == sorted([m.owner["id"], mia["id"]])
    assert "1234" not in str(listed)
    assert "manager pass" not in str(listed)

    status, patched = client.patch(f"/v1/employees/{mia['id']}", {"name": "Mia K", "role": "CASHIER"},
                                   token=m.token)
    assert status == 200, patched
    assert (patched["name"], patched["role"], patched["email"]) == ("Mia K", "CASHIER", "mia@example.com")
    # nobody sets another person's password: a new one comes with an invitation, after access is revoked
    status, body = client.patch(f"/v1/employees/{mia['id']}", {"password": "new password 2", "role": "MANAGER"},
                                token=m.token)
    assert status == 400 and _code(body) == "PASSWORD_NOT_YOURS", body
    assert client.patch(f"/v1/employees/{mia['id']}", {"role": "MANAGER"}, token=m.token)[0] == 200
    assert client.delete(f"/v1/employees/{mia['id']}/access", token=m.token)[0] == 204
    invitation = m.invite(mia["id"])
    assert client.post("/v1/invitations/accept", {"token": invitation["token"],
                                                  "password": "new password 2"})[0] == 200
    assert client.post("/v1/auth/login", {"email": "mia@example.com", "password": "manager pass 1"})[0] == 401
    assert client.post("/v1/auth/login", {"email": "mia@example.com", "password": "new password 2"})[0] == 200

    status, body = client.delete(f"/v1/employees/{mia['id']}", token=m.token)
    assert status == 204, body
    assert client.delete(f"/v1/employees/{mia['id']}", token=m.token)[0] == 404
    assert client.patch(f"/v1/employees/{mia['id']}", {"name": "x"}, token=m.token)[0] == 404
    assert client.post("/v1/auth/login", {"email": "mia@example.com", "password": "new password 2"})[0] == 401


def test_owner_rules(client):
    m = client.signup()
    status, body = client.delete(f"/v1/employees/{m.owner['id']}", token=m.token)
    assert (status, _code(body)) == (409, "OWNER_CANNOT_BE_DELETED")
    status, body = client.patch(f"/v1/employees/{m.owner['id']}", {"role": "MANAGER"}, token=m.token)
    assert (status, _code(body)) == (409, "OWNER_ROLE_FIXED")
    status, cas = client.post("/v1/employees", {"name": "Cas", "role": "CASHIER"}, token=m.token)
    status, body = client.patch(f"/v1/employees/{cas['id']}", {"role": "OWNER"}, token=m.token)
    assert (status, _code(body)) == (400, "ONE_OWNER")
    status, body = client.post("/v1/employees", {"name": "Boss 2", "role": "OWNER"}, token=m.token)
    assert (status, _code(body)) == (400, "ONE_OWNER"), body
    # a manager may not manage employees
    manager_token = m.employee("Mia", "MANAGER", email="mia@example.com", password="manager pass 1")["token"]
    status, body = client.post("/v1/employees", {"name": "X", "role": "CASHIER"}, token=manager_token)
    assert (status, _code(body)) == (403, "FORBIDDEN")
    assert client.delete(f"/v1/employees/{cas['id']}", token=manager_token)[0] == 403
    assert len(client.get("/v1/employees", token=m.token)[1]["employees"]) == 3  # owner, Cas, Mia


def test_pin_is_unique_within_a_merchant(client):
    m = client.signup()
    other = client.signup()
    status, ann = client.post("/v1/employees", {"name": "Ann", "role": "CASHIER", "pin": "1234"}, token=m.token)
    assert status == 201
    status, body = client.post("/v1/employees", {"name": "Bob", "role": "CASHIER", "pin": "1234"}, token=m.token)
    assert (status, _code(body), body["errors"][0]["field"]) == (409, "PIN_TAKEN", "pin"), body
    assert len(client.get("/v1/employees", token=m.token)[1]["employees"]) == 2  # Bob was not added
    # another merchant may use the same PIN
    assert client.post("/v1/employees", {"name": "Ola", "role": "CASHIER", "pin": "1234"}, token=other.token)[0] == 201

    status, bob = client.post("/v1/employees", {"name": "Bob", "role": "CASHIER", "pin": "5678"}, token=m.token)
    assert status == 201
    # changing a PIN to a taken one
    status, body = client.patch(f"/v1/employees/{bob['id']}", {"pin": "1234"}, token=m.token)
    assert (status, _code(body)) == (409, "PIN_TAKEN"), body
    # a PIN freed by a change or a deletion can be taken again
    assert client.patch(f"/v1/employees/{ann['id']}", {"pin": "9999"}, token=m.token)[0] == 200
    assert client.patch(f"/v1/employees/{bob['id']}", {"pin": "1234"}, token=m.token)[0] == 200
    assert client.delete(f"/v1/employees/{ann['id']}", token=m.token)[0] == 204
    assert client.post("/v1/employees", {"name": "Cid", "role": "CASHIER", "pin": "9999"}, token=m.token)[0] == 201


def test_email_is_unique_across_all_merchants(client):
    m = client.signup()
    other = client.signup()
    status, body = client.post("/v1/employees", {"name": "Dup", "role": "MANAGER", "email": other.email.upper()},
                               token=m.token)
    assert (status, _code(body), body["errors"][0]["field"]) == (409, "EMAIL_TAKEN", "email"), body
    mia = m.employee("Mia", "MANAGER", email="mia@example.com", password="manager pass 1")
    status, body = client.patch(f"/v1/employees/{mia['id']}", {"email": other.email}, token=m.token)
    assert (status, _code(body)) == (409, "EMAIL_TAKEN"), body
    # the failed change kept her e-mail and login
    assert client.post("/v1/auth/login", {"email": "mia@example.com", "password": "manager pass 1"})[0] == 200
    status, body = client.post("/v1/signup", {"business_name": "X", "email": "MIA@example.com",
                                              "password": "some password 1"})
    assert (status, _code(body)) == (409, "EMAIL_TAKEN")
    # after a change the old e-mail is free again
    assert client.patch(f"/v1/employees/{mia['id']}", {"email": "mia2@example.com"}, token=m.token)[0] == 200
    assert client.post("/v1/signup", {"business_name": "X", "email": "mia@example.com",
                                      "password": "some password 1"})[0] == 201


def test_employee_store_ids_must_be_own_stores(client):
    m = client.signup()
    status, body = client.post("/v1/employees", {"name": "Ann", "role": "CASHIER", "store_ids": ["nope"]},
                               token=m.token)
    assert (status, _code(body)) == (400, "UNKNOWN_STORE")


# ---------------------------------------------------------------- OpenAPI

# docs/CONTRACT.md section 3, as written there.
CONTRACT = """
POST /v1/signup
POST /v1/auth/login
GET /v1/stores
POST /v1/stores
GET /v1/stores/{id}
PATCH /v1/stores/{id}
DELETE /v1/stores/{id}
GET /v1/employees
POST /v1/employees
PATCH /v1/employees/{id}
DELETE /v1/employees/{id}
GET /v1/pos_devices
POST /v1/pos_devices
GET /v1/pos_devices/{id}
PATCH /v1/pos_devices/{id}
POST /v1/pos_devices/{id}/deactivate
DELETE /v1/pos_devices/{id}
GET /v1/pos_devices/{id}/deletion
GET /v1/receipts
GET /v1/receipts/{receipt_number}
GET /v1/shifts
GET /v1/audit/findings
POST /v1/audit/runs
GET /v1/events
POST /v1/pos/login
POST /v1/pos/activate
POST /v1/pos/switch_user
POST /v1/pos/sync
GET /v1/pos/me
"""

QUERY = {
    ("get", "/v1/pos_devices"): {"store_id", "status", "show_deleted", "limit", "cursor"},
    ("delete", "/v1/pos_devices/{}"): {"force"},
    ("get", "/v1/receipts"): {"pos_device_id", "store_id", "created_at_min", "created_at_max", "limit", "cursor"},
    ("get", "/v1/shifts"): {"pos_device_id", "store_id", "limit", "cursor"},
    ("get", "/v1/audit/findings"): {"status"},
    ("get", "/v1/events"): {"pos_device_id", "limit", "cursor"},
}


def _shape(path):
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_openapi_lists_every_route_of_the_contract(client):
    status, doc = client.get("/v1/openapi.json")
    assert status == 200
    assert doc["openapi"].startswith("3.")
    documented = {(method, _shape(path)): op for path, ops in doc["paths"].items() for method, op in ops.items()}
    wanted = [line.split(" ", 1) for line in CONTRACT.strip().splitlines()]
    missing = [f"{method} {path}" for method, path in wanted if (method.lower(), _shape(path)) not in documented]
    assert missing == []
    for (method, path), names in QUERY.items():
        shared = doc["components"]["parameters"]  # cursor, limit, the headers: described once, by $ref
        resolved = [shared[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in documented[(method, path)]["parameters"]]
        params = {p["name"] for p in resolved if p["in"] == "query"}
        assert names <= params, (method, path, names - params)
    # bodies, auth and the error shape are documented too
    assert "requestBody" in documented[("post", "/v1/pos_devices")]
    assert documented[("get", "/v1/pos_devices")]["security"] == [{"userToken": []}]
    assert documented[("get", "/v1/pos/me")]["security"] == [{"deviceToken": []}]
    assert documented[("post", "/v1/signup")]["security"] == []  # public: no token, said explicitly
    assert set(doc["components"]["schemas"]["ErrorItem"]["properties"]) == {"code", "details", "field"}
    device_schema = doc["components"]["schemas"]["DeviceOut"]["properties"]
    for name in ("id", "name", "store_id", "number", "status", "activated", "installation_id", "lost_receipts",
                 "unsynced_receipts", "deletion", "deleted_at"):
        assert name in device_schema
