"""The audit's DynamoDB cost: it must grow with the number of ACTIVATED devices, never with receipts.

    .venv/bin/python -m bench.audit_bench

Three worlds, every device fully synced: (a) 50 devices x 10 receipts, (b) 50 devices x 2,000 receipts,
(c) 500 devices x 10 receipts; five devices per merchant, all on moto. Each world is seeded straight
through PynamoDB batch writes (receipts carry no line items, which only changes their size), then the
scheduled entry point (`run_audit`, invoked with a generated CloudWatch event through chalice.test) runs
once under bench.dynamo_counter and a botocore hook that also records how many items each read examined
(ScannedCount: a filtered Query pays for items it then drops). Then every tenth device reports one
receipt more than the server holds (a gap) and the audit runs again: now it reads those devices' receipt
numbers, and only theirs. World (c) also shows the back office's POST /v1/audit/runs for one merchant.

Reads are billed per 4 KB and per item examined, so "items examined" is the figure that would grow
with receipts if the audit read them; request counts show the per-device round trips.
"""
import os
import sys
import time
import uuid

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "PASSWORD_HASH_PROFILE": "fast",
})
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_HOST", "TABLE_NAME_PREFIX", "STATE_MACHINE_ARN",
              "AWS_PROFILE"):
    os.environ.pop(_name, None)

from datetime import datetime, timedelta, timezone  # noqa: E402

from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.dynamo_counter import READ_OPERATIONS, count_dynamodb  # noqa: E402
from chalicelib import clock, config  # noqa: E402
from chalicelib.adapters import models  # noqa: E402
from chalicelib.adapters.models import (  # noqa: E402
    MerchantModel, PosDeviceModel, ReceiptModel, StoreModel,
)
from chalicelib.adapters.repositories import _device_item  # noqa: E402
from chalicelib.domain.devices import Device, Status  # noqa: E402

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
DEVICES_PER_MERCHANT = 5
GAP_EVERY = 10  # every tenth device gets a gap in the second run
WORLDS = [
    ("a", 50, 10),
    ("b", 50, 2000),
    ("c", 500, 10),
]


# ---------------------------------------------------------------- items examined per read (ScannedCount)


class Scanned:
    """after-call hooks on every PynamoDB model's botocore client: items examined by Query/Scan, per table."""

    def __init__(self):
        self.by_table: dict[str, int] = {}
        self._events = []

    def _after(self, http_response=None, parsed=None, model=None, **kwargs):
        if not parsed or model is None or model.name not in ("Query", "Scan"):
            return
        table = (kwargs.get("context") or {}).get("table", "?")
        self.by_table[table] = self.by_table.get(table, 0) + int(parsed.get("ScannedCount") or 0)

    def _before(self, params, context, **kwargs):
        context["table"] = params.get("TableName", "?").removeprefix(config.settings().table_name_prefix)

    def __enter__(self):
        models.bind()
        clients = {id(m._get_connection().connection.client): m._get_connection().connection.client
                   for m in models.ALL_MODELS}
        for client in clients.values():
            client.meta.events.register("before-parameter-build.dynamodb", self._before, unique_id="bench-scan-b")
            client.meta.events.register("after-call.dynamodb", self._after, unique_id="bench-scan-a")
            self._events.append(client.meta.events)
        return self

    def __exit__(self, *exc):
        for events in self._events:
            events.unregister("before-parameter-build.dynamodb", unique_id="bench-scan-b")
            events.unregister("after-call.dynamodb", unique_id="bench-scan-a")

    @property
    def total(self) -> int:
        return sum(self.by_table.values())


# ---------------------------------------------------------------- seeding


def seed(devices: int, receipts_each: int, first_merchant_id: str | None = None) -> list[Device]:
    """Merchants with one store and five ACTIVATED, fully synced slots each, and every slot's receipts."""
    at = clock.iso(NOW - timedelta(minutes=5))
    seeded: list[Device] = []
    with MerchantModel.batch_write() as merchants, StoreModel.batch_write() as stores, \
            PosDeviceModel.batch_write() as slots:
        for m in range(devices // DEVICES_PER_MERCHANT):
            merchant_id = first_merchant_id if (m == 0 and first_merchant_id) else str(uuid.uuid4())
            store_id = str(uuid.uuid4())
            if not (m == 0 and first_merchant_id):
                merchants.save(MerchantModel(id=merchant_id, business_name=f"Shop {m}",
                                             pos_number_counter=DEVICES_PER_MERCHANT, created_at=at))
            stores.save(StoreModel(merchant_id=merchant_id, id=store_id, name="Main", device_count=DEVICES_PER_MERCHANT,
                                   created_at=at, updated_at=at))
            for number in range(1, DEVICES_PER_MERCHANT + 1):
                device = Device(
                    merchant_id=merchant_id, id=str(uuid.uuid4()), name=f"Till {number}", store_id=store_id,
                    number=number, status=Status.ACTIVATED, version=1, installation_id=f"bench-{uuid.uuid4().hex[:8]}",
                    activation_id=str(uuid.uuid4()), activated_at=clock.iso(NOW - timedelta(days=3)),
                    last_sync_at=at, last_receipt_number=receipts_each, synced_receipts=receipts_each,
                    created_at=at, updated_at=at)
                slots.save(_device_item(device))
                seeded.append(device)
    with ReceiptModel.batch_write() as batch:
        for device in seeded:
            for seq in range(1, receipts_each + 1):
                number = f"{device.number}-{seq}"
                batch.save(ReceiptModel(
                    merchant_id=device.merchant_id, receipt_number=number, id=str(uuid.uuid4()), receipt_type="SALE",
                    pos_device_id=device.id, pos_device_name=device.name, store_id=device.store_id,
                    created_at=at, created_sk=f"{clock.sort_key(NOW)}#{number}", synced_at=at,
                    line_items=[], payments=[], total_money=700, total_tax=0))
    return seeded


def add_gaps(devices: list[Device]) -> list[Device]:
    """Every tenth device says it issued one receipt more than the server holds."""
    gapped = devices[::GAP_EVERY]
    for device in gapped:
        PosDeviceModel(merchant_id=device.merchant_id, id=device.id).update(
            actions=[PosDeviceModel.last_receipt_number.add(1), PosDeviceModel.version.add(1)])
    return gapped


# ---------------------------------------------------------------- measuring


def scheduled_run(http) -> dict:
    event = http.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/pos-backoffice-dev-run_audit"], region="us-east-1")
    return http.lambda_.invoke("run_audit", event).payload


def measured(label: str, run) -> dict:
    with count_dynamodb() as counter, Scanned() as scanned:
        started = time.perf_counter()
        summary = run()
        seconds = time.perf_counter() - started
    reads = [c for c in counter.calls if c.operation in READ_OPERATIONS]
    by_table: dict[str, int] = {}
    for call in reads:
        for table in call.tables:
            logical = table.removeprefix(config.settings().table_name_prefix)
            by_table[logical] = by_table.get(logical, 0) + 1
    return {
        "label": label, "summary": summary, "seconds": seconds,
        "reads": len(reads), "reads_by_table": by_table,
        "returned": counter.items_returned(), "scanned": scanned.total, "scanned_by_table": dict(scanned.by_table),
        "writes": sum(1 for c in counter.calls if c.is_write), "items_written": counter.items_written(),
        "receipt_items": scanned.by_table.get("receipts", 0),
    }


def world(name: str, devices: int, receipts_each: int) -> list[dict]:
    from app import app as chalice_app

    rows = []
    with mock_aws():
        config.reload()
        models.create_tables()
        clock.set_now(NOW - timedelta(minutes=10))
        try:
            with Client(chalice_app) as http:
                owner = None
                if name == "c":  # one merchant signs up through the API, to time its back-office run too
                    response = http.http.post("/v1/signup", headers={"Content-Type": "application/json"},
                                              body=f'{{"business_name": "Bench", "email": "bench-{uuid.uuid4().hex[:6]}'
                                                   f'@example.com", "password": "correct horse 1"}}')
                    owner = response.json_body
                started = time.perf_counter()
                seeded = seed(devices, receipts_each, owner["merchant"]["id"] if owner else None)
                seed_seconds = time.perf_counter() - started
                clock.set_now(NOW)
                label = f"({name}) {devices} devices x {receipts_each:,} receipts"
                rows.append(measured(label, lambda: scheduled_run(http)) | {"seed_seconds": seed_seconds})
                gapped = add_gaps(seeded)
                clock.set_now(NOW + timedelta(minutes=15))
                rows.append(measured(f"({name}) same, {len(gapped)} devices with a gap", lambda: scheduled_run(http)))
                if owner:
                    clock.set_now(NOW + timedelta(minutes=30))
                    token = owner["token"]

                    def back_office():
                        response = http.http.post("/v1/audit/runs", headers={"Authorization": f"Bearer {token}"})
                        assert response.status_code == 200, response.body
                        return response.json_body

                    rows.append(measured(f"({name}) POST /v1/audit/runs, one merchant", back_office))
        finally:
            clock.set_now(None)
    config.reload()
    return rows


def check(rows: list[dict]) -> list[str]:
    """The claims the figures must bear out; printed, and a non-zero exit when one fails."""
    by = {r["label"][:3]: r for r in rows if "gap" not in r["label"] and "POST" not in r["label"]}
    a, b, c = by["(a)"], by["(b)"], by["(c)"]
    problems = []
    for row in rows:
        s = row["summary"]
        if s["failed_devices"]:
            problems.append(f"{row['label']}: {s['failed_devices']} devices failed")
    for row, devices in ((a, 50), (b, 50), (c, 500)):
        if row["summary"]["devices_checked"] != devices or row["summary"]["raised"]:
            problems.append(f"{row['label']}: summary {row['summary']}")
        if row["receipt_items"]:
            problems.append(f"{row['label']}: read {row['receipt_items']} receipts though all were synced")
    if abs(b["reads"] - a["reads"]) > 0.1 * a["reads"] or abs(b["scanned"] - a["scanned"]) > 0.1 * a["scanned"]:
        problems.append("(b) does not read the same as (a)")
    ratio = c["reads"] / a["reads"]
    if not 8 <= ratio <= 12:
        problems.append(f"(c) reads {ratio:.1f}x (a), not about 10x")
    for row in rows:
        if "gap" in row["label"]:
            gapped = int(row["label"].split(", ")[1].split()[0])
            if row["summary"]["raised"] != gapped or row["reads_by_table"].get("receipts", 0) < gapped:
                problems.append(f"{row['label']}: {row['summary']}, receipts reads {row['reads_by_table']}")
    return problems


def main() -> int:
    rows = []
    for name, devices, receipts_each in WORLDS:
        rows += world(name, devices, receipts_each)
    print("\nAudit cost on moto (DynamoDB requests of one audit run; seeding not counted)\n")
    header = (f"{'run':46} {'checked':>7} {'raised':>6} {'read':>5} {'items':>7} {'items':>8} {'receipt':>8} "
              f"{'write':>5} {'time':>7}")
    print(header)
    print(f"{'':46} {'':>7} {'':>6} {'reqs':>5} {'returned':>7} {'examined':>8} {'items':>8} {'reqs':>5} {'':>7}")
    print("-" * len(header))
    for r in rows:
        s = r["summary"]
        print(f"{r['label']:46} {s['devices_checked']:>7} {s['raised']:>6} {r['reads']:>5} {r['returned']:>7} "
              f"{r['scanned']:>8} {r['receipt_items']:>8} {r['writes']:>5} {r['seconds'] * 1000:>5.0f}ms")
    print("\nread requests by table:")
    for r in rows:
        print(f"  {r['label']:46} {r['reads_by_table']}")
    seeds = ", ".join(f"{r['label'][:3]} {r['seed_seconds']:.0f}s" for r in rows if "seed_seconds" in r)
    print(f"\nseeding (not counted): {seeds}")
    a = next(r for r in rows if r["label"].startswith("(a)"))
    b = next(r for r in rows if r["label"].startswith("(b)"))
    c = next(r for r in rows if r["label"].startswith("(c)"))
    for other in (b, c):
        print(f"{other['label'][:3]}/(a): read requests {other['reads'] / a['reads']:.2f}, "
              f"items examined {other['scanned'] / max(a['scanned'], 1):.2f}")
    problems = check(rows)
    print("checks: " + ("all hold" if not problems else "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
