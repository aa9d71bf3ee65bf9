"""The sync audit end to end: POST /v1/audit/runs, the scheduled `run_audit` Lambda, GET /v1/audit/findings.

Time is moved with chalicelib.clock.set_now; AWS is moto; the one injected failure is a botocore hook
at the DynamoDB boundary (no project code is mocked).
"""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from chalicelib import clock, config
from chalicelib.adapters import models
from chalicelib.adapters.models import FindingModel, ReceiptModel
from chalicelib.services import audit as audit_service
from tests.conftest import receipt

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def at():
    """Pin the clock; `at(hours=..)` moves it to T0 + that much."""
    def move(**delta):
        moment = T0 + timedelta(**delta)
        clock.set_now(moment)
        return moment

    move()
    yield move
    clock.set_now(None)


def iso(moment):
    return clock.iso(moment)


def sync(client, token, last, seqs=(), number=1, shift_open=False, shifts=()):
    status, body = client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": last, "open_tickets": 0, "shift_open": shift_open},
        "shifts": list(shifts), "receipts": [receipt(number, s) for s in seqs]}, token=token)
    assert status == 200, body
    assert not body["rejected"], body
    return body


def run(client, token):
    """The back office's run: 202 with the run, which the Lambda bridge of the tests has run before answering
    (on AWS it runs in the background: RUNNING, then readable at GET /v1/audit/runs/{id})."""
    status, body = client.post("/v1/audit/runs", token=token)
    assert status == 202 and body["status"] == "SUCCEEDED", body
    assert client.get(f"/v1/audit/runs/{body['id']}", token=token) == (200, body)
    return body


def scheduled(client):
    http = client.http
    event = http.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/pos-backoffice-dev-run_audit"], region="us-east-1")
    return http.lambda_.invoke("run_audit", event).payload


def findings(client, token, limit=250, **query):
    """Every page of GET /v1/audit/findings."""
    items, cursor, pages = [], None, 0
    while True:
        params = dict(query, limit=limit) | ({"cursor": cursor} if cursor else {})
        qs = "&".join(f"{k}={v}" for k, v in params.items())
        status, body = client.get(f"/v1/audit/findings?{qs}", token=token)
        assert status == 200, body
        items += body["findings"]
        cursor, pages = body["cursor"], pages + 1
        assert pages < 100, "cursor never ends"
        if not cursor:
            return items


def relogin(client, merchant):
    """Moving the clock a day on expires the 12-hour user token."""
    status, body = client.post("/v1/auth/login", {"email": merchant.email, "password": merchant.password})
    assert status == 200, body
    merchant.token = body["token"]


def counts(summary):
    return {k: summary[k] for k in ("devices_checked", "raised", "refreshed", "resolved", "failed_devices")}


# ---------------------------------------------------------------- unsynced receipts


def test_gap_is_reported_with_its_exact_numbers_and_resolved_once_synced(client, at):
    m = client.signup()
    device, token = m.active_device()
    assert device["number"] == 1
    assert sync(client, token, last=6, seqs=(1, 2, 4))["pos_device"]["unsynced_receipts"] == 3

    at(minutes=15)
    summary = run(client, m.token)
    assert counts(summary) == {"devices_checked": 1, "raised": 1, "refreshed": 0, "resolved": 0, "failed_devices": 0}
    assert summary["started_at"] == iso(T0 + timedelta(minutes=15))
    assert summary["finished_at"]

    [finding] = findings(client, m.token, status="open")
    assert finding["type"] == "UNSYNCED_RECEIPTS"
    assert finding["pos_device_id"] == device["id"]
    assert finding["missing_receipt_numbers"] == ["1-3", "1-5", "1-6"]
    assert finding["missing_count"] == 3
    assert finding["first_seen_at"] == finding["last_seen_at"] == iso(T0 + timedelta(minutes=15))
    assert finding["resolved_at"] is None
    assert "1-3, 1-5, 1-6" in finding["details"]
    assert findings(client, m.token, status="resolved") == []

    at(minutes=20)
    assert sync(client, token, last=6, seqs=(3, 5, 6))["pos_device"]["unsynced_receipts"] == 0
    at(minutes=30)
    summary = run(client, m.token)
    assert counts(summary) == {"devices_checked": 1, "raised": 0, "refreshed": 0, "resolved": 1, "failed_devices": 0}
    assert findings(client, m.token, status="open") == []
    [resolved] = findings(client, m.token, status="resolved")
    assert resolved["id"] == finding["id"]
    assert resolved["resolved_at"] == iso(T0 + timedelta(minutes=30))
    assert resolved["first_seen_at"] == finding["first_seen_at"]

    # Nothing left to do: the next run raises nothing and resolves nothing again.
    at(minutes=45)
    assert counts(run(client, m.token))["raised"] == counts(run(client, m.token))["resolved"] == 0
    assert len(findings(client, m.token)) == 1


def test_missing_numbers_are_capped_with_the_full_count(client, at):
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=152, seqs=(1, 152))  # 2..151 missing: 150 numbers
    summary = run(client, m.token)
    assert summary["raised"] == 1
    [finding] = findings(client, m.token, status="open")
    assert finding["missing_count"] == 150
    assert finding["missing_receipt_numbers"] == [f"1-{seq}" for seq in range(2, 102)]
    assert "150 receipts" in finding["details"]
    assert "50 more" in finding["details"]


def test_a_finding_is_refreshed_never_duplicated(client, at):
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=6, seqs=(1, 2, 4))

    at(minutes=15)
    assert counts(run(client, m.token))["raised"] == 1
    [first] = findings(client, m.token)

    at(minutes=30)  # the second run is the scheduled one: both entry points share the same findings
    assert counts(scheduled(client)) == {"devices_checked": 1, "raised": 0, "refreshed": 1, "resolved": 0,
                                         "failed_devices": 0}
    [second] = findings(client, m.token)
    assert second["id"] == first["id"]
    assert second["first_seen_at"] == iso(T0 + timedelta(minutes=15))
    assert second["last_seen_at"] == iso(T0 + timedelta(minutes=30))

    at(minutes=40)
    sync(client, token, last=6, seqs=(3,))  # part of the gap arrives: the same finding now lists less
    at(minutes=45)
    assert counts(run(client, m.token))["refreshed"] == 1
    [third] = findings(client, m.token)
    assert third["id"] == first["id"]
    assert third["first_seen_at"] == iso(T0 + timedelta(minutes=15))
    assert third["last_seen_at"] == iso(T0 + timedelta(minutes=45))
    assert (third["missing_receipt_numbers"], third["missing_count"]) == (["1-5", "1-6"], 2)
    assert third["resolved_at"] is None
    assert len(findings(client, m.token, pos_device_id=device["id"])) == 1


def test_receipts_lost_at_deactivation_are_not_reported_forever(client, at):
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=6, seqs=(1, 2, 4))
    assert run(client, m.token)["raised"] == 1

    at(minutes=10)
    status, body = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
    assert status == 200, body
    assert body["lost_receipts"] == 3
    assert findings(client, m.token, status="open") == []
    [resolved] = findings(client, m.token, status="resolved")
    assert resolved["resolved_at"] == iso(T0 + timedelta(minutes=10))
    # An INACTIVE slot is not audited at all.
    assert counts(run(client, m.token))["devices_checked"] == 0

    at(minutes=20)
    activation = m.activate(device["id"])
    assert activation["next_receipt_seq"] == 7
    token = activation["device_token"]
    assert sync(client, token, last=8, seqs=(7, 8))["pos_device"]["unsynced_receipts"] == 0
    at(minutes=30)
    assert counts(run(client, m.token)) == {"devices_checked": 1, "raised": 0, "refreshed": 0, "resolved": 0,
                                            "failed_devices": 0}
    assert findings(client, m.token, status="open") == []

    # A new gap on the new device is still found, and lists only its own numbers, never 1-3, 1-5, 1-6.
    sync(client, token, last=10, seqs=(10,))
    at(minutes=45)
    assert run(client, m.token)["raised"] == 1
    [finding] = findings(client, m.token, status="open")
    assert (finding["missing_receipt_numbers"], finding["missing_count"]) == (["1-9"], 1)


# ---------------------------------------------------------------- silent devices and long shifts


def test_silent_device_and_long_shift(client, at):
    m = client.signup()
    store = m.store()
    busy, busy_token = m.active_device("Till 1")
    idle = m.device("Till 2", store_id=store["id"])
    idle_token = m.activate(idle["id"])["device_token"]
    shift = {"id": str(uuid.uuid4()), "opened_at": iso(T0)}
    sync(client, busy_token, last=0, shift_open=True, shifts=[shift])
    sync(client, idle_token, last=0, shift_open=False)

    at(hours=23, minutes=59)
    relogin(client, m)
    assert counts(run(client, m.token)) == {"devices_checked": 2, "raised": 0, "refreshed": 0, "resolved": 0,
                                            "failed_devices": 0}

    at(hours=25)
    relogin(client, m)
    assert counts(run(client, m.token))["raised"] == 2
    open_now = {f["type"]: f for f in findings(client, m.token, status="open")}
    assert set(open_now) == {"DEVICE_SILENT", "SHIFT_OPEN_TOO_LONG"}  # nothing for the idle till: no shift open
    assert {f["pos_device_id"] for f in open_now.values()} == {busy["id"]}
    assert "25 hours" in open_now["DEVICE_SILENT"]["details"]
    assert "25 hours" in open_now["SHIFT_OPEN_TOO_LONG"]["details"]
    silent_now = open_now["DEVICE_SILENT"]
    assert (silent_now["missing_receipt_numbers"], silent_now["missing_count"]) == ([], 0)
    assert findings(client, m.token, pos_device_id=idle["id"]) == []

    # The till syncs again with the shift still open: no longer silent, but the shift is still too long.
    at(hours=26)
    sync(client, busy_token, last=0, shift_open=True)
    summary = run(client, m.token)
    assert (summary["resolved"], summary["refreshed"], summary["raised"]) == (1, 1, 0)
    [still_open] = findings(client, m.token, status="open")
    assert (still_open["type"], still_open["id"]) == ("SHIFT_OPEN_TOO_LONG", open_now["SHIFT_OPEN_TOO_LONG"]["id"])
    assert "26 hours" in still_open["details"]
    [silent] = findings(client, m.token, status="resolved")
    assert (silent["type"], silent["resolved_at"]) == ("DEVICE_SILENT", iso(T0 + timedelta(hours=26)))

    # The shift is closed: everything resolved; a silent idle till (no shift) is never flagged.
    at(hours=27)
    sync(client, busy_token, last=0, shift_open=False, shifts=[shift | {"closed_at": iso(T0 + timedelta(hours=27))}])
    at(hours=60)
    relogin(client, m)
    summary = run(client, m.token)
    assert (summary["resolved"], summary["raised"]) == (1, 0)
    assert findings(client, m.token, status="open") == []
    assert len(findings(client, m.token, status="resolved")) == 2


# ---------------------------------------------------------------- merchants, entry points, failures


def test_tenant_isolation_of_runs_and_findings(client, at):
    a, b = client.signup("A"), client.signup("B")
    a_device, a_token = a.active_device()
    b_device, b_token = b.active_device()
    sync(client, a_token, last=3, seqs=(1,))
    sync(client, b_token, last=2, seqs=(1,))

    summary = run(client, b.token)
    assert counts(summary) == {"devices_checked": 1, "raised": 1, "refreshed": 0, "resolved": 0, "failed_devices": 0}
    assert findings(client, a.token) == []  # B's run did not audit A's device
    [b_finding] = findings(client, b.token)
    assert (b_finding["pos_device_id"], b_finding["missing_receipt_numbers"]) == (b_device["id"], ["1-2"])

    assert run(client, a.token)["raised"] == 1
    [a_finding] = findings(client, a.token)
    assert a_finding["missing_receipt_numbers"] == ["1-2", "1-3"]
    assert findings(client, b.token) == [b_finding]
    assert findings(client, b.token, pos_device_id=a_device["id"]) == []
    assert findings(client, b.token, pos_device_id=a_device["id"], status="open") == []

    # A cursor from A's listing does not open B's way into A's partition (or vice versa).
    a.device("Till 2")
    a2_token = a.activate(a.device("Till 3")["id"])["device_token"]
    sync(client, a2_token, last=1)
    assert run(client, a.token)["raised"] == 1
    status, body = client.get("/v1/audit/findings?limit=1", token=a.token)
    assert status == 200, body
    assert body["cursor"], body
    status, body = client.get(f"/v1/audit/findings?limit=1&cursor={body['cursor']}", token=b.token)
    assert status == 400, body
    assert body["errors"][0]["field"] == "cursor"


def test_findings_pages_through_every_item(client, at):
    m = client.signup()
    store = m.store()
    device_ids = set()
    for i in range(3):
        device = m.device(f"Till {i}", store_id=store["id"])
        token = m.activate(device["id"])["device_token"]
        sync(client, token, last=1, number=device["number"])
        device_ids.add(device["id"])
    assert run(client, m.token)["raised"] == 3
    one_by_one = findings(client, m.token, limit=1)
    assert (len(one_by_one), {f["pos_device_id"] for f in one_by_one}) == (3, device_ids)
    assert len({f["id"] for f in one_by_one}) == 3
    assert len(findings(client, m.token, limit=2, status="open")) == 3
    status, body = client.get("/v1/audit/findings?status=closed", token=m.token)
    assert status == 400, body


def test_scheduled_entry_point_audits_every_merchant_page_by_page(client, at, monkeypatch):
    """The generated CloudWatch event runs the audit, shard by shard, over all merchants' devices that need a
    look: the ones with a gap; a fully synced one with no shift open is in no index and costs nothing.

    The page size is lowered (the only change to project code: a constant) so that a handful of devices
    needs several device reads, the way hundreds do on AWS; bench/audit_bench.py runs 10,000 devices."""
    monkeypatch.setattr(audit_service, "PAGE_SIZE", 2)
    merchants, expected_gaps = [], {}
    for index in range(3):
        m = client.signup(f"Shop {index}")
        store = m.store()
        merchants.append(m)
        for n in range(3):  # 9 activated devices in all: five pages of two
            device = m.device(f"Till {n}", store_id=store["id"])
            token = m.activate(device["id"])["device_token"]
            if n != 1:  # two of each merchant's three have a gap
                sync(client, token, last=2, seqs=(2,), number=device["number"])
                expected_gaps[device["id"]] = [f"{device['number']}-1"]
        # Not audited: a slot never activated, and a deactivated one whose lost receipts are written off.
        m.device("Spare", store_id=store["id"])
        spare, spare_token = m.active_device("Broken")
        sync(client, spare_token, last=5, number=spare["number"])
        assert client.post(f"/v1/pos_devices/{spare['id']}/deactivate", token=m.token)[0] == 200

    at(minutes=15)
    summary = scheduled(client)
    assert counts(summary) == {"devices_checked": 6, "raised": 6, "refreshed": 0, "resolved": 0,
                               "failed_devices": 0}
    assert summary["shards"] >= 16
    assert summary["failed_shards"] == []
    assert summary["started_at"] == iso(T0 + timedelta(minutes=15))
    assert summary["finished_at"]
    seen = {}
    for m in merchants:
        for finding in findings(client, m.token, status="open"):
            assert finding["type"] == "UNSYNCED_RECEIPTS"
            seen[finding["pos_device_id"]] = finding["missing_receipt_numbers"]
    assert seen == expected_gaps

    at(minutes=30)
    assert counts(scheduled(client))["refreshed"] == 6
    # The back-office run pages through one merchant's slots the same way (its list has inactive ones too).
    assert counts(run(client, merchants[0].token)) == {"devices_checked": 3, "raised": 0, "refreshed": 2,
                                                       "resolved": 0, "failed_devices": 0}


def _fail_receipts_query(prefix):
    """A botocore hook on the receipts table's client: the read of receipt numbers `prefix*` fails."""
    events = ReceiptModel._get_connection().connection.client.meta.events
    hits = []

    def fail(params, **_):
        for table, spec in (params.get("RequestItems") or {}).items():
            numbers = [key["receipt_number"]["S"] for key in spec.get("Keys") or []]
            if table.endswith("receipts") and any(n.startswith(prefix) for n in numbers):
                hits.append(prefix)
                raise ClientError({"Error": {"Code": "ValidationException", "Message": "injected failure"}},
                                  "BatchGetItem")

    events.register("before-parameter-build.dynamodb.BatchGetItem", fail, unique_id="test-audit-fail")
    return hits, lambda: events.unregister("before-parameter-build.dynamodb.BatchGetItem",
                                           unique_id="test-audit-fail")


def test_a_failing_device_is_counted_and_does_not_stop_the_run(client, at):
    m = client.signup()
    store = m.store()
    devices = []
    for i in range(3):
        device = m.device(f"Till {i}", store_id=store["id"])
        token = m.activate(device["id"])["device_token"]
        sync(client, token, last=2, seqs=(1,), number=device["number"])
        devices.append(device)
    broken = devices[1]

    hits, remove = _fail_receipts_query(f"{broken['number']}-")
    try:
        summary = run(client, m.token)
        assert hits, "the injected failure never fired"
        assert counts(summary) == {"devices_checked": 2, "raised": 2, "refreshed": 0, "resolved": 0,
                                   "failed_devices": 1}
        assert {f["pos_device_id"] for f in findings(client, m.token)} == {devices[0]["id"], devices[2]["id"]}
        assert counts(scheduled(client))["failed_devices"] == 1
    finally:
        remove()

    summary = run(client, m.token)
    assert counts(summary) == {"devices_checked": 3, "raised": 1, "refreshed": 2, "resolved": 0, "failed_devices": 0}
    by_device = {f["pos_device_id"]: f for f in findings(client, m.token)}
    assert by_device[broken["id"]]["missing_receipt_numbers"] == [f"{broken['number']}-2"]


def _record_dynamodb_reads():
    """botocore hooks on every model's client: (operation, logical table, index) of each request."""
    seen, registered = [], []
    prefix = config.settings().table_name_prefix

    def record(params, model, **_):
        for table in params.get("RequestItems") or [params.get("TableName", "")]:  # BatchGetItem names its tables
            seen.append((model.name, table.removeprefix(prefix), params.get("IndexName")))

    for client in {id(m._get_connection().connection.client): m._get_connection().connection.client
                   for m in models.ALL_MODELS}.values():
        client.meta.events.register("before-parameter-build.dynamodb", record, unique_id="test-audit-reads")
        registered.append(client.meta.events)

    def remove():
        for events in registered:
            events.unregister("before-parameter-build.dynamodb", unique_id="test-audit-reads")
    return seen, remove


def test_a_huge_reported_receipt_number_is_capped_and_does_not_stall_the_run(client, at):
    """A POS may report last_receipt_number up to 100,000 above what is recorded (issue 12.6); the finding must
    stay capped and cheap."""
    m = client.signup()
    store = m.store()
    huge = m.device("Broken counter", store_id=store["id"])
    huge_token = m.activate(huge["id"])["device_token"]
    other = m.device("Till", store_id=store["id"])
    other_token = m.activate(other["id"])["device_token"]
    sync(client, huge_token, last=100_000, seqs=(1, 3), number=huge["number"])
    sync(client, other_token, last=2, seqs=(1,), number=other["number"])

    summary = scheduled(client)
    assert counts(summary) == {"devices_checked": 2, "raised": 2, "refreshed": 0, "resolved": 0, "failed_devices": 0}
    by_device = {f["pos_device_id"]: f for f in findings(client, m.token)}
    assert by_device[other["id"]]["missing_receipt_numbers"] == [f"{other['number']}-2"]
    capped = by_device[huge["id"]]
    assert capped["missing_count"] == 100_000 - 2
    assert capped["missing_receipt_numbers"] == [f"{huge['number']}-2"] + [
        f"{huge['number']}-{seq}" for seq in range(4, 103)]
    assert f"{100_000 - 2} receipts" in capped["details"]


@pytest.mark.parametrize("had_finding", [True, False], ids=["refreshing", "raising"])
def test_a_device_deactivated_during_the_run_keeps_no_open_finding(client, at, had_finding):
    """The owner deactivates a POS right after the audit read its open findings (a botocore hook on that
    Query makes the request then): the audit's later write must not leave an open finding on an INACTIVE slot."""
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=3, seqs=(1,))
    if had_finding:
        assert run(client, m.token)["raised"] == 1
    events = FindingModel._get_connection().connection.client.meta.events
    deactivated = []

    def owner_deactivates(model, **_):
        if model.name == "Query" and not deactivated:
            deactivated.append(True)
            status, body = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
            assert status == 200, body

    events.register("after-call.dynamodb.Query", owner_deactivates, unique_id="test-audit-race")
    try:
        at(minutes=15)
        summary = run(client, m.token)
    finally:
        events.unregister("after-call.dynamodb.Query", unique_id="test-audit-race")
    assert deactivated
    assert summary["failed_devices"] == 0
    assert client.get(f"/v1/pos_devices/{device['id']}", token=m.token)[1]["status"] == "INACTIVE"
    assert findings(client, m.token, status="open") == []
    # A finding is raised only while the device is still in the activation audited (checked in the same
    # transaction): one raised before the deactivation is resolved by it, none is raised after it.
    assert len(findings(client, m.token, status="resolved")) == (1 if had_finding else 0)


def test_the_scheduled_audit_reads_devices_through_the_index_and_receipts_only_on_a_gap(client, at):
    m = client.signup()
    store = m.store()
    tokens = []
    for i in range(3):
        device = m.device(f"Till {i}", store_id=store["id"])
        tokens.append((device, m.activate(device["id"])["device_token"]))
    (synced, synced_token), (gap, gap_token), (empty, _) = tokens
    sync(client, synced_token, last=3, seqs=(1, 2, 3), number=synced["number"])
    sync(client, gap_token, last=3, seqs=(1, 3), number=gap["number"])

    seen, remove = _record_dynamodb_reads()
    try:
        summary = scheduled(client)
    finally:
        remove()
    # Only the device with a gap needs a look: the other two are in no index.
    assert counts(summary) == {"devices_checked": 1, "raised": 1, "refreshed": 0, "resolved": 0, "failed_devices": 0}
    assert not [call for call in seen if call[0] == "Scan"], seen
    shards = summary["shards"]
    device_reads = [call for call in seen if call[1] == "pos_devices"]
    assert sorted(set(device_reads)) == [("BatchGetItem", "pos_devices", None), ("Query", "pos_devices", "audit-index")]
    assert device_reads.count(("Query", "pos_devices", "audit-index")) == shards  # one per shard
    assert device_reads.count(("BatchGetItem", "pos_devices", None)) == 1  # the one shard with a device in it
    assert [call for call in seen if call[1] == "receipts"] == [("BatchGetItem", "receipts", None)]  # the gap only
    finding_reads = [call for call in seen if call[1] == "findings"]
    assert finding_reads == [("Query", "findings", "open-finding-index")] * shards


# ---------------------------------------------------------------- roles


def test_a_manager_reads_findings_and_a_cashier_has_no_back_office(client, at):
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=2, seqs=(1,))
    run(client, m.token)
    email = f"manager-{uuid.uuid4().hex[:8]}@example.com"
    m.employee("Mia", "MANAGER", email=email, password="manager pass 1", store_ids=[device["store_id"]])
    status, body = client.post("/v1/auth/login", {"email": email, "password": "manager pass 1"})
    assert status == 200, body
    [finding] = findings(client, body["token"])
    assert finding["missing_receipt_numbers"] == ["1-2"]
    # A CASHIER works on the POS app only (DESIGN.md 3.2): no back-office session, so no findings nor runs.
    email = f"cashier-{uuid.uuid4().hex[:8]}@example.com"
    m.employee("Cash", "CASHIER", email=email, password="cashier pass 1")
    status, body = client.post("/v1/auth/login", {"email": email, "password": "cashier pass 1"})
    assert status == 403, body
    assert body["errors"][0]["code"]
    assert body["errors"][0]["details"]
    assert client.post("/v1/audit/runs")[0] == 401
    assert client.get("/v1/audit/findings")[0] == 401
