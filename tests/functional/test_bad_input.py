"""Bad input on every route: always a 4xx in the contract's error shape, with a code; never a 500.

The generic checks are parametrized over the app's own route table (chalicelib.api.http.OPERATIONS), so a
new route is covered the day it is added. Hand-written cases below cover each body's own rules. Everything
runs against one moto world per module; no bad request may change it (checked at the end).
"""
import json
import re
import uuid
from dataclasses import dataclass

import pytest
from chalice.test import Client
from pydantic import BaseModel

from app import app as chalice_app
from chalicelib.api.http import OPERATIONS
from tests.conftest import Api, Merchant, local_aws

MiB = 1024 * 1024
ABSENT_ID = "00000000-0000-4000-8000-000000000000"


@dataclass
class World:
    api: Api
    m: Merchant
    ids: dict
    tokens: dict


@pytest.fixture(scope="module")
def world():

    with local_aws():
        with Client(chalice_app) as http:
            api = Api(http)
            m = api.signup("Bad Input Cafe")
            store = m.store("Main")
            ids = {"store": store["id"], "empty_store": m.store("Empty")["id"]}
            status, cashier = api.post("/v1/employees", {"name": "Cas", "role": "CASHIER", "pin": "1234"},
                                       token=m.token)
            assert status == 201, cashier
            ids["cashier"] = cashier["id"]
            ids["idle_device"] = m.device("Idle", store_id=store["id"])["id"]
            active, device_token = m.active_device("Active")
            ids["device"] = active["id"]
            status, login = api.post("/v1/pos/login", {"email": m.email, "password": m.password})
            tokens = {"user": m.token, "device": device_token, "login": login["login_token"]}
            yield World(api, m, ids, tokens)


def assert_error(status, body, expected_status=None, code=None, field=None):
    """A 4xx in the contract's shape: {"errors": [{"code", "details", "field"}, ...]}."""
    assert 400 <= status < 500, (status, body)
    if expected_status is not None:
        assert status == expected_status, (status, body)
    assert isinstance(body, dict), body
    assert set(body) == {"errors"}, body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "details", "field"}, error
        assert isinstance(error["code"], str), error
        assert re.fullmatch(r"[A-Z][A-Z_]*", error["code"]), error
        assert isinstance(error["details"], str), error
        assert error["details"], error
        assert error["field"] is None or isinstance(error["field"], str), error
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    if field is not None:
        assert any(e["field"] == field or (e["field"] or "").startswith(field + ".") for e in body["errors"]), body
    return body["errors"]


def _id(op):
    return f"{op.method} {op.path}"


def _path(op, **ids):
    """The route's path with absent (well-formed) ids, so that nothing can change even if a check is missing."""
    values = {"receipt_number": "9-9"} | ids
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), ABSENT_ID), op.path)


def _send(world, op, body=None, raw=None, token="auto", headers=None, query=""):
    if token == "auto":
        token = world.tokens.get(op.auth) if op.auth else None
    path = _path(op) + (f"?{query}" if query else "")
    return world.api.call(op.method, path, body=body, raw=raw, token=token, headers=headers)


ALL = OPERATIONS
WITH_AUTH = [op for op in OPERATIONS if op.auth]
WITH_BODY = [op for op in OPERATIONS if op.body]
WITHOUT_BODY = [op for op in OPERATIONS if not op.body and op.method != "GET"]
# The CSV export's `limit` is the size of a part (1..10000): tests/functional/test_receipt_search.py.
# A webhook's delivery log needs an existing webhook (else 404 before its cursor is read): the same checks on a
# real one are in tests/functional/test_webhooks.py.
LISTS = [op for op in OPERATIONS if op.query and "limit" in op.query.model_fields and op.path not in (
    "/v1/receipts/export", "/v1/webhooks/{webhook_id}/deliveries")]
WITH_IDS = [op for op in OPERATIONS if "{" in op.path]

# A valid example body per route: each generic check changes exactly one thing in it.
VALID_BODIES = {
    ("POST", "/v1/signup"): {"business_name": "Shop", "email": "fresh@example.com", "password": "long enough 1"},
    ("POST", "/v1/auth/login"): {"email": "someone@example.com", "password": "whatever"},
    ("POST", "/v1/stores"): {"name": "Store", "address": "1 High St"},
    ("PATCH", "/v1/stores/{store_id}"): {"name": "Store", "address": "1 High St"},
    ("POST", "/v1/employees"): {"name": "Emp", "role": "CASHIER", "email": "emp@example.com",
                                "pin": "9876", "store_ids": ["{store}"]},
    ("PATCH", "/v1/employees/{employee_id}"): {"name": "Emp", "role": "MANAGER", "email": "emp2@example.com",
                                               "pin": "5555", "store_ids": []},
    ("POST", "/v1/invitations/accept"): {"token": "some-invitation-token", "password": "long enough 3"},
    ("POST", "/v1/pos_devices"): {"name": "Till", "store_id": "{store}"},
    ("PATCH", "/v1/pos_devices/{device_id}"): {"name": "Till"},
    ("POST", "/v1/pos/login"): {"email": "someone@example.com", "password": "whatever"},
    ("POST", "/v1/pos/activate"): {"login_token": "x", "pos_device_id": "{idle_device}", "installation_id": "inst-1"},
    ("POST", "/v1/pos/switch_user"): {"employee_id": "{cashier}", "pin": "1234"},
    ("POST", "/v1/pos/sync"): {"state": {"last_receipt_number": 0, "open_tickets": 0, "shift_open": False},
                               "shifts": [{"id": "s1", "opened_at": "2026-01-01T10:00:00Z"}], "receipts": []},
    ("POST", "/v1/pos_devices/{device_id}/deactivate"): {"final_sync_hours": 0},
    ("POST", "/v1/pos_devices/{device_id}/pairing_code"): {"expires_in_seconds": 600},
    ("POST", "/v1/pos/pair"): {"code": "K7QM-4XRT", "installation_id": "inst-1"},
    ("POST", "/v1/api_tokens"): {"name": "ERP", "access": "READ", "store_ids": ["{store}"]},
    ("POST", "/v1/webhooks"): {"url": "http://127.0.0.1:9/hooks", "event_types": ["receipts.created"],
                               "enabled": True},
    ("PATCH", "/v1/webhooks/{webhook_id}"): {"url": "http://127.0.0.1:9/other", "event_types": ["shift.closed"],
                                             "enabled": False},
}


def _fill(value, ids):
    if isinstance(value, str):
        return re.sub(r"\{([a-z_]+)\}", lambda m: ids.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _valid(world, op) -> dict:
    assert (op.method, op.path) in VALID_BODIES, f"add a valid example body for the new route {_id(op)}"
    body = _fill(VALID_BODIES[(op.method, op.path)], world.ids)
    op.body.model_validate_json(json.dumps(body))  # the example itself must be valid
    return body


def _is_valid(op, body) -> bool:
    try:
        op.body.model_validate_json(json.dumps(body))
        return True
    except ValueError:
        return False


def test_the_route_table_is_complete():
    routes = {(op.method, re.sub(r"\{[^}]+\}", "{}", op.path)) for op in OPERATIONS}
    assert len(routes) == len(OPERATIONS)  # no duplicates
    for expected in [("POST", "/v1/signup"), ("GET", "/v1/pos_devices/{}/deletion"), ("POST", "/v1/pos/sync"),
                     ("GET", "/v1/receipts/{}"), ("POST", "/v1/pos_devices/{}/deactivate")]:
        assert expected in routes
    assert len(WITH_AUTH) >= 24
    assert len(WITH_BODY) >= 12
    assert len(LISTS) >= 7


# ---------------------------------------------------------------- authentication


@pytest.mark.parametrize("op", WITH_AUTH, ids=_id)
def test_no_or_bad_token_is_401(world, op):
    wrong_kind = [t for kind, t in world.tokens.items() if kind != op.auth]
    for headers in [{}, {"Authorization": "Bearer garbage"}, {"Authorization": "Bearer "},
                    {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": world.tokens[op.auth]},
                    {"Authorization": "Bearer " + "x" * 5000}, {"Authorization": "Bearer \u017c\u00f3\u0142w"},
                    *({"Authorization": f"Bearer {t}"} for t in wrong_kind)]:
        status, body = _send(world, op, token=None, headers=headers, body={})
        assert_error(status, body, 401, "UNAUTHENTICATED")


# ---------------------------------------------------------------- bodies: generic


@pytest.mark.parametrize("op", WITH_BODY, ids=_id)
def test_malformed_json_is_400(world, op):
    for raw in ['{"name": ', "{'name': 'x'}", "{name: 1}", '{"a": 1,}', "\ufeff{}x", '{"a": NaN}x', "[" * 100_000]:
        status, body = _send(world, op, raw=raw)
        assert_error(status, body, 400, "MALFORMED_JSON")
    status, body = _send(world, op, raw=b"\xff\xfe{\x00")
    assert_error(status, body, 400)


@pytest.mark.parametrize("op", WITH_BODY, ids=_id)
def test_json_that_is_not_an_object_is_400(world, op):
    for raw in ["[]", "[{}]", '"text"', "42", "null", "true"]:
        status, body = _send(world, op, raw=raw)
        assert_error(status, body, 400)


@pytest.mark.parametrize("op", WITH_BODY, ids=_id)
def test_unknown_field_is_400(world, op):
    status, body = _send(world, op, body=_valid(world, op) | {"surprise": 1})
    errors = assert_error(status, body, 400)
    assert [(e["code"], e["field"]) for e in errors] == [("UNKNOWN_FIELD", "surprise")]


def _required(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]


def _shape(op, body: dict) -> type[BaseModel]:
    """The model a body is validated as: the route's, or for a union (SwitchUserIn) the member the body picks."""
    shape_of = getattr(op.body, "shape_of", None)
    return shape_of(body) if shape_of else op.body


@pytest.mark.parametrize("op", [op for op in WITH_BODY if _required(_shape(op, VALID_BODIES[(op.method, op.path)]))],
                         ids=_id)
def test_missing_required_fields_are_each_named(world, op):
    valid = _valid(world, op)
    for name in _required(_shape(op, valid)):
        status, body = _send(world, op, body={k: v for k, v in valid.items() if k != name})
        errors = assert_error(status, body, 400)
        assert [(e["code"], e["field"]) for e in errors] == [("REQUIRED", name)]
    for raw in ("{}", ""):
        status, body = _send(world, op, raw=raw)
        errors = assert_error(status, body, 400, "REQUIRED")
        assert {e["field"] for e in errors} == set(_required(_shape(op, {}))), errors
    status, body = _send(world, op)  # no body at all
    assert_error(status, body, 400, "REQUIRED")


WRONG_VALUES = [123, -1, 1.5, True, None, "", "x", " ", ["x"], [], {"x": 1}, {}, "x" * 10_000]


@pytest.mark.parametrize("op", WITH_BODY, ids=_id)
def test_wrong_values_name_the_field(world, op):
    """Every field, every value of a wrong type or shape: a 400 that names that field (one error only)."""
    valid = _valid(world, op)
    checked = 0
    fields = _shape(op, valid).model_fields
    for name in fields:
        for value in WRONG_VALUES:
            candidate = valid | {name: value}
            if _is_valid(op, candidate):
                continue  # acceptable here (e.g. null for an optional field); sending it would change data
            status, body = _send(world, op, body=candidate)
            errors = assert_error(status, body, 400, field=name)
            assert all(e["field"] == name or e["field"].startswith(name + ".") for e in errors), errors
            checked += 1
    assert checked >= len(fields)


@pytest.mark.parametrize("op", WITH_BODY, ids=_id)
def test_oversized_body_is_413(world, op):
    raw = json.dumps({"name": "x" * (MiB + 1)})
    status, body = _send(world, op, raw=raw)
    assert_error(status, body, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("op", WITHOUT_BODY, ids=_id)
def test_routes_without_a_body_refuse_one(world, op):
    status, body = _send(world, op, raw='{"name": "x"}')
    assert_error(status, body, 400, "UNEXPECTED_BODY")
    status, body = _send(world, op, raw=json.dumps({"name": "x" * (MiB + 1)}))
    assert_error(status, body, 413, "PAYLOAD_TOO_LARGE")
    status, body = _send(world, op, raw="{not json")
    assert_error(status, body, 400)


@pytest.mark.parametrize("op", ALL, ids=_id)
def test_unsupported_content_type_is_in_the_contract_shape(world, op):
    status, body = _send(world, op, raw="<xml/>", headers={"Content-Type": "application/xml"})
    assert_error(status, body, 415, "UNSUPPORTED_MEDIA_TYPE")


# ---------------------------------------------------------------- query strings


@pytest.mark.parametrize("op", ALL, ids=_id)
def test_unknown_query_parameter_is_400(world, op):
    status, body = _send(world, op, query="surprise=1", body=_valid(world, op) if op.body else None)
    errors = assert_error(status, body, 400, "UNKNOWN_FIELD", field="surprise")
    assert len(errors) == 1


@pytest.mark.parametrize("op", LISTS, ids=_id)
def test_bad_limit_and_cursor_are_400(world, op):
    for value in ["0", "251", "-1", "abc", "", "1.5", "1e3", "99999999999999999999999", "%00", "%20"]:
        status, body = _send(world, op, query=f"limit={value}")
        assert_error(status, body, 400, field="limit")
    for cursor in ["garbage", "e30", "bnVsbA", "W10", "eyJtZXJjaGFudF9pZCI6MX0", "x" * 2001, "%FF%FE",
                   "eyJtZXJjaGFudF9pZCI6eyJTIjoib3RoZXIifX0"]:  # {} / null / [] / wrong types / another partition
        status, body = _send(world, op, query=f"cursor={cursor}")
        assert_error(status, body, 400, field="cursor")
    for good in ("limit=1", "limit=250"):
        assert _send(world, op, query=good)[0] == 200


BAD_QUERIES = [
    ("GET", "/v1/pos_devices", "status=bogus", "status"),
    ("GET", "/v1/pos_devices", "status=activated", "status"),
    ("GET", "/v1/pos_devices", "status=DELETED", "status"),
    ("GET", "/v1/pos_devices", "show_deleted=maybe", "show_deleted"),
    ("GET", "/v1/pos_devices", "store_id=bad%20id", "store_id"),
    ("GET", "/v1/pos_devices", "store_id=" + "a" * 65, "store_id"),
    ("GET", "/v1/audit/findings", "status=closed", "status"),
    ("GET", "/v1/audit/findings", "pos_device_id=%2F", "pos_device_id"),
    ("GET", "/v1/receipts", "created_at_min=yesterday", "created_at_min"),
    ("GET", "/v1/receipts", "created_at_min=2026-01-01T00:00:00", "created_at_min"),
    ("GET", "/v1/receipts", "created_at_max=2026-13-01T00:00:00Z", "created_at_max"),
    ("GET", "/v1/receipts", "pos_device_id=a%20b", "pos_device_id"),
    ("GET", "/v1/receipts", "store_id=", "store_id"),
    ("GET", "/v1/shifts", "pos_device_id=%3Cscript%3E", "pos_device_id"),
    ("GET", "/v1/events", "pos_device_id=" + "x" * 65, "pos_device_id"),
    ("DELETE", "/v1/pos_devices/{device_id}", "force=maybe", "force"),
    ("DELETE", "/v1/pos_devices/{device_id}", "force=", "force"),
]


@pytest.mark.parametrize(("method", "path", "query", "field"), BAD_QUERIES,
                         ids=[f"{q[1]}?{q[2][:30]}" for q in BAD_QUERIES])
def test_bad_filter_values_are_400(world, method, path, query, field):
    op = next(op for op in OPERATIONS if (op.method, op.path) == (method, path))
    status, body = _send(world, op, query=query)
    assert_error(status, body, 400, field=field)


# ---------------------------------------------------------------- ids in the path


BAD_IDS = ["nope", ABSENT_ID, "x" * 2000, "%00", "%FF", "a%2Fb", "%20", "..", "%C5%BC%C3%B3%C5%82w", "1-1%0A"]


@pytest.mark.parametrize("op", WITH_IDS, ids=_id)
def test_bad_or_unknown_ids_are_404(world, op):
    for bad in BAD_IDS:
        path = re.sub(r"\{[^}]+\}", bad, op.path)
        token = world.tokens.get(op.auth)
        body = _fill(VALID_BODIES.get((op.method, op.path), {"name": "Valid name"}), world.ids) if op.body else None
        status, error = world.api.call(op.method, path, body=body, token=token)
        assert_error(status, error, 404, "NOT_FOUND")


# ---------------------------------------------------------------- each body's own rules

LONG = "x" * 101
BODY_CASES = [
    # (method, path, body, field, status, code)
    ("POST", "/v1/signup", {"business_name": "", "email": "a@example.com", "password": "long enough 1"},
     "business_name", 400, None),
    ("POST", "/v1/signup", {"business_name": "   ", "email": "a@example.com", "password": "long enough 1"},
     "business_name", 400, None),
    ("POST", "/v1/signup", {"business_name": LONG, "email": "a@example.com", "password": "long enough 1"},
     "business_name", 400, None),
    ("POST", "/v1/signup", {"business_name": "a\x00b", "email": "a@example.com", "password": "long enough 1"},
     "business_name", 400, None),
    ("POST", "/v1/signup", {"business_name": "Shop", "email": "not-an-email", "password": "long enough 1"},
     "email", 400, None),
    ("POST", "/v1/signup", {"business_name": "Shop", "email": "a@example.com", "password": "short"},
     "password", 400, None),
    ("POST", "/v1/signup", {"business_name": "Shop", "email": "a@example.com", "password": "p" * 129},
     "password", 400, None),
    ("POST", "/v1/auth/login", {"email": "a@example.com", "password": ""}, "password", 400, None),
    ("POST", "/v1/auth/login", {"email": "", "password": "x"}, "email", 400, None),
    ("POST", "/v1/stores", {"name": ""}, "name", 400, None),
    ("POST", "/v1/stores", {"name": " \t "}, "name", 400, None),
    ("POST", "/v1/stores", {"name": LONG}, "name", 400, None),
    ("POST", "/v1/stores", {"name": "Shop\nFloor"}, "name", 400, None),
    ("POST", "/v1/stores", {"name": "Shop", "address": "a" * 501}, "address", 400, None),
    ("PATCH", "/v1/stores/{store_id}", {"name": ""}, "name", 400, None),
    ("PATCH", "/v1/stores/{store_id}", {"address": 5}, "address", 400, None),
    ("POST", "/v1/employees", {"name": "", "role": "CASHIER"}, "name", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "BOSS"}, "role", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "cashier"}, "role", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "OWNER"}, "role", 400, "ONE_OWNER"),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "pin": "12a4"}, "pin", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "pin": "123"}, "pin", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "pin": "12345"}, "pin", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "pin": 1234}, "pin", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "pin": "1234"}, "pin", 409, "PIN_TAKEN"),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "email": "e@"}, "email", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "password": "short"}, "password", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "store_ids": ["bad id"]}, "store_ids", 400, None),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "store_ids": [ABSENT_ID]}, "store_ids", 400,
     "UNKNOWN_STORE"),
    ("POST", "/v1/employees", {"name": "E", "role": "CASHIER", "store_ids": ["a"] * 101}, "store_ids", 400, None),
    ("PATCH", "/v1/employees/{employee_id}", {"name": None}, "name", 400, None),
    ("PATCH", "/v1/employees/{employee_id}", {"role": None}, "role", 400, None),
    ("PATCH", "/v1/employees/{employee_id}", {"store_ids": None}, "store_ids", 400, None),
    ("PATCH", "/v1/employees/{employee_id}", {"name": ""}, "name", 400, None),
    ("PATCH", "/v1/employees/{employee_id}", {"role": "OWNER"}, "role", 400, "ONE_OWNER"),
    ("PATCH", "/v1/employees/{employee_id}", {"pin": "abcd"}, "pin", 400, None),
    ("PATCH", "/v1/employees/{employee_id}", {"store_ids": [ABSENT_ID]}, "store_ids", 400, "UNKNOWN_STORE"),
    ("POST", "/v1/pos_devices", {"name": "", "store_id": "{store}"}, "name", 400, None),
    ("POST", "/v1/pos_devices", {"name": "   ", "store_id": "{store}"}, "name", 400, None),
    ("POST", "/v1/pos_devices", {"name": LONG, "store_id": "{store}"}, "name", 400, None),
    ("POST", "/v1/pos_devices", {"name": "Till", "store_id": ""}, "store_id", 400, None),
    ("POST", "/v1/pos_devices", {"name": "Till", "store_id": "bad id"}, "store_id", 400, None),
    ("POST", "/v1/pos_devices", {"name": "Till", "store_id": ABSENT_ID}, "store_id", 400, "UNKNOWN_STORE"),
    ("PATCH", "/v1/pos_devices/{device_id}", {}, "name", 400, "REQUIRED"),
    ("PATCH", "/v1/pos_devices/{device_id}", {"name": ""}, "name", 400, None),
    ("PATCH", "/v1/pos_devices/{device_id}", {"name": None}, "name", 400, None),
    ("POST", "/v1/pos/login", {"email": "nobody", "password": "x"}, "email", 400, None),
    ("POST", "/v1/pos/activate", {"login_token": "", "pos_device_id": "{idle_device}", "installation_id": "i"},
     "login_token", 400, None),
    ("POST", "/v1/pos/activate", {"login_token": "x", "pos_device_id": "{idle_device}", "installation_id": "a b"},
     "installation_id", 400, None),
    ("POST", "/v1/pos/activate", {"login_token": "x", "pos_device_id": "{idle_device}", "installation_id": ""},
     "installation_id", 400, None),
    ("POST", "/v1/pos/activate", {"login_token": "x", "pos_device_id": "a/b", "installation_id": "i"},
     "pos_device_id", 400, None),
    ("POST", "/v1/pos/activate", {"login_token": "garbage", "pos_device_id": "{idle_device}", "installation_id": "i"},
     None, 401, "UNAUTHENTICATED"),
    ("POST", "/v1/pos/switch_user", {"employee_id": "{cashier}", "pin": "12"}, "pin", 400, None),
    ("POST", "/v1/pos/switch_user", {"employee_id": "{cashier}", "pin": 1234}, "pin", 400, None),
    ("POST", "/v1/pos/switch_user", {"employee_id": "{cashier}"}, "pin", 400, "REQUIRED"),
    ("POST", "/v1/pos/switch_user", {"pin": "1234"}, "employee_id", 400, "REQUIRED"),
    ("POST", "/v1/pos/switch_user", {"email": "a@example.com"}, "password", 400, "REQUIRED"),
    ("POST", "/v1/pos/switch_user", {}, "email", 400, "REQUIRED"),
    ("POST", "/v1/pos/switch_user", {"email": "a@example.com", "password": "p" * 129}, "password", 400, None),
    ("POST", "/v1/pos/switch_user", {"employee_id": "{cashier}", "pin": "1234", "password": "x"}, "password", 400,
     "UNKNOWN_FIELD"),
    ("POST", "/v1/pos/sync", {"state": {"last_receipt_number": -1, "open_tickets": 0, "shift_open": False}},
     "state.last_receipt_number", 400, None),
    ("POST", "/v1/pos/sync", {"state": {"last_receipt_number": "3", "open_tickets": 0, "shift_open": False}},
     "state.last_receipt_number", 400, None),
    ("POST", "/v1/pos/sync", {"state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": "no"}},
     "state.shift_open", 400, None),
    ("POST", "/v1/pos/sync", {"state": {"last_receipt_number": 3, "shift_open": False}},
     "state.open_tickets", 400, "REQUIRED"),
    ("POST", "/v1/pos/sync", {"state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False, "x": 1}},
     "state.x", 400, "UNKNOWN_FIELD"),
    ("POST", "/v1/pos/sync", {"shifts": [{}]}, "shifts.0.id", 400, "REQUIRED"),
    ("POST", "/v1/pos/sync", {"shifts": [{"id": "s1", "opened_at": "2026-01-01T10:00:00"}]}, "shifts.0.opened_at",
     400, None),
    ("POST", "/v1/pos/sync", {"shifts": [{"id": "s1", "opened_at": "2026-01-01T10:00:00Z", "starting_cash": -5}]},
     "shifts.0.starting_cash", 400, None),
    ("POST", "/v1/pos/sync", {"shifts": [{"id": f"s{i}", "opened_at": "2026-01-01T10:00:00Z"} for i in range(51)]},
     "shifts", 400, None),
    ("POST", "/v1/pos/sync", {"receipts": [{}] * 251}, None, 413, "BATCH_TOO_LARGE"),
]


@pytest.mark.parametrize(("method", "path", "body", "field", "status", "code"), BODY_CASES,
                         ids=[f"{c[0]} {c[1]} {json.dumps(c[2])[:60]}" for c in BODY_CASES])
def test_body_rules(world, method, path, body, field, status, code):
    op = next(op for op in OPERATIONS if (op.method, op.path) == (method, path))
    token = world.tokens.get(op.auth) if op.auth else None
    real_path = _path(op, store_id=world.ids["store"], employee_id=world.ids["cashier"], device_id=world.ids["device"])
    got, answer = world.api.call(method, real_path, body=_fill(body, world.ids), token=token)
    assert_error(got, answer, status, code, field)


def test_a_huge_number_or_deep_nesting_is_a_400(world):
    for raw in ('{"state": {"last_receipt_number": 1e400, "open_tickets": 0, "shift_open": false}}',
                '{"state": {"last_receipt_number": 123456789012345678901234567890, "open_tickets": 0, '
                '"shift_open": false}}',
                '{"shifts": ' + "[" * 5000 + "]" * 5000 + "}"):
        status, body = world.api.post("/v1/pos/sync", raw=raw, token=world.tokens["device"])
        assert_error(status, body, 400)


# ---------------------------------------------------------------- illegal transitions


def test_deactivating_a_device_that_was_never_activated_is_409(world):
    status, body = world.api.post(f"/v1/pos_devices/{world.ids['idle_device']}/deactivate", token=world.m.token)
    assert_error(status, body, 409, "NOT_ACTIVATED")


def test_activating_an_activated_slot_is_409(world):
    status, body = world.api.post("/v1/pos/activate", {"login_token": world.tokens["login"],
                                                       "pos_device_id": world.ids["device"],
                                                       "installation_id": f"thief-{uuid.uuid4().hex[:6]}"})
    assert_error(status, body, 409, "SLOT_TAKEN")


def test_activating_an_unknown_slot_is_404(world):
    status, body = world.api.post("/v1/pos/activate", {"login_token": world.tokens["login"],
                                                       "pos_device_id": ABSENT_ID, "installation_id": "x"})
    assert_error(status, body, 404, "NOT_FOUND")


# ---------------------------------------------------------------- nothing above changed anything


def test_zz_the_world_is_unchanged(world):
    """Runs last in this module: every refused request above left the merchant's data as it was."""
    api, m, ids = world.api, world.m, world.ids
    stores = api.get("/v1/stores", token=m.token)[1]["stores"]
    assert sorted(s["name"] for s in stores) == ["Bad Input Cafe", "Empty", "Main", "Main store"]  # the first
    # made at sign-up, the last from active_device()
    assert all(s["address"] is None for s in stores)
    employees = api.get("/v1/employees", token=m.token)[1]["employees"]
    assert sorted((e["name"], e["role"]) for e in employees) == [("Bad Input Cafe", "OWNER"), ("Cas", "CASHIER")]
    devices = {d["id"]: d for d in api.get("/v1/pos_devices?show_deleted=true", token=m.token)[1]["pos_devices"]}
    assert set(devices) == {ids["device"], ids["idle_device"]}
    assert (devices[ids["device"]]["status"], devices[ids["device"]]["name"]) == ("ACTIVATED", "Active")
    assert devices[ids["device"]]["last_sync_at"] is None
    assert devices[ids["device"]]["deletion"] is None
    assert devices[ids["idle_device"]]["status"] == "NOT_ACTIVATED"
    assert devices[ids["idle_device"]]["deletion"] is None
    me = api.get("/v1/pos/me", token=world.tokens["device"])[1]
    assert me["current_employee_id"] == m.owner["id"]
    types = [e["type"] for e in api.get("/v1/events?limit=250", token=m.token)[1]["events"]]
    assert sorted(types) == sorted(["merchant.created", "store.created", "store.created", "store.created",
                                    "employee.created",
                                    "pos_device.created", "pos_device.created", "pos_device.activated"])
