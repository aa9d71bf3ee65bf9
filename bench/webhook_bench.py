"""Webhook benchmark (issue 24): deliveries per second from the local dispatcher, and what 5 subscriptions add
to a sync's p95 (target: under 10 %).

    .venv/bin/python -m bench.webhook_bench [--engine sqlite|moto] [--syncs N]

The app runs in process on the chosen engine (SQLite: `make run`'s default); a local receiver (http.server on
127.0.0.1) answers 204. Phase 1: N syncs of 10 receipts with no subscription. Phase 2: 5 subscriptions to
receipts.created and N syncs with the dispatcher thread running beside them (as `make run` does). Then the
dispatcher drains what is left, and the deliveries per second are counted over both.
The outbox event is written with or without subscriptions (it is part of the receipts' transaction), so the
subscriptions' cost on a sync is the dispatcher's competition for the database, not extra writes.
"""
import argparse
import json
import os
import statistics
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "us-east-1", "PASSWORD_HASH_PROFILE": "fast"})
for _name in ("AWS_ENDPOINT_URL", "DYNAMODB_HOST", "TABLE_NAME_PREFIX", "STATE_MACHINE_ARN", "AWS_PROFILE"):
    os.environ.pop(_name, None)

from chalice.test import Client  # noqa: E402

from local.stack import local_aws  # noqa: E402


def _receiver():
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            count[0] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, count


def _receipt(number: int, seq: int) -> dict:
    return {"id": str(uuid.uuid4()), "receipt_number": f"{number}-{seq}", "receipt_type": "SALE",
            "created_at": "2026-11-24T10:00:00Z",
            "line_items": [{"item_name": "Tea", "quantity": 2, "price": 350, "total_money": 700}],
            "payments": [{"type": "CASH", "money_amount": 700}], "total_money": 700, "total_tax": 0}


def _p95(values):
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "moto"))
    parser.add_argument("--syncs", type=int, default=60)
    args = parser.parse_args()
    from app import app
    from chalicelib.services import webhooks

    receiver, received = _receiver()
    with local_aws(args.engine), Client(app) as client:
        http = client.http

        def call(method, path, body=None, token=None):
            headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
            response = getattr(http, method)(path, headers=headers, body=json.dumps(body) if body is not None else b"")
            return response.status_code, response.json_body

        email = f"bench-{uuid.uuid4().hex[:6]}@example.com"
        owner = call("post", "/v1/signup", {"business_name": "Bench", "email": email, "password": "long enough 1"})[1]
        store = call("post", "/v1/stores", {"name": "S"}, owner["token"])[1]
        device = call("post", "/v1/pos_devices", {"name": "T", "store_id": store["id"]}, owner["token"])[1]
        login = call("post", "/v1/pos/login", {"email": email, "password": "long enough 1"})[1]
        activation = call("post", "/v1/pos/activate", {"login_token": login["login_token"],
                                                        "pos_device_id": device["id"], "installation_id": "bench"})[1]
        token, number, seq = activation["device_token"], device["number"], [0]

        def one_sync() -> float:
            batch = [_receipt(number, seq[0] + i + 1) for i in range(10)]
            seq[0] += 10
            started = time.perf_counter()
            status, body = call("post", "/v1/pos/sync", {"receipts": batch, "state": {
                "last_receipt_number": seq[0], "open_tickets": 0, "shift_open": False}}, token)
            assert status == 200 and body["accepted"] == 10, body
            return time.perf_counter() - started

        for _ in range(5):
            one_sync()  # warm up
        webhooks.run_once()  # the outbox so far: no subscription, nothing to deliver
        plain = [one_sync() for _ in range(args.syncs)]
        webhooks.run_once()
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
        for _ in range(5):
            assert call("post", "/v1/webhooks", {"url": url, "event_types": ["receipts.created"]},
                        owner["token"])[0] == 201
        stop = threading.Event()
        delivered_started = time.perf_counter()

        def dispatcher():
            while not stop.wait(0.05):
                webhooks.run_once()

        thread = threading.Thread(target=dispatcher, daemon=True)
        thread.start()
        subscribed = [one_sync() for _ in range(args.syncs)]
        stop.set()
        thread.join()
        expected = 5 * args.syncs
        while received[0] < expected:
            if not webhooks.run_once()["deliveries_added"] and not webhooks.run_once()["delivered"]:
                break
        elapsed = time.perf_counter() - delivered_started
    receiver.shutdown()
    p0, p5 = _p95(plain), _p95(subscribed)
    print(f"engine {args.engine}: {args.syncs} syncs of 10 receipts per phase")
    print(f"  sync p95, 0 subscriptions:  {p0 * 1000:7.1f} ms (median {statistics.median(plain) * 1000:.1f} ms)")
    print(f"  sync p95, 5 subscriptions:  {p5 * 1000:7.1f} ms (median {statistics.median(subscribed) * 1000:.1f} ms)"
          f"  -> {100 * (p5 - p0) / p0:+.1f} % (target under +10 %), dispatcher running beside the syncs")
    print(f"  delivered {received[0]} of {expected} events in {elapsed:.2f} s: {received[0] / elapsed:.0f} events/s "
          f"(one dispatcher thread, sequential POSTs to 127.0.0.1)")


if __name__ == "__main__":
    main()
