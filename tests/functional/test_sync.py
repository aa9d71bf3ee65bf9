"""Issue 3, POS sync, end to end over HTTP (chalice.test.Client on in-process moto).

Receipts exactly once, rejections one by one, revoked devices, lost receipts, the back-office lists
(pagination, filters, one receipt), shifts, the device's state report and the request budget.
"""
import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from bench.dynamo_counter import count_dynamodb
from chalicelib import clock
from tests.conftest import receipt

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sync(client, token, receipts=(), shifts=(), state=None):
    body = {"receipts": list(receipts), "shifts": list(shifts)}
    if state is not None:
        body["state"] = state
    return client.post("/v1/pos/sync", body, token=token)


def synced(client, token, receipts=(), shifts=(), state=None):
    status, body = sync(client, token, receipts, shifts, state)
    assert status == 200, body
    return body


def all_receipts(client, token, limit=250, **filters):
    """Every receipt the list hands out, page by page, and the number of pages it took."""
    items, cursor, pages = [], None, 0
    while True:
        query = dict(filters, limit=limit) | ({"cursor": cursor} if cursor else {})
        status, body = client.get("/v1/receipts?" + "&".join(f"{k}={v}" for k, v in query.items()), token=token)
        assert status == 200, body
        assert len(body["receipts"]) <= limit
        items += body["receipts"]
        pages += 1
        cursor = body["cursor"]
        if not cursor:
            return items, pages
        assert pages < 100, "the cursor never ends"


def device_of(client, m, device_id):
    status, body = client.get(f"/v1/pos_devices/{device_id}", token=m.token)
    assert status == 200, body
    return body


def counters(device):
    return {k: device[k] for k in ("synced_receipts", "last_receipt_number", "unsynced_receipts", "lost_receipts")}


def assert_error(status, body, expected_status, code=None):
    assert status == expected_status, body
    assert set(body) == {"errors"}, body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "details", "field"}, error
        assert error["details"]
    if code:
        assert body["errors"][0]["code"] == code, body


@pytest.fixture
def fixed_clock(aws):
    clock.set_now(T0)
    yield
    clock.set_now(None)


# ---------------------------------------------------------------- exactly once


def test_replaying_a_batch_ten_times_changes_nothing(client):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    shift = {"id": str(uuid.uuid4()), "opened_at": iso(T0), "starting_cash": 5000}
    batch = [receipt(n, seq, created_at=iso(T0 + timedelta(minutes=seq))) for seq in range(1, 21)]
    state = {"last_receipt_number": 22, "open_tickets": 1, "shift_open": True}

    first = synced(client, token, batch, [shift], state)
    assert (first["accepted"], first["duplicates"], first["rejected"]) == (20, 0, [])
    assert counters(first["pos_device"]) == {"synced_receipts": 20, "last_receipt_number": 22,
                                             "unsynced_receipts": 2, "lost_receipts": 0}
    stored_before, _ = all_receipts(client, m.token)
    shifts_before = client.get("/v1/shifts", token=m.token)[1]["shifts"]

    for _ in range(10):
        again = synced(client, token, batch, [shift], state)
        assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 20, [])
        assert counters(again["pos_device"]) == counters(first["pos_device"])

    stored_after, _ = all_receipts(client, m.token)
    # Same receipts, each once, and none rewritten (synced_at is the first sync's).
    assert stored_after == stored_before
    assert sorted(r["id"] for r in stored_after) == sorted(r["id"] for r in batch)
    assert client.get("/v1/shifts", token=m.token)[1]["shifts"] == shifts_before
    assert counters(device_of(client, m, device["id"])) == counters(first["pos_device"])


def test_a_mixed_batch_stores_the_valid_receipts_and_rejects_the_rest_one_by_one(client):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    stored = receipt(n, 1)
    assert synced(client, token, [stored])["accepted"] == 1

    new_2, new_3, new_5 = receipt(n, 2), receipt(n, 3), receipt(n, 5)
    wrong_type = receipt(n, 6, total_money="700")
    missing = receipt(n, 7)
    del missing["created_at"]
    wrong_pos = receipt(n + 1, 8)
    bad_number = receipt(n, 9, receipt_number="twelve")
    not_paid = receipt(n, 10, payments=[{"type": "CASH", "money_amount": 500}])
    same_number = receipt(n, 5)  # another id with a number this batch already uses
    taken = receipt(n, 1)  # another id with a number the server already holds
    unknown_field = receipt(n, 11, colour="red")
    numeric_id = receipt(n, 12, id=12345)
    batch = [new_2, stored, new_3, dict(new_3), wrong_type, missing, wrong_pos, bad_number, not_paid, new_5,
             same_number, taken, unknown_field, numeric_id, "not a receipt", 42, None, []]

    body = synced(client, token, batch)

    assert body["accepted"] == 3
    assert body["duplicates"] == 2  # `stored` again, and new_3 twice in this batch
    rejected = {(r["id"], r["code"]) for r in body["rejected"]}
    assert rejected == {
        (wrong_type["id"], "INVALID_RECEIPT"), (missing["id"], "INVALID_RECEIPT"),
        (wrong_pos["id"], "WRONG_POS_NUMBER"), (bad_number["id"], "INVALID_RECEIPT_NUMBER"),
        (not_paid["id"], "PAYMENTS_MISMATCH"), (same_number["id"], "RECEIPT_NUMBER_TAKEN"),
        (taken["id"], "RECEIPT_NUMBER_TAKEN"), (unknown_field["id"], "INVALID_RECEIPT"),
        (None, "INVALID_RECEIPT"),
    }
    assert len(body["rejected"]) == 13  # numeric_id and the four non-objects each count once, with id null
    assert [r["id"] for r in body["rejected"]].count(None) == 5
    details = {r["id"]: r["details"] for r in body["rejected"] if r["id"]}
    assert "total_money" in details[wrong_type["id"]]
    assert "created_at" in details[missing["id"]]
    assert "colour" in details[unknown_field["id"]]
    assert all(r["details"] for r in body["rejected"])

    assert counters(body["pos_device"])["synced_receipts"] == 4
    listed, _ = all_receipts(client, m.token)
    assert {(r["receipt_number"], r["id"]) for r in listed} == {
        (f"{n}-1", stored["id"]), (f"{n}-2", new_2["id"]), (f"{n}-3", new_3["id"]), (f"{n}-5", new_5["id"])}
    for number in (f"{n}-6", f"{n}-7", f"{n}-10", f"{n + 1}-8"):
        assert client.get(f"/v1/receipts/{number}", token=m.token)[0] == 404


def test_a_stored_number_sent_with_another_id_is_rejected_and_the_stored_receipt_kept(client):
    m = client.signup()
    device, token = m.active_device()
    original = receipt(device["number"], 1, total=900)
    synced(client, token, [original])

    intruder = receipt(device["number"], 1, total=100)
    body = synced(client, token, [intruder])

    assert (body["accepted"], body["duplicates"]) == (0, 0)
    assert [(r["id"], r["code"]) for r in body["rejected"]] == [(intruder["id"], "RECEIPT_NUMBER_TAKEN")]
    assert body["pos_device"]["synced_receipts"] == 1
    status, kept = client.get(f"/v1/receipts/{device['number']}-1", token=m.token)
    assert status == 200
    assert (kept["id"], kept["total_money"]) == (original["id"], 900)


def test_a_batch_of_251_receipts_answers_413_and_writes_nothing(client):
    m = client.signup()
    device, token = m.active_device()
    batch = [receipt(device["number"], seq) for seq in range(1, 252)]
    status, body = sync(client, token, batch, state={"last_receipt_number": 251, "open_tickets": 0,
                                                      "shift_open": False})
    assert_error(status, body, 413, "BATCH_TOO_LARGE")
    after = device_of(client, m, device["id"])
    assert counters(after)["synced_receipts"] == 0
    assert after["last_receipt_number"] == 0
    assert after["last_sync_at"] is None
    assert all_receipts(client, m.token)[0] == []


MALFORMED_BODIES = [
    "{not json",
    json.dumps([]),
    json.dumps({"receipts": "many"}),
    json.dumps({"receipts": {"id": "x"}}),
    json.dumps({"receipts": [], "extra": 1}),
    json.dumps({"state": {"last_receipt_number": "3", "open_tickets": 0, "shift_open": False}}),
    json.dumps({"state": {"last_receipt_number": -1, "open_tickets": 0, "shift_open": False}}),
    json.dumps({"state": {"open_tickets": 0}}),
    json.dumps({"shifts": [{"id": "s1"}]}),
    json.dumps({"shifts": [{"id": "s1", "opened_at": "2026-11-24T10:00:00"}]}),
    json.dumps({"shifts": "open"}),
    json.dumps({"shifts": [{"id": "s1", "opened_at": "2026-11-24T10:00:00Z"}] * 51}),
]


def test_a_malformed_sync_body_answers_400_and_writes_nothing(client):
    m = client.signup()
    device, token = m.active_device()
    for raw in MALFORMED_BODIES:
        status, body = client.post("/v1/pos/sync", raw=raw, token=token)
        assert_error(status, body, 400)
    assert device_of(client, m, device["id"])["last_sync_at"] is None
    assert client.get("/v1/shifts", token=m.token)[1]["shifts"] == []


def test_sync_without_a_valid_device_token_answers_401(client):
    m = client.signup()
    device, token = m.active_device()
    for bad in (None, "nonsense", m.token):  # no token, an unknown one, a back-office user's token
        status, body = sync(client, bad, [receipt(device["number"], 1)])
        assert_error(status, body, 401)
    assert device_of(client, m, device["id"])["synced_receipts"] == 0


# ---------------------------------------------------------------- revoked devices and lost receipts


def test_a_revoked_token_gets_401_device_deactivated_and_nothing_of_its_batch_is_written(client):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    synced(client, token, [receipt(n, 1), receipt(n, 2)],
           state={"last_receipt_number": 2, "open_tickets": 0, "shift_open": False})
    status, deactivated = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
    assert status == 200, deactivated
    before = device_of(client, m, device["id"])

    shift = {"id": str(uuid.uuid4()), "opened_at": iso(T0)}
    status, body = sync(client, token, [receipt(n, 3), receipt(n, 4)], [shift],
                        {"last_receipt_number": 9, "open_tickets": 4, "shift_open": True})

    assert_error(status, body, 401, "DEVICE_DEACTIVATED")
    assert device_of(client, m, device["id"]) == before
    assert {r["receipt_number"] for r in all_receipts(client, m.token)[0]} == {f"{n}-1", f"{n}-2"}
    assert client.get("/v1/shifts", token=m.token)[1]["shifts"] == []
    assert_error(*client.get("/v1/pos/me", token=token), 401, "DEVICE_DEACTIVATED")


def test_deactivation_reports_lost_receipts_and_reactivation_continues_the_numbering(client):
    m = client.signup()
    device, old_token = m.active_device()
    n = device["number"]
    body = synced(client, old_token, [receipt(n, seq) for seq in (1, 2, 3)],
                  state={"last_receipt_number": 5, "open_tickets": 0, "shift_open": False})
    assert counters(body["pos_device"]) == {"synced_receipts": 3, "last_receipt_number": 5,
                                            "unsynced_receipts": 2, "lost_receipts": 0}

    status, deactivated = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
    assert status == 200, deactivated
    assert deactivated["status"] == "INACTIVE"
    assert (deactivated["lost_receipts"], deactivated["unsynced_receipts"]) == (2, 0)
    status, events = client.get(f"/v1/events?pos_device_id={device['id']}", token=m.token)
    assert status == 200
    logged = [e for e in events["events"] if e["type"] == "pos_device.deactivated"]
    assert (len(logged), logged[0]["details"]["lost_receipts"]) == (1, 2)

    activation = m.activate(device["id"])
    assert activation["next_receipt_seq"] == 6
    new_token = activation["device_token"]
    late_4, late_5, next_6 = receipt(n, 4), receipt(n, 5), receipt(n, 6)
    body = synced(client, new_token, [late_4, late_5, next_6],
                  state={"last_receipt_number": 6, "open_tickets": 0, "shift_open": False})

    assert body["accepted"] == 1
    assert sorted((r["id"], r["code"]) for r in body["rejected"]) == sorted(
        [(late_4["id"], "RECEIPT_WRITTEN_OFF"), (late_5["id"], "RECEIPT_WRITTEN_OFF")])
    assert counters(body["pos_device"]) == {"synced_receipts": 4, "last_receipt_number": 6,
                                            "unsynced_receipts": 0, "lost_receipts": 2}
    assert_error(*sync(client, old_token, [receipt(n, 7)]), 401, "DEVICE_DEACTIVATED")
    assert {r["receipt_number"] for r in all_receipts(client, m.token)[0]} == {f"{n}-{s}" for s in (1, 2, 3, 6)}


def test_receipts_keep_the_pos_name_of_their_sync_also_after_rename_and_deactivation(client):
    m = client.signup()
    device, token = m.active_device("Till 1")
    n = device["number"]
    synced(client, token, [receipt(n, 1, created_at=iso(T0))])
    status, renamed = client.patch(f"/v1/pos_devices/{device['id']}", {"name": "Front till"}, token=m.token)
    assert status == 200, renamed
    synced(client, token, [receipt(n, 2, created_at=iso(T0 + timedelta(minutes=1)))])
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)[0] == 200

    expected = {f"{n}-1": "Till 1", f"{n}-2": "Front till"}
    for filters in ({}, {"pos_device_id": device["id"]}, {"store_id": device["store_id"]}):
        listed, _ = all_receipts(client, m.token, **filters)
        assert {r["receipt_number"]: r["pos_device_name"] for r in listed} == expected
    for number, name in expected.items():
        status, one = client.get(f"/v1/receipts/{number}", token=m.token)
        assert (status, one["pos_device_name"]) == (200, name)


# ---------------------------------------------------------------- the back-office lists


@pytest.mark.engine("moto")  # reads or counts what the DynamoDB adapter sends
def test_pages_hand_out_every_receipt_once_newest_first(client):
    m = client.signup()
    device, token = m.active_device()
    other, other_token = m.active_device("Till 2")  # in another store: must not leak into the filtered pages
    n = device["number"]
    # 23 receipts, three of them at the same second (ties are ordered by number), sent out of order.
    times = [T0 + timedelta(minutes=seq) for seq in range(1, 21)] + [T0 + timedelta(minutes=30)] * 3
    batch = [receipt(n, seq, created_at=iso(moment)) for seq, moment in enumerate(times, start=1)]
    random.Random(3).shuffle(batch)
    synced(client, token, batch)
    elsewhere = receipt(other["number"], 1, created_at=iso(T0 + timedelta(minutes=7)))
    synced(client, other_token, [elsewhere])

    indexes = {"": "merchant-created-index", "pos_device_id": "device-created-index",
               "store_id": "store-created-index"}
    for filters in ({}, {"pos_device_id": device["id"]}, {"store_id": device["store_id"]}):
        with count_dynamodb() as counter:
            listed, pages = all_receipts(client, m.token, limit=5, **filters)
        # Served by the index that fits, one Query per page; never a scan.
        assert counter.count("Scan") == 0
        assert counter.indexes() == {indexes["".join(filters)]: pages}, counter.indexes()

        expected = {r["id"] for r in batch} | ({elsewhere["id"]} if not filters else set())
        ids = [r["id"] for r in listed]
        assert len(ids) == len(set(ids)), f"a receipt was handed out twice ({filters})"
        assert set(ids) == expected, f"a receipt was skipped, or another store's leaked in ({filters})"
        assert pages == 5
        keys = [(r["created_at"], r["receipt_number"]) for r in listed]
        assert keys == sorted(keys, reverse=True), f"not newest first ({filters})"
        assert [r["receipt_number"] for r in listed[:3]] == [f"{n}-23", f"{n}-22", f"{n}-21"]


def test_receipt_filters(client):
    m = client.signup()
    store_a, store_b = m.store("A"), m.store("B")
    devices = {}
    for name, store in (("a1", store_a), ("a2", store_a), ("b1", store_b)):
        created = m.device(name, store_id=store["id"])
        devices[name] = (created, m.activate(created["id"])["device_token"])
    for offset, name in enumerate(devices):
        dev, token = devices[name]
        synced(client, token, [receipt(dev["number"], seq, created_at=iso(T0 + timedelta(hours=seq, minutes=offset)))
                               for seq in (1, 2, 3)])

    def numbers(**filters):
        return {r["receipt_number"] for r in all_receipts(client, m.token, **filters)[0]}

    def of(name, *seqs):
        return {f"{devices[name][0]['number']}-{seq}" for seq in seqs}

    assert numbers(pos_device_id=devices["a1"][0]["id"]) == of("a1", 1, 2, 3)
    assert numbers(store_id=store_a["id"]) == of("a1", 1, 2, 3) | of("a2", 1, 2, 3)
    assert numbers(store_id=store_b["id"]) == of("b1", 1, 2, 3)
    assert numbers(pos_device_id=devices["a1"][0]["id"], store_id=store_b["id"]) == set()
    # Time bounds are inclusive: a2's receipts are at T0+seq h+1 min.
    assert numbers(created_at_min=iso(T0 + timedelta(hours=2, minutes=1)),
                   created_at_max=iso(T0 + timedelta(hours=3, minutes=1))) == \
        of("a2", 2, 3) | of("b1", 2) | of("a1", 3)
    assert numbers(created_at_min=iso(T0 + timedelta(hours=3))) == of("a1", 3) | of("a2", 3) | of("b1", 3)
    assert numbers(created_at_max=iso(T0 + timedelta(hours=1))) == of("a1", 1)
    assert numbers(pos_device_id=devices["b1"][0]["id"], created_at_min=iso(T0 + timedelta(hours=2)),
                   created_at_max=iso(T0 + timedelta(hours=2, minutes=59))) == of("b1", 2)
    assert numbers(store_id=store_a["id"], created_at_max=iso(T0 + timedelta(hours=1, minutes=1))) == \
        of("a1", 1) | of("a2", 1)

    # Another merchant's device and store ids find nothing, even with the right numbers in hand.
    other = client.signup()
    for filters in ({"pos_device_id": devices["a1"][0]["id"]}, {"store_id": store_a["id"]}, {}):
        assert all_receipts(client, other.token, **filters)[0] == []


BAD_LIST_QUERIES = [
    ("limit=0", None), ("limit=251", None), ("limit=ten", None),
    ("created_at_min=yesterday", None), ("created_at_max=2026-11-24T10:00:00", None),
    ("pos_device_id=not%20an%20id", None), ("colour=red", "UNKNOWN_FIELD"), ("cursor=%%%", "INVALID_CURSOR"),
    ("cursor=eyJmb28iOiJiYXIifQ", "INVALID_CURSOR"),
]


def test_bad_receipt_list_queries_answer_400_and_a_cursor_only_continues_its_own_listing(client):
    m = client.signup()
    device, token = m.active_device()
    for query, code in BAD_LIST_QUERIES:
        status, body = client.get(f"/v1/receipts?{query}", token=m.token)
        assert_error(status, body, 400, code)

    other = client.signup()
    synced(client, token, [receipt(device["number"], seq) for seq in range(1, 4)])
    status, first = client.get(f"/v1/receipts?limit=1&pos_device_id={device['id']}", token=m.token)
    assert status == 200
    assert first["cursor"]
    cursor = first["cursor"]
    assert_error(*client.get(f"/v1/receipts?limit=1&cursor={cursor}", token=m.token), 400, "INVALID_CURSOR")
    assert_error(*client.get(f"/v1/receipts?limit=1&store_id={device['store_id']}&cursor={cursor}", token=m.token),
                 400, "INVALID_CURSOR")
    status, own = client.get("/v1/receipts?limit=1&cursor=" +
                             client.get("/v1/receipts?limit=1", token=m.token)[1]["cursor"], token=other.token)
    assert_error(status, own, 400, "INVALID_CURSOR")


def test_one_receipt_by_number_with_everything_stored(client, fixed_clock):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    shift_id = str(uuid.uuid4())
    synced(client, token, shifts=[{"id": shift_id, "opened_at": iso(T0), "starting_cash": 10000}],
           state={"last_receipt_number": 0, "open_tickets": 0, "shift_open": True})
    clock.set_now(T0 + timedelta(minutes=5))
    sent = receipt(n, 1, total=1000, created_at="2026-11-24T09:30:00+01:00", receipt_type="REFUND", total_tax=81,
                   line_items=[{"item_name": "Tea", "quantity": 2, "price": 350, "total_money": 700},
                               {"item_name": "Cake", "quantity": 1, "price": 300, "total_money": 300}],
                   payments=[{"type": "CASH", "money_amount": 400}, {"type": "CARD", "money_amount": 600}])
    synced(client, token, [sent])

    status, got = client.get(f"/v1/receipts/{n}-1", token=m.token)
    assert status == 200, got
    assert got == {
        "id": sent["id"], "receipt_number": f"{n}-1", "receipt_type": "REFUND", "pos_device_id": device["id"],
        "pos_device_name": "Till 1", "store_id": device["store_id"], "shift_id": shift_id,
        "employee_id": m.owner["id"], "created_at": "2026-11-24T08:30:00Z", "synced_at": "2026-11-24T08:05:00Z",
        "line_items": sent["line_items"], "payments": sent["payments"], "total_money": 1000, "total_tax": 81,
    }
    listed, _ = all_receipts(client, m.token)
    assert listed == [got]


def test_receipt_by_number_is_404_when_unknown_or_another_merchants(client):
    ours, theirs = client.signup(), client.signup()
    our_device, our_token = ours.active_device()
    their_device, their_token = theirs.active_device()
    assert our_device["number"] == their_device["number"] == 1  # numbers are per merchant
    mine = receipt(1, 1)
    synced(client, our_token, [mine])
    synced(client, their_token, [receipt(1, 1), receipt(1, 2)])

    status, got = client.get("/v1/receipts/1-1", token=ours.token)
    assert (status, got["id"]) == (200, mine["id"])
    for number in ("1-2", "1-3", "abc", "0-1", "1-1-1", "%20"):
        assert_error(*client.get(f"/v1/receipts/{number}", token=ours.token), 404, "NOT_FOUND")
    assert_error(*client.get("/v1/receipts/1-1", token=None), 401)


# ---------------------------------------------------------------- shifts and the state report


def test_shifts_open_then_close_and_a_stale_open_copy_never_reopens_them(client, fixed_clock):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    opened = {"id": str(uuid.uuid4()), "opened_at": iso(T0), "opened_by_employee": m.owner["id"],
              "starting_cash": 10000}
    body = synced(client, token, shifts=[opened])
    assert body["pos_device"]["shift_open"] is True
    synced(client, token, [receipt(n, 1)])  # sent without shift_id: it belongs to the open shift
    status, shifts = client.get("/v1/shifts", token=m.token)
    assert status == 200
    assert shifts["shifts"] == [{
        "id": opened["id"], "pos_device_id": device["id"], "store_id": device["store_id"], "opened_at": iso(T0),
        "closed_at": None, "opened_by_employee": m.owner["id"], "closed_by_employee": None, "starting_cash": 10000,
        "expected_cash": None, "actual_cash": None, "orphaned_at": None}]
    assert client.get(f"/v1/receipts/{n}-1", token=m.token)[1]["shift_id"] == opened["id"]

    closed = opened | {"closed_at": iso(T0 + timedelta(hours=8)), "closed_by_employee": m.owner["id"],
                       "expected_cash": 17000, "actual_cash": 16900}
    body = synced(client, token, shifts=[closed])
    assert body["pos_device"]["shift_open"] is False
    final = client.get("/v1/shifts", token=m.token)[1]["shifts"]
    assert len(final) == 1
    assert (final[0]["closed_at"], final[0]["actual_cash"], final[0]["expected_cash"]) == \
        (iso(T0 + timedelta(hours=8)), 16900, 17000)

    # A stale copy of the open shift arrives late (a retried older batch): the shift stays closed,
    # and the slot does not claim a shift is open.
    body = synced(client, token, shifts=[opened])
    assert client.get("/v1/shifts", token=m.token)[1]["shifts"] == final
    assert body["pos_device"]["shift_open"] is False


@pytest.mark.engine("moto")  # reads or counts what the DynamoDB adapter sends
def test_shift_lists_filter_by_device_and_store(client):
    m = client.signup()
    store_a, store_b = m.store("A"), m.store("B")
    made = {}
    for name, store in (("a1", store_a), ("a2", store_a), ("b1", store_b)):
        created = m.device(name, store_id=store["id"])
        made[name] = (created, m.activate(created["id"])["device_token"])
    shift_ids = {}
    for hour, name in enumerate(made):
        first = {"id": str(uuid.uuid4()), "opened_at": iso(T0 + timedelta(hours=hour)),
                 "closed_at": iso(T0 + timedelta(hours=hour, minutes=30))}
        second = {"id": str(uuid.uuid4()), "opened_at": iso(T0 + timedelta(hours=hour + 5))}
        synced(client, made[name][1], shifts=[first, second])
        shift_ids[name] = [second["id"], first["id"]]  # newest first

    def listed(**filters):
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        status, body = client.get(f"/v1/shifts?{query}", token=m.token)
        assert status == 200, body
        return [s["id"] for s in body["shifts"]]

    with count_dynamodb() as counter:
        assert listed(pos_device_id=made["a1"][0]["id"]) == shift_ids["a1"]
        a1, a2 = shift_ids["a1"], shift_ids["a2"]
        assert listed(store_id=store_a["id"]) == [a2[0], a1[0], a2[1], a1[1]]  # newest first
        assert listed(store_id=store_b["id"]) == shift_ids["b1"]
        assert listed(pos_device_id=made["a1"][0]["id"], store_id=store_b["id"]) == []
        b1 = shift_ids["b1"]
        assert listed() == [b1[0], a2[0], a1[0], b1[1], a2[1], a1[1]]  # the whole merchant, newest first
    assert counter.count("Scan") == 0
    assert counter.indexes() == {"device-opened-index": 2, "store-opened-index": 2, "merchant-opened-index": 1}, \
        counter.indexes()
    # Pages: two at a time, every shift once.
    seen, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, body = client.get(f"/v1/shifts?{query}&store_id={store_a['id']}", token=m.token)
        assert status == 200, body
        seen += [s["id"] for s in body["shifts"]]
        cursor = body["cursor"]
        if not cursor:
            break
    assert (sorted(seen), len(seen)) == (sorted(shift_ids["a1"] + shift_ids["a2"]), 4)
    other = client.signup()
    assert client.get(f"/v1/shifts?pos_device_id={made['a1'][0]['id']}", token=other.token)[1]["shifts"] == []
    assert_error(*client.get("/v1/shifts?limit=251", token=m.token), 400)


def test_the_state_report_lands_on_the_slot(client, fixed_clock):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    body = synced(client, token, [receipt(n, seq) for seq in range(1, 6)],
                  state={"last_receipt_number": 7, "open_tickets": 3, "shift_open": True})
    expected = {"last_sync_at": iso(T0), "last_receipt_number": 7, "synced_receipts": 5, "unsynced_receipts": 2,
                "open_tickets": 3, "shift_open": True}
    assert {k: body["pos_device"][k] for k in expected} == expected
    assert {k: device_of(client, m, device["id"])[k] for k in expected} == expected
    status, me = client.get("/v1/pos/me", token=token)
    assert (status, {k: me[k] for k in expected}, me["next_receipt_seq"]) == (200, expected, 8)

    # An older report never lowers the number; the batch itself can raise it past the report.
    clock.set_now(T0 + timedelta(minutes=1))
    body = synced(client, token, [receipt(n, 9)], state={"last_receipt_number": 4, "open_tickets": 0,
                                                          "shift_open": False})
    expected = {"last_sync_at": iso(T0 + timedelta(minutes=1)), "last_receipt_number": 9, "synced_receipts": 6,
                "unsynced_receipts": 3, "open_tickets": 0, "shift_open": False}
    assert {k: device_of(client, m, device["id"])[k] for k in expected} == expected
    assert {k: body["pos_device"][k] for k in expected} == expected


# ---------------------------------------------------------------- the request budget (counted, not timed)


@pytest.mark.engine("moto")  # reads or counts what the DynamoDB adapter sends
def test_a_fresh_batch_of_250_costs_at_most_005_requests_per_receipt_and_a_replay_writes_no_receipt(client):
    m = client.signup()
    device, token = m.active_device()
    batch = [receipt(device["number"], seq) for seq in range(1, 251)]
    state = {"last_receipt_number": 250, "open_tickets": 0, "shift_open": False}

    with count_dynamodb() as fresh:
        body = synced(client, token, batch, state=state)
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (250, 0, [])
    # Plus one GetItem of the merchant's time zone (the sales summary's local day), read once per process and
    # merchant (services/sync.time_zone_of): this is the merchant's first sync here.
    assert (fresh.requests - 1) / 250 <= 0.05 and fresh.count("GetItem", "merchants") <= 1, fresh.summary()
    assert fresh.attempts == fresh.requests, fresh.summary()  # and nothing was retried
    assert fresh.items_written("receipts") == 250, fresh.summary()

    with count_dynamodb() as replay:
        body = synced(client, token, batch, state=state)
    assert (body["accepted"], body["duplicates"]) == (0, 250)
    assert replay.writes_to("receipts") == [], replay.summary()
    assert (replay.count("TransactWriteItems"), replay.count("PutItem", "receipts")) == (0, 0)
    assert replay.requests / 250 <= 0.05, replay.summary()
    assert body["pos_device"]["synced_receipts"] == 250
