"""Issue 24: API access tokens and signed webhooks (DESIGN.md 3.3), on moto and on SQLite (BOTH_ENGINES).

A local HTTP receiver (http.server on 127.0.0.1) takes the deliveries; the dispatcher runs in-process, through the
same function the `make run` thread calls (services.webhooks.run_once)."""
import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib import clock, config
from chalicelib.services import webhooks
from tests.conftest import receipt


# ---------------------------------------------------------------- a receiver


class Receiver:
    """Records every POST; answers with the next planned status (default 200), optionally after a delay."""

    def __init__(self):
        self.requests: list[dict] = []
        self.plan: list = []  # statuses (int) or ("sleep", seconds, status)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with receiver.lock:
                    step = receiver.plan.pop(0) if receiver.plan else 200
                    receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body, "path": self.path, "status": step})
                if isinstance(step, tuple):
                    time.sleep(step[1])
                    step = step[2]
                try:
                    self.send_response(step)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[dict]:
        """The bodies the receiver answered 2xx to."""
        return [json.loads(r["body"]) for r in self.requests if isinstance(r["status"], int) and r["status"] < 300]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setenv("POS_WEBHOOK_RETRY_BASE_SECONDS", "0.2")
    monkeypatch.setenv("POS_WEBHOOK_TIMEOUT_SECONDS", "1")
    config.reload()
    yield
    monkeypatch.delenv("POS_WEBHOOK_RETRY_BASE_SECONDS")
    monkeypatch.delenv("POS_WEBHOOK_TIMEOUT_SECONDS")
    config.reload()


def run_until(predicate, timeout=15.0):
    """Run the dispatcher until `predicate()` holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        webhooks.run_once()
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("the dispatcher did not get there in time")


ALL_TYPES = ["pos_device.created", "pos_device.activated", "pos_device.deactivated", "pos_device.moved",
             "pos_device.deleted", "pos_device.final_sync_closed", "deletion.failed", "receipts.created",
             "shift.closed", "audit.finding_raised", "audit.finding_resolved", "webhook.test"]


def subscribe(m, url, types=None):
    status, body = m.api.post("/v1/webhooks", {"url": url, "event_types": types or ALL_TYPES}, token=m.token)
    assert status == 201, body
    return body


def verify(secret: str, headers: dict, body: str, tolerance=300) -> bool:
    """The verification snippet of docs/WEBHOOKS.md."""
    parts = dict(item.split("=", 1) for item in headers["pos-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance


# ---------------------------------------------------------------- API tokens


def test_api_token_is_shown_once_listed_with_last_use_and_revoked_at_once(client):
    m = client.signup()
    store = m.store()
    status, created = client.post("/v1/api_tokens", {"name": "Accounting", "access": "WRITE"}, token=m.token)
    assert status == 201, created
    assert created["token"].startswith("pos_at_") and created["access"] == "WRITE" and created["store_ids"] is None
    status, listed = client.get("/v1/api_tokens", token=m.token)
    assert status == 200
    assert [t["id"] for t in listed["api_tokens"]] == [created["id"]]
    assert "token" not in listed["api_tokens"][0] and listed["api_tokens"][0]["last_used_at"] is None
    # It works on the back office: reads and writes, and its events name it.
    status, body = client.get("/v1/stores", token=created["token"])
    assert status == 200 and [s["id"] for s in body["stores"]] == [store["id"]]
    status, device = client.post("/v1/pos_devices", {"name": "Till 9", "store_id": store["id"]},
                                 token=created["token"])
    assert status == 201, device
    status, events = client.get(f"/v1/events?pos_device_id={device['id']}", token=m.token)
    assert events["events"][0]["actor"] == {"type": "API_TOKEN", "id": created["id"], "name": "Accounting"}
    status, listed = client.get("/v1/api_tokens", token=m.token)
    assert listed["api_tokens"][0]["last_used_at"] is not None
    # Never on the POS app API.
    status, body = client.get("/v1/pos/me", token=created["token"])
    assert status == 401, body
    status, body = client.post("/v1/pos/sync", {"receipts": []}, token=created["token"])
    assert status == 401, body
    # Revoked: refused at once.
    assert client.delete(f"/v1/api_tokens/{created['id']}", token=m.token)[0] == 204
    status, body = client.get("/v1/stores", token=created["token"])
    assert status == 401, body
    assert client.get("/v1/api_tokens", token=m.token)[1]["api_tokens"] == []
    assert client.delete(f"/v1/api_tokens/{created['id']}", token=m.token)[0] == 404


def test_last_used_at_is_written_at_most_once_a_minute(client, at):
    m = client.signup()
    _, created = client.post("/v1/api_tokens", {"name": "BI", "access": "READ"}, token=m.token)
    client.get("/v1/stores", token=created["token"])
    first = client.get("/v1/api_tokens", token=m.token)[1]["api_tokens"][0]["last_used_at"]
    at(seconds=30)
    client.get("/v1/stores", token=created["token"])
    assert client.get("/v1/api_tokens", token=m.token)[1]["api_tokens"][0]["last_used_at"] == first
    at(seconds=61)
    client.get("/v1/stores", token=created["token"])
    later = client.get("/v1/api_tokens", token=m.token)[1]["api_tokens"][0]["last_used_at"]
    assert later != first and later == clock.iso(clock.now())


def test_read_token_only_reads_and_no_token_manages_tokens_webhooks_or_employees(client):
    m = client.signup()
    store = m.store()
    _, read = client.post("/v1/api_tokens", {"name": "BI", "access": "READ"}, token=m.token)
    _, write = client.post("/v1/api_tokens", {"name": "ERP", "access": "WRITE"}, token=m.token)
    assert client.get("/v1/pos_devices", token=read["token"])[0] == 200
    status, body = client.post("/v1/pos_devices", {"name": "T", "store_id": store["id"]}, token=read["token"])
    assert (status, body["errors"][0]["code"]) == (403, "API_TOKEN_READ_ONLY")
    status, body = client.patch(f"/v1/stores/{store['id']}", {"name": "X"}, token=read["token"])
    assert status == 403
    for token in (read["token"], write["token"]):
        for method, path, payload in (("post", "/v1/api_tokens", {"name": "x", "access": "READ"}),
                                      ("get", "/v1/api_tokens", None), ("get", "/v1/webhooks", None),
                                      ("post", "/v1/employees", {"name": "E", "role": "CASHIER", "pin": "1234"})):
            status, body = client.call(method.upper(), path, payload, token=token)
            assert status == 403, (token == read["token"], path, body)
    assert client.get("/v1/stores", token=m.token)[1]["stores"][0]["name"] == store["name"]


def test_token_store_ids_must_exist_and_other_merchants_ids_are_404(client):
    m, other = client.signup(), client.signup()
    status, body = client.post("/v1/api_tokens", {"name": "x", "access": "READ", "store_ids": [other.store()["id"]]},
                               token=m.token)
    assert (status, body["errors"][0]["code"]) == (400, "UNKNOWN_STORE")
    _, created = client.post("/v1/api_tokens", {"name": "x", "access": "READ"}, token=m.token)
    assert client.delete(f"/v1/api_tokens/{created['id']}", token=other.token)[0] == 404
    status, body = client.post("/v1/api_tokens", {"name": "x", "access": "ADMIN"}, token=m.token)
    assert status == 400


# ---------------------------------------------------------------- webhooks API


def test_webhook_crud_secret_once_and_isolation(client, receiver):
    m, other = client.signup(), client.signup()
    hook = subscribe(m, receiver.url, ["receipts.created"])
    assert hook["secret"].startswith("whsec_") and hook["enabled"] is True
    status, got = client.get(f"/v1/webhooks/{hook['id']}", token=m.token)
    assert status == 200 and "secret" not in got and got["event_types"] == ["receipts.created"]
    status, patched = client.patch(f"/v1/webhooks/{hook['id']}", {"enabled": False,
                                                                  "event_types": ["shift.closed"]}, token=m.token)
    assert status == 200 and patched["enabled"] is False and patched["event_types"] == ["shift.closed"]
    assert [w["id"] for w in client.get("/v1/webhooks", token=m.token)[1]["webhooks"]] == [hook["id"]]
    assert client.get("/v1/webhooks", token=other.token)[1]["webhooks"] == []
    assert client.get(f"/v1/webhooks/{hook['id']}", token=other.token)[0] == 404
    assert client.delete(f"/v1/webhooks/{hook['id']}", token=other.token)[0] == 404
    status, body = client.post("/v1/webhooks", {"url": receiver.url, "event_types": ["nope"]}, token=m.token)
    assert status == 400
    status, body = client.post("/v1/webhooks", {"url": "ftp://example.com/x", "event_types": ["shift.closed"]},
                               token=m.token)
    assert status == 400
    assert client.delete(f"/v1/webhooks/{hook['id']}", token=m.token)[0] == 204
    assert client.get(f"/v1/webhooks/{hook['id']}", token=m.token)[0] == 404


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "https://127.0.0.1/x", "https://localhost/x",
                                 "https://10.1.2.3/x", "https://192.168.0.10/x", "https://169.254.169.254/latest",
                                 "https://[::1]/x", "https://0.0.0.0/x", "https://[::ffff:10.0.0.1]/x"])
def test_private_and_loopback_urls_are_refused_on_aws(client, monkeypatch, url):
    m = client.signup()
    monkeypatch.setenv("POS_WEBHOOK_STRICT_URLS", "1")
    config.reload()
    try:
        status, body = client.post("/v1/webhooks", {"url": url, "event_types": ["shift.closed"]}, token=m.token)
    finally:
        monkeypatch.delenv("POS_WEBHOOK_STRICT_URLS")
        config.reload()
    assert (status, body["errors"][0]["code"], body["errors"][0]["field"]) == (400, "WEBHOOK_URL_REFUSED", "url")


def test_a_url_that_turned_private_after_subscription_is_not_called_on_aws(client, receiver, monkeypatch):
    """Checked again at each attempt (after DNS resolution): a subscription made locally to 127.0.0.1 is never
    called in strict mode, its delivery fails with the reason."""
    m = client.signup()
    hook = subscribe(m, receiver.url, ["webhook.test"])
    monkeypatch.setenv("POS_WEBHOOK_STRICT_URLS", "1")
    config.reload()
    try:
        assert client.post(f"/v1/webhooks/{hook['id']}/test", token=m.token)[0] == 202
        webhooks.run_once()
    finally:
        monkeypatch.delenv("POS_WEBHOOK_STRICT_URLS")
        config.reload()
    assert receiver.requests == []
    delivery = client.get(f"/v1/webhooks/{hook['id']}/deliveries", token=m.token)[1]["deliveries"][0]
    assert delivery["attempts"] == 1 and "refused" in delivery["last_error"] and delivery["status"] == "PENDING"
