"""Pairing codes and the final sync: DynamoDB requests per operation, on in-process moto (issue 16).

    .venv/bin/python -m bench.final_sync_bench

One story through the real HTTP routes (chalice.test.Client): a code is generated and used, a wrong
code is tried, the POS is deactivated with a window, a new installation pairs, the old one uploads 250
receipts (the final-sync path), and the window closes. Counts are exact (bench.dynamo_counter).
"""
import json
import os
import time
import uuid

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "PASSWORD_HASH_PROFILE": "fast",
})
for _name in ("AWS_ENDPOINT_URL", "DYNAMODB_HOST", "STATE_MACHINE_ARN", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)

from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.dynamo_counter import count_dynamodb  # noqa: E402
from bench.sync_bench import receipt  # noqa: E402
from chalicelib import config  # noqa: E402


def main() -> None:
    from app import app
    from local.stack import bootstrap

    with mock_aws():
        config.reload()
        bridge = bootstrap(app)
        http = Client(app).http
        rows = []

        def call(label, method, path, body=None, token=None, expected=200):
            headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
            with count_dynamodb() as counter:
                started = time.perf_counter()
                response = getattr(http, method)(path, headers=headers,
                                                 body=json.dumps(body) if body is not None else b"")
                wall = time.perf_counter() - started
            if response.status_code != expected:
                raise SystemExit(f"{label}: {response.status_code} {response.json_body}")
            if label:
                rows.append((label, response.status_code, counter.requests, counter.items_written(),
                             dict(counter.by_operation()), wall))
            return response.json_body

        try:
            email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "bench password 1"
            user = call(None, "post", "/v1/signup", {"business_name": "B", "email": email, "password": password},
                        expected=201)["token"]
            store = call(None, "post", "/v1/stores", {"name": "Main"}, user, expected=201)
            device = call(None, "post", "/v1/pos_devices", {"name": "Till", "store_id": store["id"]}, user, 201)
            dev = f"/v1/pos_devices/{device['id']}"
            code = call("create pairing code", "post", f"{dev}/pairing_code", None, user, 201)["code"]
            call("pair with a wrong code", "post", "/v1/pos/pair", {"code": "ZZZZ-ZZZZ", "installation_id": "x"},
                 expected=401)
            old = call("pair with the code", "post", "/v1/pos/pair", {"code": code, "installation_id": "old"})
            n = old["pos_device"]["number"]
            call(None, "post", "/v1/pos/sync", {"state": {"last_receipt_number": 250, "open_tickets": 0,
                                                          "shift_open": False}}, old["device_token"])
            call("deactivate, 72 h window", "post", f"{dev}/deactivate", {"final_sync_hours": 72}, user)
            code = call(None, "post", f"{dev}/pairing_code", None, user, 201)["code"]
            new = call("pair a new tablet", "post", "/v1/pos/pair", {"code": code, "installation_id": "new"})
            first = new["next_receipt_seq"]
            call("new tablet syncs 250", "post", "/v1/pos/sync", {
                "state": {"last_receipt_number": first + 249, "open_tickets": 0, "shift_open": False},
                "receipts": [receipt(n, s) for s in range(first, first + 250)]}, new["device_token"])
            call("old tablet uploads 249", "post", "/v1/pos/sync", {
                "receipts": [receipt(n, s) for s in range(1, 250)]}, old["device_token"])
            call("old: last 1 + state (closes)", "post", "/v1/pos/sync", {
                "state": {"last_receipt_number": 250, "open_tickets": 0, "shift_open": False},
                "receipts": [receipt(n, 250)]}, old["device_token"])
            call("GET the device", "get", dev, None, user)
        finally:
            bridge.unregister()
    config.reload()
    print(f"{'operation':<32} {'status':>6} {'requests':>8} {'items written':>13} {'ms':>7}  operations")
    for label, status, requests, items, ops, wall in rows:
        print(f"{label:<32} {status:>6} {requests:>8} {items:>13} {wall * 1000:>7.1f}  {ops}")


if __name__ == "__main__":
    main()
