"""The audit at scale (issue 15): sparse sharded indexes, reads that follow the devices with something to
report, shards retried and reported (runs at once: tests/robustness/test_audit_races.py).

Everything goes through the API, the scheduled `run_audit` Lambda (which invokes `audit_shard` per shard
through the in-process Lambda bridge) and moto; failures are injected at the DynamoDB boundary."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from bench.dynamo_counter import count_dynamodb
from chalicelib import clock
from chalicelib.adapters.models import PosDeviceModel
from chalicelib.adapters.repositories import DeviceRepository
from chalicelib.domain import audit as rules
from chalicelib.services.audit import AuditShardsFailed
from tests.functional.test_audit import scheduled, sync

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
RECEIPTS = 105  # per gapped device: more than one lookup's worth (moto stores about 15 receipts a second)


@pytest.fixture(autouse=True)
def pinned_clock():
    clock.set_now(T0)
    yield
    clock.set_now(None)


def open_findings(api, token):
    status, body = api.get("/v1/audit/findings?status=open&limit=100", token=token)
    assert status == 200, body
    return body["findings"]


def indexed(device_id: str, merchant_id: str, due: str = rules.IMMEDIATELY) -> str | None:
    """The device's audit index partition key as stored, checking its sort key (from when it is due) and that
    the audit finds it there from then on, not before."""
    item = PosDeviceModel.get(merchant_id, device_id, consistent_read=True)
    assert (item.audit_shard is None) == (item.audit_due is None)
    if item.audit_shard:
        assert item.audit_due == f"{due}#{device_id}"
        due_at = T0 if due == rules.IMMEDIATELY else clock.parse(due)
        assert (merchant_id, device_id) in DeviceRepository.keys_needing_audit(item.audit_shard, rules.due_by(due_at))
        if due != rules.IMMEDIATELY:
            assert (merchant_id, device_id) not in DeviceRepository.keys_needing_audit(
                item.audit_shard, rules.due_by(due_at - timedelta(seconds=1)))
    return item.audit_shard


# ---------------------------------------------------------------- 1. sparse, sharded index


def test_only_devices_that_need_a_look_are_indexed_each_under_its_shard(client):
    m = client.signup()
    merchant_id = m.merchant["id"]
    device = m.device()
    assert indexed(device["id"], merchant_id) is None  # NOT_ACTIVATED
    token = m.activate(device["id"])["device_token"]
    assert indexed(device["id"], merchant_id) is None  # activated, nothing to report
    shard = rules.shard_of(device["id"])

    sync(client, token, last=3, seqs=(1,))
    assert indexed(device["id"], merchant_id) == shard  # receipts missing
    sync(client, token, last=3, seqs=(2, 3))
    assert indexed(device["id"], merchant_id) is None  # all synced
    shift = {"id": str(uuid.uuid4()), "opened_at": clock.iso(T0)}
    sync(client, token, last=3, shift_open=True, shifts=[shift])
    # Shift open: indexed, but due only when it could be too long or silent (24 hours after it opened).
    assert indexed(device["id"], merchant_id, due="2026-11-25T12:00:00Z") == shard
    sync(client, token, last=4, shift_open=True)  # a gap while the shift is open: due at once
    assert indexed(device["id"], merchant_id) == shard
    sync(client, token, last=4, seqs=(4,), shift_open=True)
    assert indexed(device["id"], merchant_id, due="2026-11-25T12:00:00Z") == shard
    sync(client, token, last=3, shift_open=False, shifts=[shift | {"closed_at": clock.iso(T0)}])
    assert indexed(device["id"], merchant_id) is None

    sync(client, token, last=6, seqs=(5,))
    assert indexed(device["id"], merchant_id) == shard
    status, body = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
    assert (status, body["lost_receipts"]) == (200, 1), body
    assert indexed(device["id"], merchant_id) is None  # written off: nothing left to look at

    # Many devices: spread over shards, none of them a constant key.
    store = m.store()
    keys = set()
    for i in range(12):
        d = m.device(f"Till {i}", store_id=store["id"])
        sync(client, m.activate(d["id"])["device_token"], last=1, number=d["number"])
        keys.add(indexed(d["id"], merchant_id))
    assert len(keys) >= 6
    assert all(k in rules.all_shards() for k in keys)


# ---------------------------------------------------------------- 3. reads follow the problems


def test_reads_follow_the_devices_with_a_problem_not_the_fleet_or_the_receipts(client):
    m = client.signup()
    store = m.store()
    clean, gapped = [], []
    for i in range(5):
        d = m.device(f"Till {i}", store_id=store["id"])
        token = m.activate(d["id"])["device_token"]
        n = d["number"]
        if i >= 2:  # clean devices: whatever they hold, they cost nothing
            sync(client, token, last=3, seqs=(1, 2, 3), number=n)
            clean.append(d)
        else:
            sync(client, token, last=RECEIPTS, seqs=range(1, RECEIPTS + 1), number=n)
            sync(client, token, last=RECEIPTS + 5, seqs=(RECEIPTS + 1, RECEIPTS + 2, RECEIPTS + 4), number=n)
            gapped.append((d, token))  # RECEIPTS + 3 and RECEIPTS + 5 are missing

    with count_dynamodb() as counter:
        summary = scheduled(client)
    assert (summary["devices_checked"], summary["raised"], summary["failed_devices"]) == (2, 2, 0)
    shards = summary["shards"]
    reads = counter.select()
    read_calls = [c for c in reads if not c.is_write]
    # A constant per shard (its two index Queries) plus at most 3 per device with a problem, whatever the
    # fleet and however many receipts it holds.
    assert len(read_calls) <= 2 * shards + 3 * len(gapped), counter.by_operation()
    receipt_keys = sum(n for c in read_calls for t, n in c.requested.items() if t.endswith("receipts"))
    assert receipt_keys <= 2 * 5  # only the numbers above the last complete point (the last five)
    found = {f["pos_device_id"]: f for f in open_findings(client, m.token)}
    assert {f["missing_receipt_numbers"][0] for f in found.values()} == {f"{d['number']}-{RECEIPTS + 3}" for d, _ in gapped}

    # Next run: the listed numbers are looked up again, nothing else.
    d, token = gapped[0]
    sync(client, token, last=RECEIPTS + 5, seqs=(RECEIPTS + 3,), number=d["number"])
    with count_dynamodb() as counter:
        summary = scheduled(client)
    assert (summary["devices_checked"], summary["refreshed"]) == (2, 2)
    receipt_reads = [c for c in counter.select("BatchGetItem") if any(t.endswith("receipts") for t in c.tables)]
    assert len(receipt_reads) == 2
    assert all(sum(c.requested.values()) <= 2 for c in receipt_reads)  # just the two listed numbers
    assert found[d["id"]]["id"] in {f["id"] for f in open_findings(client, m.token)}
    assert next(f for f in open_findings(client, m.token)
                if f["pos_device_id"] == d["id"])["missing_receipt_numbers"] == [f"{d['number']}-{RECEIPTS + 5}"]


# ---------------------------------------------------------------- 2. shards fail alone, retried and reported


def _fail_shard_query(shard: str, times: int):
    """The audit index Query of one shard fails `times` times (botocore hook on the devices' client)."""
    events = PosDeviceModel._get_connection().connection.client.meta.events
    hits = []

    def fail(params, **_):
        values = (params.get("ExpressionAttributeValues") or {}).values()
        if params.get("IndexName") == "audit-index" and {"S": shard} in values and len(hits) < times:
            hits.append(shard)
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "injected"}}, "Query")

    events.register("before-parameter-build.dynamodb.Query", fail, unique_id="test-shard-fail")
    return hits, lambda: events.unregister("before-parameter-build.dynamodb.Query", unique_id="test-shard-fail")


def test_a_failing_shard_is_retried_and_one_that_keeps_failing_is_reported(client):
    m = client.signup()
    store = m.store()
    devices = []
    for i in range(6):
        d = m.device(f"Till {i}", store_id=store["id"])
        sync(client, m.activate(d["id"])["device_token"], last=1, number=d["number"])
        devices.append(d)
    broken = rules.shard_of(devices[0]["id"])

    hits, remove = _fail_shard_query(broken, times=1)
    try:
        summary = scheduled(client)
    finally:
        remove()
    assert hits == [broken]
    assert (summary["raised"], summary["retried_shards"], summary["failed_shards"]) == (6, 1, [])

    # The shard fails every time: the others finish, the invocation fails naming the shard.
    late = m.device("Till 9", store_id=store["id"])
    sync(client, m.activate(late["id"])["device_token"], last=1, number=late["number"])
    hits, remove = _fail_shard_query(broken, times=100)
    try:
        with pytest.raises(AuditShardsFailed) as failed:
            scheduled(client)
    finally:
        remove()
    assert len(hits) == 3  # three attempts
    assert f"'shard': '{broken}'" in str(failed.value)
    opened = {f["pos_device_id"] for f in open_findings(client, m.token)}
    # Every other shard finished: the late device's finding is raised unless it sits in the broken shard.
    expected = {d["id"] for d in devices} | ({late["id"]} if rules.shard_of(late["id"]) != broken else set())
    assert opened == expected


def test_an_open_shift_is_read_only_once_it_could_be_reported(client):
    """A till with a shift open is in the index, but the scheduled audit reads it only from the moment the
    shift could be too long or the till silent; then both findings are raised by the scheduled run."""
    m = client.signup()
    device, token = m.active_device()
    shift = {"id": str(uuid.uuid4()), "opened_at": clock.iso(T0)}
    sync(client, token, last=0, shift_open=True, shifts=[shift])

    clock.set_now(T0 + timedelta(hours=23, minutes=59))
    with count_dynamodb() as counter:
        summary = scheduled(client)
    assert summary["devices_checked"] == 0
    assert counter.count("BatchGetItem") == 0  # not even the device was read

    clock.set_now(T0 + timedelta(hours=25))
    summary = scheduled(client)
    assert (summary["devices_checked"], summary["raised"]) == (1, 2)
    status, body = client.post("/v1/auth/login", {"email": m.email, "password": m.password})
    assert status == 200, body
    assert {f["type"] for f in open_findings(client, body["token"])} == {"DEVICE_SILENT", "SHIFT_OPEN_TOO_LONG"}
