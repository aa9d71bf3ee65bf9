"""Issue 14.2 and 14.1 (CORS): JSON logs with a correlation id per request and per deletion step, bugs counted,
no secrets in any log line; the CORS origin is configurable and preflights are answered."""
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from chalicelib import telemetry
from chalicelib.telemetry import JsonFormatter
from tests.conftest import receipt
from tests.helpers import raising

ROOT = Path(__file__).resolve().parents[2]


class JsonLines(logging.Handler):
    """Every record, as the JSON line the Lambda would write."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))

    def entries(self, **match) -> list[dict]:
        parsed = [json.loads(line) for line in self.lines]
        return [e for e in parsed if all(e.get(k) == v for k, v in match.items())]


@pytest.fixture
def json_logs():
    handler, root = JsonLines(), logging.getLogger()
    before = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(before)


def _headers(response) -> dict:
    return {k.lower(): v for k, v in response.headers.items()}


def test_one_json_line_per_request_with_the_callers_correlation_id(client, json_logs):
    owner = client.signup()
    response = client.http.http.get("/v1/stores", headers={"Authorization": f"Bearer {owner.token}",
                                                            "X-Correlation-Id": "till-7.sync:42"})
    assert response.status_code == 200
    assert _headers(response)["x-correlation-id"] == "till-7.sync:42"
    (line,) = json_logs.entries(event="request", correlation_id="till-7.sync:42")
    assert (line["method"], line["status"], line["route"]) == ("GET", 200, "/v1/stores")
    assert (line["merchant_id"], line["employee_id"]) == (owner.merchant["id"], owner.owner["id"])
    assert isinstance(line["duration_ms"], (int, float))
    assert line["level"] == "INFO"
    assert line["timestamp"].endswith("Z")


def test_a_correlation_id_is_made_when_none_or_a_bad_one_is_sent(client, json_logs):
    first = client.http.http.get("/v1/pos_devices")
    second = client.http.http.get("/v1/pos_devices", headers={"X-Correlation-Id": "bad id\nwith a newline"})
    ids = [_headers(r)["x-correlation-id"] for r in (first, second)]
    assert ids[0] != ids[1]
    assert all(uuid.UUID(i) for i in ids)
    assert [e["status"] for e in json_logs.entries(event="request")] == [401, 401]
    assert {e["correlation_id"] for e in json_logs.entries(event="request")} == set(ids)


def test_the_api_gateway_request_id_is_the_default_correlation_id():
    assert telemetry.correlation_id(None, "c0ffee-1234") == "c0ffee-1234"
    assert telemetry.correlation_id("mine-1", "c0ffee-1234") == "mine-1"
    assert telemetry.correlation_id("x" * 129, "c0ffee-1234") == "c0ffee-1234"


def test_a_bug_answers_500_in_the_contract_shape_and_is_logged_for_the_alarm(client, json_logs, monkeypatch):
    owner = client.signup()
    from chalicelib.api import accounts_routes

    monkeypatch.setattr(accounts_routes.accounts, "list_stores", raising(KeyError("a bug")))
    status, body = client.get("/v1/stores", token=owner.token)
    assert (status, body["errors"][0]["code"]) == (500, "INTERNAL")
    (bug,) = json_logs.entries(event="unhandled_error")
    # infra/template.yml's metric filter { $.event = "unhandled_error" } counts exactly these lines.
    assert (bug["level"], bug["exception_type"]) == ("ERROR", "KeyError")
    assert "a bug" in bug["exception"]
    assert bug["merchant_id"] == owner.merchant["id"]
    assert bug["correlation_id"]
    (request,) = json_logs.entries(event="request", status=500)
    assert request["correlation_id"] == bug["correlation_id"]


def test_each_deletion_step_is_one_line_with_the_deletion_id(client, json_logs):
    owner = client.signup()
    device, token = owner.active_device()
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 1, "open_tickets": 0,
                                                          "shift_open": True},
                                                "receipts": [receipt(device["number"], 1)]}, token=token)
    assert status == 200, body
    status, body = client.delete(f"/v1/pos_devices/{device['id']}", token=owner.token)
    assert status == 202, body
    deletion = body["deletion"]
    assert client.wait_for_deletion(owner.token, device["id"])["error"]["code"] == "SHIFT_OPEN"
    (started,) = json_logs.entries(event="deletion_started")
    assert (started["deletion_id"], started["merchant_id"]) == (deletion["id"], owner.merchant["id"])
    steps = json_logs.entries(event="deletion_step", deletion_id=deletion["id"])
    outcomes = {(s["step"], s["outcome"]) for s in steps}
    assert ("check_open_tickets", "ok") in outcomes
    assert ("check_shift_closed", "refused") in outcomes
    for step in steps:
        assert (step["correlation_id"], step["pos_device_id"]) == (deletion["id"], device["id"])
    refused = [s for s in steps if s["outcome"] == "refused"]
    assert (refused[0]["error_code"], refused[0]["level"]) == ("SHIFT_OPEN", "INFO")


def test_an_audit_failure_for_one_device_is_logged_for_the_alarm(client, json_logs, monkeypatch):
    owner = client.signup()
    for name in ("Till 1", "Till 2"):  # each reports receipts the server lacks: both need the audit's look
        _device, token = owner.active_device(name)
        status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 2, "open_tickets": 0,
                                                              "shift_open": False}, "shifts": [], "receipts": []},
                                   token=token)
        assert status == 200, body
    from chalicelib.services import audit

    real = audit.audit_device
    calls = []

    def flaky(key, device, open_findings):
        calls.append(key[1])
        if len(calls) == 1:
            raise RuntimeError("storage hiccup")
        return real(key, device, open_findings)

    monkeypatch.setattr(audit, "audit_device", flaky)
    summary = audit.run_all()
    assert summary["failed_devices"] == 1
    assert summary["devices_checked"] >= 1
    (failure,) = json_logs.entries(event="audit_device_failed")
    assert (failure["level"], failure["pos_device_id"]) == ("ERROR", calls[0])
    (run,) = json_logs.entries(event="audit_run")
    assert run["failed_devices"] == 1


@pytest.fixture
def debug_level(monkeypatch):
    """LOG_LEVEL=DEBUG applied as on Lambda; every logger's level restored afterwards."""
    loggers = [logging.getLogger(), *map(logging.getLogger, telemetry.SDK_LOGGERS)]
    before = [logger.level for logger in loggers]
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    telemetry.configure()
    yield
    for logger, level in zip(loggers, before):
        logger.setLevel(level)


def test_no_token_password_or_pin_in_any_log_line(client, json_logs, debug_level):
    assert logging.getLogger().level == logging.DEBUG
    password = f"pw-{uuid.uuid4().hex}"
    owner = client.signup(password=password)
    status, employee = client.post("/v1/employees", {"name": "C", "role": "CASHIER", "pin": "9713"}, token=owner.token)
    assert status == 201, employee
    device, device_token = owner.active_device()
    client.post("/v1/pos/switch_user", {"employee_id": employee["id"], "pin": "9713"}, token=device_token)
    client.post("/v1/auth/login", {"email": owner.email, "password": password + "x"})
    text = "\n".join(json_logs.lines)
    assert len(json_logs.entries(event="request")) >= 6
    for secret in (password, owner.token, device_token, "9713"):
        assert secret not in text
    # Fields named like secrets are dropped even when code passes them by mistake.
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.device_token, record.pin, record.password_hash, record.error_code = "t", "1234", "h", "SHIFT_OPEN"
    line = json.loads(JsonFormatter().format(record))
    assert (line["device_token"], line["pin"], line["password_hash"]) == (telemetry.REDACTED,) * 3
    assert line["error_code"] == "SHIFT_OPEN"


def test_root_logger_level_and_json_on_lambda():
    """A fresh interpreter as on Lambda: LOG_LEVEL sets the root level, records are JSON lines on stdout."""
    code = ("import logging, app; logging.getLogger('chalicelib.x').info('hello', extra={'event': 'probe'}); "
            "logging.getLogger('chalicelib.x').debug('hidden')")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOG_")},
           "AWS_LAMBDA_FUNCTION_NAME": "pos-backoffice-dev-api_handler", "LOG_LEVEL": "INFO"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    lines = [json.loads(line) for line in out.stdout.splitlines() + out.stderr.splitlines() if line.startswith("{")]
    assert [(l["message"], l["event"], l["level"]) for l in lines] == [("hello", "probe", "INFO")]
    env["LOG_LEVEL"] = "DEBUG"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    assert "hidden" in out.stdout + out.stderr


# ------------------------------------------------------------------ CORS
ALLOWED = "https://backoffice.example.com"


def test_without_a_cors_origin_no_cors_header_is_sent(client, monkeypatch):
    monkeypatch.delenv("CORS_ALLOW_ORIGIN", raising=False)
    preflight = client.http.http.request("OPTIONS", "/v1/stores", headers={
        "Origin": ALLOWED, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert _headers(preflight)["allow"] == "GET, OPTIONS, POST"
    assert not [h for h in _headers(preflight) if h.startswith("access-control-")]


def test_the_configured_origin_gets_preflights_and_cors_headers(client, monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", ALLOWED)
    owner = client.signup()
    preflight = client.http.http.request("OPTIONS", "/v1/pos_devices/123/deactivate", headers={
        "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    headers = _headers(preflight)
    assert preflight.status_code == 204
    assert headers["access-control-allow-origin"] == ALLOWED
    assert headers["access-control-allow-methods"] == "OPTIONS, POST"
    assert {"authorization", "content-type", "accept-language"} <= {
        h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    answer = client.http.http.get("/v1/stores", headers={"Origin": ALLOWED, "Authorization": f"Bearer {owner.token}"})
    assert answer.status_code == 200
    assert _headers(answer)["access-control-allow-origin"] == ALLOWED
    assert "x-correlation-id" in _headers(answer)["access-control-expose-headers"].lower()
    other = client.http.http.get("/v1/stores", headers={"Origin": "https://evil.example",
                                                         "Authorization": f"Bearer {owner.token}"})
    assert "access-control-allow-origin" not in _headers(other)


def test_every_route_path_answers_a_preflight(client, monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", ALLOWED)
    from chalicelib.api.http import OPERATIONS

    for path in {op.path for op in OPERATIONS}:
        concrete = path.replace("{", "").replace("}", "")
        response = client.http.http.request("OPTIONS", concrete, headers={"Origin": ALLOWED})
        assert response.status_code == 204, path
        methods = {op.method for op in OPERATIONS if op.path == path} | {"OPTIONS"}
        assert set(_headers(response)["access-control-allow-methods"].split(", ")) == methods, path
