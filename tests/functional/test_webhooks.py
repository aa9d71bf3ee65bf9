"""Issue 24: API access tokens and signed webhooks (DESIGN.md 3.3), on moto and on SQLite (BOTH_ENGINES).

A local HTTP receiver (http.server on 127.0.0.1) takes the deliveries; the dispatcher runs in-process, through the
same function the `make run` thread calls (services.webhooks.run_once)."""
import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from uuid import uuid4

import pytest

from chalicelib import clock, config
from chalicelib.services import webhooks
from tests.conftest import receipt
from tests.helpers import serve_posts

# ---------------------------------------------------------------- a receiver


class Receiver:
    """Records every POST; answers with the next planned status (default 200), optionally after a delay."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.plan: list = []  # statuses (int) or ("sleep", seconds, status)
        self.lock = threading.Lock()
        self.server = serve_posts(self._answer, port)

    def _answer(self, path: str, headers: dict, body: bytes) -> int:
        with self.lock:
            step = self.plan.pop(0) if self.plan else 200
            self.requests.append({"headers": {k.lower(): v for k, v in headers.items()},
                                  "body": body.decode(), "path": path, "status": step})
        if isinstance(step, tuple):
            time.sleep(step[1])
            step = step[2]
        return step

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
    """The verification snippet of docs/WEBHOOKS.md (the app's clock stands for the receiver's)."""
    parts = dict(item.split("=", 1) for item in headers["pos-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{body}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(clock.epoch() - int(parts["t"])) <= tolerance


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
    assert status == 200
    assert store["id"] in [s["id"] for s in body["stores"]]  # beside the first store, made at sign-up
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
    assert store["name"] in [s["name"] for s in client.get("/v1/stores", token=m.token)[1]["stores"]]


def test_a_read_token_is_refused_every_write_with_one_code_and_may_use_every_read(client):
    """DESIGN 3.3 "READ: GET only", checked in one place (domain/roles.require_permission): every route that writes
    answers 403 API_TOKEN_READ_ONLY before anything is read, parsed or written; a GET is never refused for being
    read-only (GET /v1/audit/runs/{id} once answered FORBIDDEN from a second check)."""
    from chalicelib.api.http import OPERATIONS

    m = client.signup()
    device = m.device()
    _, read = client.post("/v1/api_tokens", {"name": "BI", "access": "READ"}, token=m.token)
    _, run = client.post("/v1/audit/runs", token=m.token)
    before = client.get("/v1/events", token=m.token)[1]["events"]
    back_office = [op for op in OPERATIONS if op.auth == "user"]
    writes = [op for op in back_office if op.method not in ("GET", "HEAD")]
    assert len(writes) >= 20
    for op in writes:
        path = op.path.replace("{device_id}", device["id"]).replace("{run_id}", run["id"])
        path = path.replace("{", "").replace("}", "")  # other ids: any, nothing is looked up before the check
        status, body = client.call(op.method, path, {}, token=read["token"])
        assert (status, body["errors"][0]["code"]) == (403, "API_TOKEN_READ_ONLY"), (op.method, op.path, body)
    assert client.get("/v1/events", token=m.token)[1]["events"] == before  # nothing was written
    assert client.get(f"/v1/audit/runs/{run['id']}", token=read["token"])[0] == 200
    assert client.get(f"/v1/pos_devices/{device['id']}", token=read["token"])[0] == 200
    for op in back_office:
        if op.method == "GET" and "{" not in op.path:
            status, body = client.call("GET", op.path, None, token=read["token"])
            assert status == 200 or body["errors"][0]["code"] == "API_TOKEN_FORBIDDEN", (op.path, body)


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
    status, _ = client.post("/v1/webhooks", {"url": receiver.url, "event_types": ["nope"]}, token=m.token)
    assert status == 400
    status, _ = client.post("/v1/webhooks", {"url": "ftp://example.com/x", "event_types": ["shift.closed"]},
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


# ---------------------------------------------------------------- delivery


def pos_sync(client, token, last, seqs=(), number=1, shift_open=False, shifts=()):
    status, body = client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": last, "open_tickets": 0, "shift_open": shift_open},
        "shifts": list(shifts), "receipts": [receipt(number, s) for s in seqs]}, token=token)
    assert status == 200, body
    return body


def test_every_event_type_is_delivered_signed_once_each(client, receiver):
    m = client.signup()
    hook = subscribe(m, receiver.url)
    store, other_store = m.store("A"), m.store("B")
    # pos_device.created, .activated
    status, device = client.post("/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]}, token=m.token)
    token = m.activate(device["id"])["device_token"]
    # receipts.created (with the receipts), shift.closed
    shift = {"id": "5e0c1f6e-0000-4000-8000-0000000000a1", "opened_at": "2026-11-24T08:00:00Z",
             "closed_at": "2026-11-24T16:00:00Z", "starting_cash": 100}
    pos_sync(client, token, last=4, seqs=(1, 2), shifts=[shift])
    # audit.finding_raised: 1-3 and 1-4 are missing; resolved once they arrive
    assert client.post("/v1/audit/runs", token=m.token)[1]["raised"] == 1
    pos_sync(client, token, last=4, seqs=(3, 4))
    assert client.post("/v1/audit/runs", token=m.token)[1]["resolved"] == 1
    # pos_device.deactivated (with a final-sync window), .final_sync_closed, .moved (an inactive slot moves)
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", {"final_sync_hours": 2}, token=m.token)[0] == 200
    assert client.post(f"/v1/pos_devices/{device['id']}/end_final_sync", token=m.token)[0] == 200
    status, body = client.patch(f"/v1/pos_devices/{device['id']}", {"store_id": other_store["id"]}, token=m.token)
    assert status == 200, body
    # deletion.failed: an open shift stops the safe deletion
    status, failing = client.post("/v1/pos_devices", {"name": "Till 2", "store_id": store["id"]}, token=m.token)
    failing_token = m.activate(failing["id"])["device_token"]
    pos_sync(client, failing_token, last=0, number=failing["number"], shift_open=True, shifts=[
        {"id": "5e0c1f6e-0000-4000-8000-0000000000a2", "opened_at": "2026-11-24T08:00:00Z", "starting_cash": 0}])
    assert client.delete(f"/v1/pos_devices/{failing['id']}", token=m.token)[0] == 202
    assert client.wait_for_deletion(m.token, failing["id"])["status"] == "FAILED"
    # pos_device.deleted
    assert client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)[0] == 202
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"
    # webhook.test
    assert client.post(f"/v1/webhooks/{hook['id']}/test", token=m.token)[0] == 202

    wanted = set(ALL_TYPES)
    run_until(lambda: wanted <= {b["type"] for b in receiver.delivered()})
    webhooks.run_once()
    bodies = receiver.delivered()
    assert len({b["id"] for b in bodies}) == len(bodies)  # each event once (nothing was retried here)
    for request in receiver.requests:
        body = json.loads(request["body"])
        assert verify(hook["secret"], request["headers"], request["body"])
        assert request["headers"]["pos-event-id"] == body["id"]
        assert request["headers"]["pos-event-type"] == body["type"]
        assert body["merchant_id"] == m.merchant["id"] and body["created_at"]
    by_type = {}
    for body in bodies:
        by_type.setdefault(body["type"], []).append(body)
    [first, second] = by_type["receipts.created"]
    assert [r["receipt_number"] for r in first["data"]["receipts"]] == ["1-1", "1-2"]
    assert [r["receipt_number"] for r in second["data"]["receipts"]] == ["1-3", "1-4"]
    assert first["data"]["receipts"][0]["total_money"] == 700 and first["data"]["pos_device_id"] == device["id"]
    [closed] = by_type["shift.closed"]
    assert closed["data"]["shift"]["id"] == shift["id"] and closed["data"]["shift"]["closed_at"]
    [raised] = by_type["audit.finding_raised"]
    assert raised["data"]["missing_receipt_numbers"] == ["1-3", "1-4"]
    assert by_type["audit.finding_resolved"][0]["data"]["finding_id"] == raised["data"]["finding_id"]
    assert by_type["pos_device.moved"][0]["data"]["to_store_id"] == other_store["id"]
    assert {b["data"]["pos_device_id"] for b in by_type["deletion.failed"]} == {failing["id"]}
    assert by_type["pos_device.created"][0]["data"]["actor"]["type"] == "EMPLOYEE"
    # The delivery log shows them all delivered.
    status, log = client.get(f"/v1/webhooks/{hook['id']}/deliveries?limit=250", token=m.token)
    assert status == 200 and log["deliveries"]
    assert {d["status"] for d in log["deliveries"]} == {"DELIVERED"}
    assert all(d["attempts"] == 1 and d["last_status_code"] == 200 for d in log["deliveries"])
    # Only the subscribed types go out: a subscription of one type gets only that one.
    only = subscribe(m, receiver.url, ["pos_device.created"])
    before = len(receiver.requests)
    client.post("/v1/pos_devices", {"name": "Till 3", "store_id": store["id"]}, token=m.token)
    run_until(lambda: len(receiver.requests) >= before + 2)
    webhooks.run_once()
    assert [json.loads(r["body"])["type"] for r in receiver.requests[before:]] == ["pos_device.created"] * 2, [
        (r["headers"]["pos-event-id"], r["body"][:60]) for r in receiver.requests[before:]]
    assert client.get(f"/v1/webhooks/{only['id']}/deliveries", token=m.token)[1]["deliveries"][0]["status"] == \
        "DELIVERED"


def test_deliveries_keep_each_devices_order_and_retry_after_500_and_timeouts(client, receiver, fast_retries):
    m = client.signup()
    subscribe(m, receiver.url, ["receipts.created"])
    (one, token_one), (two, token_two) = m.active_device("A"), m.active_device("B")
    receiver.plan = [500, ("sleep", 1.5, 200), 503]  # three failed attempts (the second a timeout) first
    for seq in range(1, 6):
        pos_sync(client, token_one, last=seq, seqs=(seq,), number=one["number"])
        pos_sync(client, token_two, last=seq, seqs=(seq,), number=two["number"])
    run_until(lambda: len(receiver.delivered()) >= 10, timeout=30)
    delivered = receiver.delivered()
    for device in (one, two):
        numbers = [b["data"]["receipts"][0]["receipt_number"] for b in delivered
                   if b["data"]["pos_device_id"] == device["id"]]
        # at least once: a timed-out attempt may have landed too, never out of order
        assert sorted(set(numbers), key=lambda n: int(n.split("-")[1])) == [f"{device['number']}-{s}"
                                                                           for s in range(1, 6)]
        firsts = []
        for number in numbers:
            if number not in firsts:
                firsts.append(number)
        assert firsts == [f"{device['number']}-{s}" for s in range(1, 6)]
    failed_attempts = [r for r in receiver.requests if r["status"] != 200]
    assert len(failed_attempts) == 3
    _, log = client.get(f"/v1/webhooks/{m_hooks(client, m)[0]['id']}/deliveries?limit=50", token=m.token)
    assert {d["status"] for d in log["deliveries"]} == {"DELIVERED"}
    assert max(d["attempts"] for d in log["deliveries"]) >= 2


def m_hooks(client, m):
    return client.get("/v1/webhooks", token=m.token)[1]["webhooks"]


def test_a_receiver_down_then_up_loses_nothing_and_a_restart_still_delivers(client, fast_retries):
    m = client.signup()
    down = Receiver()
    url = down.url
    port = down.server.server_address[1]
    down.stop()  # nobody listens: connection refused
    subscribe(m, url, ["receipts.created", "pos_device.created"])
    _device, token = m.active_device()
    for seq in range(1, 4):
        pos_sync(client, token, last=seq, seqs=(seq,))
    webhooks.run_once()  # attempts fail
    [hook] = m_hooks(client, m)
    _, log = client.get(f"/v1/webhooks/{hook['id']}/deliveries", token=m.token)
    assert log["deliveries"] and all(d["status"] == "PENDING" for d in log["deliveries"])
    assert any(d["attempts"] >= 1 and d["last_status_code"] is None and d["last_error"] for d in log["deliveries"])
    assert hook["failing_since"] is not None
    # The receiver comes back on the same port; the retries deliver everything, in order.
    back = Receiver(port)  # on the port that was down
    try:
        run_until(lambda: len(back.delivered()) >= 4, timeout=30)
        types = [(b["type"], (b["data"].get("receipts") or [{}])[0].get("receipt_number")) for b in back.delivered()]
        assert types[0] == ("pos_device.created", None)
        assert [n for t, n in types if t == "receipts.created"] == ["1-1", "1-2", "1-3"]
        assert m_hooks(client, m)[0]["failing_since"] is None
    finally:
        back.stop()


def test_an_event_written_before_a_crash_is_delivered_after_restart(client, receiver, tmp_path, engine):
    """The outbox is durable: a change made while no dispatcher runs (the server crashed after the change) is
    delivered by the next dispatcher, from the stored events; reading the outbox again adds nothing twice."""
    m = client.signup()
    subscribe(m, receiver.url, ["pos_device.created"])
    m.device("Till 1")
    # "crash": the dispatcher never ran. A fresh one (as after a restart) reads the outbox from its saved position.
    from chalicelib import wiring
    if engine == "sqlite":
        wiring.reset()  # a new process: the adapters are built again on the same file
    webhooks.run_once()
    webhooks.run_once()
    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["pos_device.created"]
    from chalicelib.wiring import adapters
    events, _ = adapters().integrations.outbox_after(None, 1000)
    assert webhooks.fan_out(events) == 0  # the same events again: no new delivery


def test_resend_and_backoff_and_failure_after_24_hours_and_disable_after_3_days(client, receiver, at):
    m = client.signup()
    hook = subscribe(m, receiver.url, ["webhook.test"])
    receiver.plan = [500] * 100
    assert client.post(f"/v1/webhooks/{hook['id']}/test", token=m.token)[0] == 202
    start = clock.now()
    webhooks.deliver_due(start)
    [delivery] = client.get(f"/v1/webhooks/{hook['id']}/deliveries", token=m.token)[1]["deliveries"]
    assert (delivery["attempts"], delivery["last_status_code"], delivery["status"]) == (1, 500, "PENDING")
    assert delivery["next_attempt_at"] == clock.iso(start + timedelta(seconds=30))  # the default base
    webhooks.deliver_due(start + timedelta(seconds=29))
    assert len(receiver.requests) == 1  # not due yet
    webhooks.deliver_due(start + timedelta(seconds=30))
    [delivery] = client.get(f"/v1/webhooks/{hook['id']}/deliveries", token=m.token)[1]["deliveries"]
    assert delivery["attempts"] == 2 and delivery["next_attempt_at"] == clock.iso(start + timedelta(seconds=90))
    webhooks.deliver_due(start + timedelta(hours=24))
    [delivery] = client.get(f"/v1/webhooks/{hook['id']}/deliveries", token=m.token)[1]["deliveries"]
    assert delivery["status"] == "FAILED" and delivery["next_attempt_at"] is None
    # Re-send: pending again at once, and delivered when the receiver answers 2xx.
    receiver.plan = []
    status, body = client.post(f"/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/resend", token=m.token)
    assert status == 202 and body["status"] == "PENDING"
    webhooks.deliver_due(clock.now())
    [delivery] = client.get(f"/v1/webhooks/{hook['id']}/deliveries", token=m.token)[1]["deliveries"]
    assert delivery["status"] == "DELIVERED" and delivery["delivered_at"]
    assert client.post(f"/v1/webhooks/{hook['id']}/deliveries/{uuid4()}/resend", token=m.token)[0] == 404
    # Failing for 3 days: disabled, and GET says why.
    receiver.plan = [500] * 100
    for day in range(4):
        at(days=day)
        m.token = client.post("/v1/auth/login", {"email": m.email, "password": m.password})[1]["token"]
        assert client.post(f"/v1/webhooks/{hook['id']}/test", token=m.token)[0] == 202
        webhooks.deliver_due(clock.now())
    status, got = client.get(f"/v1/webhooks/{hook['id']}", token=m.token)
    assert got["enabled"] is False and got["disabled_reason"]["code"] == "DELIVERIES_FAILING"
    assert got["disabled_reason"]["since"] == got["failing_since"]
    # Enabled again by the owner: the count starts over.
    status, got = client.patch(f"/v1/webhooks/{hook['id']}", {"enabled": True}, token=m.token)
    assert got["enabled"] is True and got["disabled_reason"] is None and got["failing_since"] is None


def test_the_delivery_log_pages_and_refuses_bad_limits_and_foreign_cursors(client, receiver):
    m, other = client.signup(), client.signup()
    hook, theirs = subscribe(m, receiver.url, ["webhook.test"]), subscribe(other, receiver.url, ["webhook.test"])
    for _ in range(3):
        assert client.post(f"/v1/webhooks/{hook['id']}/test", token=m.token)[0] == 202
    client.post(f"/v1/webhooks/{theirs['id']}/test", token=other.token)
    path = f"/v1/webhooks/{hook['id']}/deliveries"
    seen, cursor = [], None
    while True:
        status, page = client.get(path + "?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=m.token)
        assert status == 200 and page["cursor"] == page["next_cursor"], page
        seen += [d["id"] for d in page["deliveries"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 3
    for value in ("0", "251", "abc"):
        status, body = client.get(path + f"?limit={value}", token=m.token)
        assert (status, body["errors"][0]["field"]) == (400, "limit")
    _, their_page = client.get(f"/v1/webhooks/{theirs['id']}/deliveries?limit=1", token=other.token)
    for cursor in ("garbage", "e30", "W10", their_page["next_cursor"] or "eyJ3ZWJob29rX2lkIjp7IlMiOiJ4In19"):
        status, body = client.get(path + f"?cursor={cursor}", token=m.token)
        assert (status, body["errors"][0]["field"]) == (400, "cursor"), (cursor, body)
