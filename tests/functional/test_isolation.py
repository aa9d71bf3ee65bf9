"""Tenant isolation: merchant B, holding merchant A's ids, gets 404 (or an empty list) and changes nothing.

One world per module (moto is set up once): the attempts of B must not change A, which every test checks
by comparing A's whole view before and after.
"""
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from chalice.test import Client

from chalicelib import clock
from tests.conftest import Api, Merchant, local_aws, receipt


@dataclass
class World:
    api: Api
    a: Merchant
    b: Merchant
    ids: dict
    a_cursors: dict
    b_device_token: str


def _ok(result, status=200):
    assert result[0] == status, result
    return result[1]


def _build(api: Api) -> World:
    a = api.signup("Alpha")
    b = api.signup("Beta")
    ids = {}
    store = a.store("Alpha main")
    ids["store"] = store["id"]
    ids["empty_store"] = a.store("Alpha empty")["id"]
    ids["cashier"] = _ok(api.post("/v1/employees", {"name": "Ann", "role": "CASHIER", "pin": "2468",
                                                    "store_ids": [store["id"]]}, token=a.token), 201)["id"]
    ids["manager_email"], ids["manager_password"] = f"mgr-{uuid.uuid4().hex[:6]}@example.com", "manager pass 1"
    ids["manager"] = a.employee("Max", "MANAGER", email=ids["manager_email"], password=ids["manager_password"],
                                store_ids=[store["id"]])["id"]
    device = a.device("Alpha till", store_id=store["id"])
    ids["device"] = device["id"]
    token = a.activate(device["id"])["device_token"]
    long_ago = clock.iso(clock.now() - timedelta(hours=30))
    ids["shift"], ids["closed_shift"] = str(uuid.uuid4()), str(uuid.uuid4())
    _ok(api.post("/v1/pos/sync", {
        "state": {"last_receipt_number": 4, "open_tickets": 1, "shift_open": True},
        "shifts": [{"id": ids["closed_shift"], "opened_at": long_ago, "closed_at": clock.iso(), "starting_cash": 100},
                   {"id": ids["shift"], "opened_at": long_ago, "starting_cash": 500}],
        "receipts": [receipt(device["number"], 1), receipt(device["number"], 2)]}, token=token))
    ids["receipt_number"] = f"{device['number']}-2"
    assert api.post("/v1/audit/runs", token=a.token)[0] == 202  # missing receipts and a long shift: two findings
    ids["idle_device"] = a.device("Alpha spare", store_id=store["id"])["id"]
    ids["deleted_device"] = a.device("Alpha old", store_id=store["id"])["id"]
    _ok(api.delete(f"/v1/pos_devices/{ids['deleted_device']}", token=a.token), 202)
    assert api.wait_for_deletion(a.token, ids["deleted_device"])["status"] == "SUCCEEDED"

    # B has a device of its own, with the same POS number 1 and its own receipt 1-1.
    b_device, b_token = b.active_device("Beta till")
    assert b_device["number"] == device["number"] == 1
    _ok(api.post("/v1/pos/sync", {"receipts": [receipt(1, 1, total=999)]}, token=b_token))

    cursors = {}
    for name, path in {
        "stores": "/v1/stores", "employees": "/v1/employees", "pos_devices": "/v1/pos_devices?show_deleted=true",
        "events": "/v1/events", "receipts": "/v1/receipts", "shifts": "/v1/shifts", "findings": "/v1/audit/findings",
        "device_events": f"/v1/events?pos_device_id={ids['device']}",
        "device_receipts": f"/v1/receipts?pos_device_id={ids['device']}",
        "store_receipts": f"/v1/receipts?store_id={ids['store']}",
        "device_shifts": f"/v1/shifts?pos_device_id={ids['device']}",
        "store_shifts": f"/v1/shifts?store_id={ids['store']}",
        "device_findings": f"/v1/audit/findings?pos_device_id={ids['device']}",
    }.items():
        sep = "&" if "?" in path else "?"
        page = _ok(api.get(f"{path}{sep}limit=1", token=a.token))
        assert page["cursor"], (name, page)
        cursors[name] = (path, page["cursor"])
    return World(api, a, b, ids, cursors, b_token)


@pytest.fixture(scope="module")
def world():
    from app import app as chalice_app

    with local_aws():
        with Client(chalice_app) as http:
            yield _build(Api(http))


def _view(world: World, merchant: Merchant) -> dict:
    """Everything a merchant can see, for before/after comparison."""
    api, ids, view = world.api, world.ids, {}
    for name, path in (("stores", "/v1/stores"), ("employees", "/v1/employees"),
                       ("pos_devices", "/v1/pos_devices?show_deleted=true"), ("events", "/v1/events"),
                       ("receipts", "/v1/receipts"), ("shifts", "/v1/shifts"), ("findings", "/v1/audit/findings")):
        page = _ok(api.get(f"{path}{'&' if '?' in path else '?'}limit=250", token=merchant.token))
        assert page["cursor"] is None
        view[name] = sorted(page[name], key=lambda item: item["id"])
    if merchant is world.a:
        view["deletion"] = _ok(api.get(f"/v1/pos_devices/{ids['deleted_device']}/deletion", token=merchant.token))
    return view


@pytest.fixture
def a_unchanged(world):
    """A's whole view is the same after the test as before it."""
    before = _view(world, world.a)
    yield
    assert _view(world, world.a) == before


# (method, path with {placeholders} for A's ids, body)
NOT_FOUND = [
    ("GET", "/v1/stores/{store}", None),
    ("PATCH", "/v1/stores/{store}", {"name": "Taken over"}),
    ("PATCH", "/v1/stores/{store}", {}),
    ("DELETE", "/v1/stores/{empty_store}", None),
    ("PATCH", "/v1/employees/{cashier}", {"name": "Taken over"}),
    ("PATCH", "/v1/employees/{cashier}", {"pin": "1357"}),
    ("DELETE", "/v1/employees/{cashier}", None),
    ("DELETE", "/v1/employees/{manager}", None),
    ("GET", "/v1/pos_devices/{device}", None),
    ("GET", "/v1/pos_devices/{deleted_device}", None),
    ("PATCH", "/v1/pos_devices/{device}", {"name": "Taken over"}),
    ("POST", "/v1/pos_devices/{device}/deactivate", None),
    ("DELETE", "/v1/pos_devices/{idle_device}", None),
    ("DELETE", "/v1/pos_devices/{idle_device}?force=true", None),
    ("DELETE", "/v1/pos_devices/{device}?force=true", None),
    ("GET", "/v1/pos_devices/{deleted_device}/deletion", None),
    ("GET", "/v1/receipts/{receipt_number}", None),
]

EMPTY_LISTS = [
    ("/v1/events?pos_device_id={device}", "events"),
    ("/v1/shifts?pos_device_id={device}", "shifts"),
    ("/v1/shifts?store_id={store}", "shifts"),
    ("/v1/audit/findings?pos_device_id={device}", "findings"),
    ("/v1/audit/findings?pos_device_id={device}&status=open", "findings"),
    ("/v1/receipts?pos_device_id={device}", "receipts"),
    ("/v1/receipts?store_id={store}", "receipts"),
    ("/v1/receipts?pos_device_id={device}&store_id={store}", "receipts"),
    ("/v1/pos_devices?store_id={store}", "pos_devices"),
    ("/v1/pos_devices?store_id={store}&show_deleted=true", "pos_devices"),
]


def test_the_world_is_what_the_tests_assume(world):
    """A really holds what B is refused (so a 404 below means isolation, not absence)."""
    api, a, ids = world.api, world.a, world.ids
    for method, template, body in NOT_FOUND:
        if method == "GET":
            assert api.get(template.format(**ids), token=a.token)[0] == 200, template
    for template, key in EMPTY_LISTS:
        assert _ok(api.get(template.format(**ids), token=a.token))[key], template


@pytest.mark.parametrize(("method", "template", "body"), NOT_FOUND,
                         ids=[f"{m} {t} {b}" for m, t, b in NOT_FOUND])
def test_another_merchants_id_is_not_found(world, a_unchanged, method, template, body):
    status, error = world.api.call(method, template.format(**world.ids), body=body, token=world.b.token)
    assert status == 404, error
    assert error["errors"][0]["code"] in ("NOT_FOUND", "NO_DELETION")
    assert set(error["errors"][0]) == {"code", "details", "field"}


@pytest.mark.parametrize(("template", "key"), EMPTY_LISTS, ids=[t for t, _ in EMPTY_LISTS])
def test_filtering_by_another_merchants_id_lists_nothing(world, template, key):
    page = _ok(world.api.get(template.format(**world.ids), token=world.b.token))
    assert page == {key: [], "cursor": None}


def test_receipt_numbers_are_per_merchant(world, a_unchanged):
    api = world.api
    mine = _ok(api.get("/v1/receipts/1-1", token=world.b.token))
    assert (mine["total_money"], mine["pos_device_name"]) == (999, "Beta till")
    theirs = _ok(api.get("/v1/receipts/1-1", token=world.a.token))
    assert (theirs["total_money"], theirs["pos_device_name"]) == (700, "Alpha till")


@pytest.mark.parametrize("name", [
    "stores", "employees", "pos_devices", "events", "receipts", "shifts", "findings",
    "device_events", "device_receipts", "store_receipts", "device_shifts", "store_shifts", "device_findings",
])
def test_another_merchants_cursor_is_rejected(world, name):
    path, cursor = world.a_cursors[name]
    sep = "&" if "?" in path else "?"
    status, error = world.api.get(f"{path}{sep}limit=1&cursor={cursor}", token=world.b.token)
    assert status == 400, error
    assert (error["errors"][0]["code"], error["errors"][0]["field"]) == ("INVALID_CURSOR", "cursor")
    # while A may continue with it
    status, page = world.api.get(f"{path}{sep}limit=1&cursor={cursor}", token=world.a.token)
    assert status == 200, page


def test_another_merchants_store_cannot_be_used(world, a_unchanged):
    api, b, ids = world.api, world.b, world.ids
    status, error = api.post("/v1/pos_devices", {"name": "Sneaky", "store_id": ids["store"]}, token=b.token)
    assert (status, error["errors"][0]["code"]) == (400, "UNKNOWN_STORE"), error
    status, error = api.post("/v1/employees", {"name": "Sneaky", "role": "CASHIER", "store_ids": [ids["store"]]},
                             token=b.token)
    assert (status, error["errors"][0]["code"]) == (400, "UNKNOWN_STORE"), error
    own = _view(world, b)["employees"][0]["id"]
    status, error = api.patch(f"/v1/employees/{own}", {"store_ids": [ids["store"]]}, token=b.token)
    assert (status, error["errors"][0]["code"]) == (400, "UNKNOWN_STORE"), error


def test_a_pos_cannot_take_another_merchants_slot_or_people(world, a_unchanged):
    api, b, ids = world.api, world.b, world.ids
    login = _ok(api.post("/v1/pos/login", {"email": b.email, "password": b.password}))
    assert ids["idle_device"] not in [d["id"] for d in login["pos_devices"]]
    status, error = api.post("/v1/pos/activate", {"login_token": login["login_token"],
                                                  "pos_device_id": ids["idle_device"], "installation_id": "evil"})
    assert status == 404, error
    # B's POS cannot switch to A's employees, by PIN or by password
    status, error = api.post("/v1/pos/switch_user", {"employee_id": ids["cashier"], "pin": "2468"},
                             token=world.b_device_token)
    assert (status, error["errors"][0]["code"]) == (401, "INVALID_PIN"), error
    status, error = api.post("/v1/pos/switch_user", {"email": ids["manager_email"],
                                                     "password": ids["manager_password"]},
                             token=world.b_device_token)
    assert (status, error["errors"][0]["code"]) == (401, "INVALID_CREDENTIALS"), error
    # B's POS reporting a shift with A's shift id does not touch A's shift
    status, synced = api.post("/v1/pos/sync", {"shifts": [{"id": ids["shift"], "opened_at": clock.iso(),
                                                           "closed_at": clock.iso()}]},
                              token=world.b_device_token)
    assert status == 200, synced


def test_bs_audit_run_leaves_as_findings_alone(world, a_unchanged):
    assert world.api.post("/v1/audit/runs", token=world.b.token)[0] == 202
