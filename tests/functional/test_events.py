"""GET /v1/events: the activity log, newest first, cursor-paginated, filterable by POS, one merchant's only."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import clock
from tests.conftest import receipt

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def tick():
    """Each call moves the pinned clock one minute on and returns the new time as the API writes it."""
    state = {"moment": T0}
    clock.set_now(T0)

    def step():
        state["moment"] += timedelta(minutes=1)
        clock.set_now(state["moment"])
        return clock.iso(state["moment"])

    yield step
    clock.set_now(None)


def all_events(client, token, limit=250, **query):
    items, cursor, pages = [], None, 0
    while True:
        params = dict(query, limit=limit) | ({"cursor": cursor} if cursor else {})
        status, body = client.get("/v1/events?" + "&".join(f"{k}={v}" for k, v in params.items()), token=token)
        assert status == 200, body
        assert len(body["events"]) <= limit
        items += body["events"]
        cursor, pages = body["cursor"], pages + 1
        assert pages <= 50, "cursor never ends"
        if not cursor:
            return items, pages


def story(client, tick):
    """A merchant's history with a known order; returns (merchant, device ids, [(at, type, device id)])."""
    log = []
    m = client.signup("Shop A")
    log.append((clock.iso(), "merchant.created", None))
    tick()
    store = m.store()
    log.append((clock.iso(), "store.created", None))
    tick()
    first = m.device("Till 1", store_id=store["id"])
    log.append((clock.iso(), "pos_device.created", first["id"]))
    tick()
    second = m.device("Till 2", store_id=store["id"])
    log.append((clock.iso(), "pos_device.created", second["id"]))
    tick()
    status, body = client.patch(f"/v1/pos_devices/{first['id']}", {"name": "Front till"}, token=m.token)
    assert status == 200, body
    log.append((clock.iso(), "pos_device.renamed", first["id"]))
    tick()
    token = m.activate(first["id"])["device_token"]
    log.append((clock.iso(), "pos_device.activated", first["id"]))
    tick()
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 4, "open_tickets": 0,
                                                          "shift_open": False},
                                                "receipts": [receipt(first["number"], 1)]}, token=token)
    assert status == 200, body  # a sync is not an activity-log entry
    tick()
    status, body = client.post(f"/v1/pos_devices/{first['id']}/deactivate", token=m.token)
    assert status == 200, body
    log.append((clock.iso(), "pos_device.deactivated", first["id"]))
    tick()
    return m, first["id"], second["id"], log


def test_events_are_newest_first_paginated_and_filtered_by_pos(client, tick):
    m, first, second, log = story(client, tick)
    expected = [(at, type_, device) for at, type_, device in reversed(log)]

    events, pages = all_events(client, m.token)
    assert pages == 1
    assert [(e["at"], e["type"], e["pos_device_id"]) for e in events] == expected
    assert len({e["id"] for e in events}) == len(events)
    owner_id = m.owner["id"]
    assert all(e["actor"] == {"type": "EMPLOYEE", "id": owner_id, "name": "Shop A", "role": "OWNER"} for e in events)
    deactivated = events[0]
    assert (deactivated["type"], deactivated["details"]["lost_receipts"]) == ("pos_device.deactivated", 3)
    renamed = next(e for e in events if e["type"] == "pos_device.renamed")
    assert renamed["details"] == {"from": "Till 1", "to": "Front till"}

    # Pages of two give the same list in the same order, each event once.
    paged, pages = all_events(client, m.token, limit=2)
    assert paged == events
    assert pages == 4

    # One POS's log, page by page.
    mine, pages = all_events(client, m.token, limit=1, pos_device_id=first)
    assert [e["type"] for e in mine] == ["pos_device.deactivated", "pos_device.activated", "pos_device.renamed",
                                         "pos_device.created"]
    assert [e["at"] for e in mine] == [at for at, _, device in expected if device == first]
    assert pages >= 4
    theirs, _ = all_events(client, m.token, pos_device_id=second)
    assert [(e["type"], e["pos_device_id"]) for e in theirs] == [("pos_device.created", second)]
    assert all_events(client, m.token, pos_device_id=str(uuid.uuid4()))[0] == []

    # A cursor belongs to the listing it came from.
    status, body = client.get(f"/v1/events?limit=1&pos_device_id={first}", token=m.token)
    assert status == 200, body
    assert body["cursor"], body
    status, bad = client.get(f"/v1/events?limit=1&pos_device_id={second}&cursor={body['cursor']}", token=m.token)
    assert (status, bad["errors"][0]["field"]) == (400, "cursor"), bad
    status, bad = client.get(f"/v1/events?limit=1&cursor={body['cursor']}", token=m.token)
    assert status == 400, bad


def test_events_are_isolated_between_merchants(client, tick):
    a, first, _second, _log = story(client, tick)
    b = client.signup("Shop B")
    tick()
    store = b.store()
    tick()
    b_device = b.device("B till", store_id=store["id"])

    b_events, _ = all_events(client, b.token)
    assert [e["type"] for e in b_events] == ["pos_device.created", "store.created", "merchant.created"]
    assert b_device["id"] in {e["pos_device_id"] for e in b_events}
    a_ids = {e["id"] for e in all_events(client, a.token)[0]}
    assert not a_ids & {e["id"] for e in b_events}
    assert all_events(client, b.token, pos_device_id=first)[0] == []
    assert all_events(client, a.token, pos_device_id=b_device["id"])[0] == []

    # A's cursor, handed to B, does not reach into A's log: refused outright for the merchant's log; for one
    # POS's log (keyed by the POS id) it may be accepted, but B still reads nothing of A's.
    status, body = client.get("/v1/events?limit=1", token=a.token)
    assert status == 200, body
    assert body["cursor"], body
    status, stolen = client.get(f"/v1/events?limit=1&cursor={body['cursor']}", token=b.token)
    assert status == 400, stolen
    assert stolen["errors"][0]["field"] == "cursor"
    status, body = client.get(f"/v1/events?limit=1&pos_device_id={first}", token=a.token)
    assert status == 200, body
    assert body["cursor"], body
    status, stolen = client.get(f"/v1/events?limit=1&pos_device_id={first}&cursor={body['cursor']}", token=b.token)
    assert status == 400 or (status == 200 and stolen == {"events": [], "cursor": None}), stolen


def test_events_query_is_validated_and_needs_a_user(client, tick):
    m = client.signup()
    for query in ("limit=0", "limit=251", "cursor=not-a-cursor", "cursor=e30", "colour=red"):
        status, body = client.get(f"/v1/events?{query}", token=m.token)
        assert status == 400, (query, body)
        assert body["errors"][0]["code"], body
    assert client.get("/v1/events")[0] == 401
    assert client.get("/v1/events", token="nonsense")[0] == 401


def test_a_manager_reads_the_activity_log(client, tick):
    m = client.signup()
    tick()
    store = m.store()
    tick()
    m.device("Till 1", store_id=store["id"])
    tick()
    email = f"manager-{uuid.uuid4().hex[:8]}@example.com"
    m.employee("Mia", "MANAGER", email=email, password="manager pass 1", store_ids=[store["id"]])
    status, login = client.post("/v1/auth/login", {"email": email, "password": "manager pass 1"})
    assert status == 200, login
    # a manager reads the log of their store (its POS devices and the store itself), not the merchant's others
    events, _ = all_events(client, login["token"])
    assert [e["type"] for e in events] == ["pos_device.created", "store.created"]
