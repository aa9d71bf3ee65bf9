"""POS sync benchmark: DynamoDB requests and items per receipt, and throughput, on in-process moto.

    .venv/bin/python -m bench.sync_bench [--rounds N]

Each round starts from empty tables (a fresh moto), signs up, activates a POS and sends one batch of
fresh receipts through the real HTTP route (chalice.test.Client); "replay 250" sends that round's
250 again. Counts are exact (bench.dynamo_counter); times are medians over the rounds.

Times are dominated by moto, not by the app: moto's TransactWriteItems deep-copies every table a
transaction touches once per item in it, so a 99-receipt transaction costs ~99 copies of the
receipts table. The "app only" column takes the time spent inside DynamoDB calls out; "cpu" is
this process's CPU time (steadier than wall time on a busy machine). On DynamoDB a batch costs its
handful of round trips (the requests column), not this.
"""
import argparse
import json
import os
import statistics
import time
import uuid

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "PASSWORD_HASH_PROFILE": "fast",
})
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_HOST", "TABLE_NAME_PREFIX",
              "STATE_MACHINE_ARN", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)

from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.dynamo_counter import count_dynamodb  # noqa: E402
from chalicelib import config  # noqa: E402

BUDGET_PER_RECEIPT = 0.05
SIZES = (1, 25, 100, 250)


def receipt(pos_number: int, seq: int) -> dict:
    return {"id": str(uuid.uuid4()), "receipt_number": f"{pos_number}-{seq}", "receipt_type": "SALE",
            "created_at": "2026-11-24T10:00:00Z", "employee_id": None, "shift_id": None,
            "line_items": [{"item_name": "Tea", "quantity": 2, "price": 350, "total_money": 700},
                           {"item_name": "Cake", "quantity": 1, "price": 450, "total_money": 450}],
            "payments": [{"type": "CASH", "money_amount": 1000}, {"type": "CARD", "money_amount": 150}],
            "total_money": 1150, "total_tax": 86}


class Session:
    """A fresh moto with the tables, one merchant and one activated POS; JSON over chalice.test.Client."""

    def __init__(self, app):
        self.http = Client(app).http

    def call(self, method: str, path: str, body=None, token=None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        response = getattr(self.http, method)(path, headers=headers, body=json.dumps(body) if body is not None else b"")
        return response.status_code, response.json_body

    def checked(self, method: str, path: str, body=None, token=None, expected=200) -> dict:
        status, data = self.call(method, path, body, token)
        if status != expected:
            raise SystemExit(f"{method.upper()} {path} answered {status}: {data}")
        return data

    def activated_device(self) -> tuple[int, str]:
        email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench password 1"
        user = self.checked("post", "/v1/signup", {"business_name": "Bench", "email": email, "password": password},
                            expected=201)["token"]
        store = self.checked("post", "/v1/stores", {"name": "Main"}, token=user, expected=201)
        device = self.checked("post", "/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]}, token=user,
                              expected=201)
        login = self.checked("post", "/v1/pos/login", {"email": email, "password": password})["login_token"]
        activated = self.checked("post", "/v1/pos/activate", {"login_token": login, "pos_device_id": device["id"],
                                                              "installation_id": "bench"})
        return device["number"], activated["device_token"]


def measure(session: Session, token: str, batch: list[dict]) -> dict:
    body = {"state": {"last_receipt_number": len(batch), "open_tickets": 0, "shift_open": False}, "receipts": batch}
    with count_dynamodb() as counter:
        started, started_cpu = time.perf_counter(), time.process_time()
        data = session.checked("post", "/v1/pos/sync", body, token=token)
        wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    return {"accepted": data["accepted"], "duplicates": data["duplicates"], "rejected": len(data["rejected"]),
            "requests": counter.requests, "attempts": counter.attempts,
            "receipt_items": counter.items_written("receipts"), "items": counter.items_written(),
            "receipt_writes": len(counter.writes_to("receipts")), "ops": dict(counter.by_operation()),
            "wall": wall, "cpu": cpu, "backend": counter.backend_seconds}


def run(rounds: int) -> dict[str, list[dict]]:
    from app import app
    from local.stack import bootstrap

    results: dict[str, list[dict]] = {}
    for size in SIZES:
        for _ in range(rounds):
            with mock_aws() as bridge:
                config.reload()
                bridge = bridge or bootstrap(app)
                try:
                    session = Session(app)
                    number, token = session.activated_device()
                    batch = [receipt(number, seq) for seq in range(1, size + 1)]
                    results.setdefault(f"fresh {size}", []).append(measure(session, token, batch) | {"size": size})
                    if size == max(SIZES):
                        results.setdefault(f"replay {size}", []).append(
                            measure(session, token, batch) | {"size": size})
                finally:
                    bridge.unregister()
            config.reload()
    return results


def report(results: dict[str, list[dict]]) -> bool:
    header = (f"{'scenario':<12} {'receipts':>8} {'accepted':>8} {'dupl.':>6} {'requests':>8} {'req/rcpt':>9} "
              f"{'attempts':>8} {'rcpt items':>10} {'all items':>9} {'wall ms':>9} {'cpu ms':>9} {'rcpt/s':>7} "
              f"{'rcpt/s cpu':>10} {'in moto ms':>10} {'app-only rcpt/s':>15}")
    print(header)
    print("-" * len(header))
    ok = True
    for name, rows in results.items():
        first = rows[0]
        size = first["size"]
        for key in ("requests", "attempts", "receipt_items", "items", "accepted", "duplicates"):
            if any(row[key] != first[key] for row in rows):
                print(f"  note: {key} differed between rounds: {[row[key] for row in rows]}")
        wall = statistics.median(row["wall"] for row in rows)
        cpu = statistics.median(row["cpu"] for row in rows)
        backend = statistics.median(row["backend"] for row in rows)
        app_only = statistics.median(row["wall"] - row["backend"] for row in rows)
        per_receipt = first["requests"] / size
        print(f"{name:<12} {size:>8} {first['accepted']:>8} {first['duplicates']:>6} {first['requests']:>8} "
              f"{per_receipt:>9.3f} {first['attempts']:>8} {first['receipt_items']:>10} {first['items']:>9} "
              f"{wall * 1000:>9.1f} {cpu * 1000:>9.1f} {size / wall:>7.0f} {size / cpu:>10.0f} {backend * 1000:>10.1f} "
              f"{size / app_only:>15.0f}")
        if name.startswith("fresh") and size == max(SIZES) and per_receipt > BUDGET_PER_RECEIPT:
            ok = False
        if name.startswith("replay") and first["receipt_writes"]:
            ok = False
    print()
    for name, rows in results.items():
        print(f"{name:<12} operations: {rows[0]['ops']}")
    fresh, replay = results[f"fresh {max(SIZES)}"][0], results[f"replay {max(SIZES)}"][0]
    print(f"\nbudget: fresh {max(SIZES)} -> {fresh['requests'] / max(SIZES):.3f} requests/receipt "
          f"(limit {BUDGET_PER_RECEIPT}); replay -> {replay['receipt_writes']} receipt writes (limit 0): "
          f"{'OK' if ok else 'OVER BUDGET'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh environments per batch size (default 3)")
    args = parser.parse_args()
    started = time.perf_counter()
    ok = report(run(max(1, args.rounds)))
    print("engine: the DynamoDB adapters on moto (bench.local_server_bench measures make run on SQLite)")
    print(f"({args.rounds} rounds per size, {time.perf_counter() - started:.0f} s in all)")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
