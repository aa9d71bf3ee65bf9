"""The audit's cost follows the devices with something to report, not the fleet (issue 15).

    .venv/bin/python -m bench.audit_bench            # about two minutes on moto
    .venv/bin/python -m bench.audit_bench --quick    # 1,000-device cases only

Fleets of 1,000 and 10,000 ACTIVATED devices, 1 % and 10 % of them with a problem (two receipts missing
above 30 synced ones), seeded straight into moto's tables through the PynamoDB models (a bench, not a
test: seeding 10,000 devices through the HTTP API would take an hour on moto). Then the scheduled entry
point (`run_audit`, a generated CloudWatch event through chalice.test) runs under bench.dynamo_counter,
which counts real DynamoDB API calls; `run_audit` invokes `audit_shard` once per shard, answered in
process by local/bridge.py (one shard after another here: moto's in-process DynamoDB is not
thread-safe; on AWS they run at once). The first run raises every finding; a second run (refreshing
them) is shown above each AUDIT line. A DAYTIME line repeats the 1 % case with 60 % of the other devices
having a shift open for two hours: in the index, but not due, so not read.

Then a sync load over 1,000 devices through POST /v1/pos/sync (a shift opens with a gap, the gap is
filled and the shift closed) and a botocore hook that, after every write to the devices table, looks at
the written items' audit index key in moto's backend: a change of key is one index write (a delete
under the old key, a put under the new one); a KEYS_ONLY index is not written when only other
attributes change. It prints the hottest index partition key's share of those writes.
"""
import os
import sys
import time
import uuid

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "PASSWORD_HASH_PROFILE": "fast", "AUDIT_FANOUT_WORKERS": "1", "AUDIT_RETRY_BASE_SECONDS": "0.01",
})
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_HOST", "TABLE_NAME_PREFIX", "STATE_MACHINE_ARN",
              "AWS_PROFILE"):
    os.environ.pop(_name, None)

import contextlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

from chalice.test import Client  # noqa: E402

from bench.dynamo_counter import READ_OPERATIONS, count_dynamodb  # noqa: E402
from chalicelib import clock, config  # noqa: E402
from chalicelib.adapters.models import MerchantModel, PosDeviceModel, ReceiptModel, StoreModel, TokenModel  # noqa: E402
from chalicelib.adapters.repositories import _device_item  # noqa: E402
from chalicelib.domain import audit as rules  # noqa: E402
from chalicelib.domain.devices import Device, Status  # noqa: E402
from chalicelib.services.security import new_token  # noqa: E402
from local.stack import local_aws  # noqa: E402

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
DEVICES_PER_MERCHANT = 10
# A problem device issued 1..LAST; the server holds all but GAPS; every receipt up to COMPLETE was on the
# server when it last said so (so the audit looks only at COMPLETE+1..LAST: one BatchGetItem of a few keys).
LAST = 32
GAPS = (29, 32)
COMPLETE = 25
CASES = [(1_000, 0.01), (1_000, 0.10), (10_000, 0.01), (10_000, 0.10)]
SYNC_LOAD_DEVICES = int(os.environ.get("BENCH_SYNC_DEVICES", "1000"))


# ---------------------------------------------------------------- seeding straight into the tables


def seed(devices: int, problems: int, with_tokens: bool = False,
         shifts_open: float = 0.0) -> list[tuple[Device, str | None]]:
    """Merchants of ten ACTIVATED, clean slots; every (devices / problems)-th slot has the receipts GAPS
    missing out of 1..LAST (and the others stored). `shifts_open` of the others have a shift open for two
    hours (in the index, due only 24 hours after it opened)."""
    at = clock.iso(NOW - timedelta(minutes=5))
    every = devices // problems if problems else devices + 1
    seeded: list[tuple[Device, str | None]] = []
    with MerchantModel.batch_write() as merchants, StoreModel.batch_write() as stores, \
            PosDeviceModel.batch_write() as slots, TokenModel.batch_write() as tokens, \
            ReceiptModel.batch_write() as receipts:
        for m in range(-(-devices // DEVICES_PER_MERCHANT)):
            merchant_id, store_id = str(uuid.uuid4()), str(uuid.uuid4())
            merchants.save(MerchantModel(id=merchant_id, business_name=f"Shop {m}",
                                         pos_number_counter=DEVICES_PER_MERCHANT, created_at=at))
            stores.save(StoreModel(merchant_id=merchant_id, id=store_id, name="Main",
                                   device_count=DEVICES_PER_MERCHANT, created_at=at, updated_at=at))
            for number in range(1, DEVICES_PER_MERCHANT + 1):
                position = m * DEVICES_PER_MERCHANT + number - 1
                problem = position % every == 0 and position // every < problems
                token, token_hash = new_token() if with_tokens else (None, None)
                shift = not problem and (position % 100) < shifts_open * 100
                device = Device(
                    merchant_id=merchant_id, id=str(uuid.uuid4()), name=f"Till {number}", store_id=store_id,
                    number=number, status=Status.ACTIVATED, version=1, installation_id=f"bench-{position}",
                    activation_id=str(uuid.uuid4()), device_token_hash=token_hash,
                    activated_at=clock.iso(NOW - timedelta(days=3)), last_sync_at=at,
                    last_receipt_number=LAST if problem else 0, synced_receipts=LAST - len(GAPS) if problem else 0,
                    complete_upto=COMPLETE if problem else 0, created_at=at, updated_at=at,
                    shift_open=shift, open_shift_id=str(uuid.uuid4()) if shift else None,
                    shift_opened_at=clock.iso(NOW - timedelta(hours=2)) if shift else None)
                slots.save(_device_item(device))
                if token_hash:
                    tokens.save(TokenModel(token_hash=token_hash, kind="device", merchant_id=merchant_id,
                                           pos_device_id=device.id, activation_id=device.activation_id))
                seeded.append((device, token))
                for seq in (s for s in range(1, LAST + 1) if s not in GAPS) if problem else ():
                    receipt_number = f"{number}-{seq}"
                    receipts.save(ReceiptModel(
                        merchant_id=merchant_id, receipt_number=receipt_number, id=str(uuid.uuid4()),
                        receipt_type="SALE", pos_device_id=device.id, pos_device_name=device.name, store_id=store_id,
                        created_at=at, created_sk=f"{clock.sort_key(NOW)}#{receipt_number}", synced_at=at,
                        line_items=[], payments=[], total_money=700, total_tax=0))
    return seeded


# ---------------------------------------------------------------- moto, item by item


@contextlib.contextmanager
def moto_transactions_by_item():
    """moto backs every TransactWriteItems up by deep-copying each whole table it touches, to roll a failed
    one back: O(table size) per call (7 s per raised finding with 10,000 devices), which DynamoDB does not
    pay. For the bench only: back up just the items the transaction names, and restore those on failure.
    Requests, conditions and outcomes are moto's own; only the backup differs."""
    import copy

    import moto.dynamodb.models as backend_module
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class TablesAreNotCopied:
        @staticmethod
        def deepcopy(obj, *args):
            return obj if isinstance(obj, Table) else copy.deepcopy(obj, *args)

    backend_cls = backend_module.DynamoDBBackend
    original = backend_cls.transact_write_items

    def key_of(table, op):
        key = op.get("Key") or op.get("Item")
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
        return hash_value, range_value

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is not None:
                hash_value, range_value = key_of(table, op)
                saved.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                if item is None:
                    if table.get_item(hash_value, range_value) is not None:
                        table.delete_item(hash_value, range_value)
                elif table.has_range_key:
                    table.items[hash_value][range_value] = item
                else:
                    table.items[hash_value] = item
            raise

    backend_module.copy, backend_cls.transact_write_items = TablesAreNotCopied, transact_write_items
    try:
        yield
    finally:
        backend_module.copy, backend_cls.transact_write_items = copy, original


# ---------------------------------------------------------------- the audit runs


def scheduled_run(http) -> dict:
    event = http.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/pos-backoffice-dev-run_audit"], region="us-east-1")
    return http.lambda_.invoke("run_audit", event).payload


def measured(run) -> dict:
    with count_dynamodb() as counter:
        started = time.perf_counter()
        summary = run()
        seconds = time.perf_counter() - started
    reads = [c for c in counter.calls if c.operation in READ_OPERATIONS]
    return {"summary": summary, "seconds": seconds, "reads": len(reads),
            "writes": sum(1 for c in counter.calls if c.is_write),
            "reads_by_operation": dict(Counter(c.operation for c in reads)),
            "receipt_keys": sum(n for c in reads for t, n in c.requested.items() if t.endswith("receipts"))}


def audit_case(app, devices: int, share: float, shifts_open: float = 0.0) -> tuple[dict, list[str]]:
    problems = round(devices * share)
    with local_aws(), moto_transactions_by_item():
        clock.set_now(NOW - timedelta(minutes=10))
        started = time.perf_counter()
        seed(devices, problems, shifts_open=shifts_open)
        seed_seconds = time.perf_counter() - started
        with Client(app) as http:
            clock.set_now(NOW)
            first = measured(lambda: scheduled_run(http))
            clock.set_now(NOW + timedelta(minutes=15))
            second = measured(lambda: scheduled_run(http))
    problems_seen = []
    shards = first["summary"]["shards"]
    for label, run, expect in (("raise", first, "raised"), ("refresh", second, "refreshed")):
        s = run["summary"]
        if s["devices_checked"] != problems or s[expect] != problems or s["failed_devices"] or s["failed_shards"]:
            problems_seen.append(f"{devices}/{problems} {label}: {s}")
        budget = 3 * problems + 2 * shards
        if run["reads"] > budget:
            problems_seen.append(f"{devices}/{problems} {label}: {run['reads']} reads > 3 x {problems} + 2 x {shards}")
    print(f"  seeded in {seed_seconds:.0f}s; second run (refresh): read_requests={second['reads']} "
          f"write_requests={second['writes']} seconds={second['seconds']:.1f}; first run's reads by operation "
          f"{first['reads_by_operation']}; receipt keys read {first['receipt_keys']} "
          f"(of {problems * LAST} numbers issued by problem devices)")
    label = f"DAYTIME shifts_open={shifts_open:.0%} " if shifts_open else "AUDIT "
    print(f"{label}devices={devices} problem_devices={problems} read_requests={first['reads']} "
          f"write_requests={first['writes']} seconds={first['seconds']:.1f}", flush=True)
    return first, problems_seen


# ---------------------------------------------------------------- index writes during a sync load


class IndexWrites:
    """After each write to the devices table, the written items' audit key as moto now holds it."""

    def __init__(self):
        self.by_key: Counter = Counter()
        self.last: dict[tuple[str, str], str | None] = {}
        self.device_writes = 0

    def _keys(self, operation: str, params: dict) -> list[tuple[str, str]]:
        table = config.settings().table_name_prefix + "pos_devices"
        keys = []
        if operation == "TransactWriteItems":
            for entry in params.get("TransactItems") or []:
                for kind, op in entry.items():
                    if kind in ("Put", "Update", "Delete") and op.get("TableName") == table:
                        key = op.get("Key") or op.get("Item")
                        keys.append((key["merchant_id"]["S"], key["id"]["S"]))
        elif operation in ("PutItem", "UpdateItem", "DeleteItem") and params.get("TableName") == table:
            key = params.get("Key") or params.get("Item")
            keys.append((key["merchant_id"]["S"], key["id"]["S"]))
        return keys

    def _seen(self, operation: str, params: dict) -> None:
        for key in self._keys(operation, params):
            self.device_writes += 1
            now = self._shard(key)
            before = self.last.get(key)
            if now != before:
                if before:
                    self.by_key[before] += 1  # the index entry leaves its old partition
                if now:
                    self.by_key[now] += 1
            self.last[key] = now

    @staticmethod
    def _shard(key) -> str | None:
        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodb.models.dynamo_type import DynamoType
        cfg = config.settings()
        table = dynamodb_backends["123456789012"][cfg.region].get_table(cfg.table_name_prefix + "pos_devices")
        item = table.get_item(DynamoType({"S": key[0]}), DynamoType({"S": key[1]}))
        value = item.attrs.get("audit_shard") if item else None
        return value.value if value else None

    def __enter__(self):
        # Every botocore client, however PynamoDB made it, goes through this method (as in bench.dynamo_counter).
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        writes = self

        def make_api_call(client, operation, params):
            response = original(client, operation, params)
            if client.meta.service_model.service_name == "dynamodb" and operation in (
                    "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"):
                writes._seen(operation, params or {})
            return response

        BaseClient._make_api_call = make_api_call
        return self

    def __exit__(self, *exc):
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original


def sync_load(app) -> list[str]:
    def receipt(number, seq):
        return {"id": str(uuid.uuid4()), "receipt_number": f"{number}-{seq}", "receipt_type": "SALE",
                "created_at": clock.iso(NOW), "payments": [{"type": "CASH", "money_amount": 700}],
                "line_items": [{"item_name": "Tea", "quantity": 1, "price": 700, "total_money": 700}],
                "total_money": 700, "total_tax": 0}

    with local_aws(), moto_transactions_by_item():
        clock.set_now(NOW)
        seeded = seed(SYNC_LOAD_DEVICES, 0, with_tokens=True)
        with Client(app) as http, IndexWrites() as writes:
            started = time.perf_counter()
            requests = 0
            for device, token in seeded:
                shift = {"id": str(uuid.uuid4()), "opened_at": clock.iso(NOW)}
                steps = [
                    ({"last_receipt_number": 3, "open_tickets": 0, "shift_open": True}, [shift], [1]),  # 2, 3 missing
                    ({"last_receipt_number": 3, "open_tickets": 0, "shift_open": False},
                     [shift | {"closed_at": clock.iso(NOW)}], [2, 3]),
                ]
                for state, shifts, seqs in steps:
                    body = {"state": state, "shifts": shifts, "receipts": [receipt(device.number, s) for s in seqs]}
                    response = http.http.post("/v1/pos/sync", body=json.dumps(body), headers={
                        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
                    assert response.status_code == 200, response.body
                    requests += 1
            seconds = time.perf_counter() - started
            still = sum(1 for shard in writes.last.values() if shard)
    total = sum(writes.by_key.values())
    key, hottest = writes.by_key.most_common(1)[0]
    print(f"\nsync load: {requests} syncs over {SYNC_LOAD_DEVICES} devices in {seconds:.0f}s; {total} audit index "
          f"writes over {len(writes.by_key)} partition keys (before issue 15 every one of the "
          f"{writes.device_writes} device item writes of these syncs was an index write under the one key "
          f"ACTIVATED: share=1.000); "
          f"{still} devices still indexed at the end")
    print(f"HOT_KEY share={hottest / total:.3f} key={key}", flush=True)
    return [] if hottest / total < 3 / rules.SHARDS else [f"hot key {key}: {hottest / total:.3f}"]


def main() -> int:
    from app import app

    logging.getLogger("chalicelib").setLevel(logging.WARNING)
    quick = "--quick" in sys.argv
    problems = []
    print(f"Audit cost on moto: {rules.SHARDS} shards, one audit_shard invocation each\n")
    for devices, share in CASES:
        if quick and devices > 1_000:
            continue
        problems += audit_case(app, devices, share)[1]
    # Trading hours: most tills have a shift open, which the audit reads only once it could be too long.
    print("\nthe same with 60 % of the other devices having a shift open for two hours (not a problem yet):")
    problems += audit_case(app, 10_000 if not quick else 1_000, 0.01, shifts_open=0.6)[1]
    problems += sync_load(app)
    print("checks: " + ("all hold (reads <= 3 per problem device + 2 per shard; no hot index key)"
                        if not problems else "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
