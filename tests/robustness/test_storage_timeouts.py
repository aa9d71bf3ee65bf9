"""Issue 12.8: storage faults other than DynamoDB's own error answers (timeouts, closed and refused
connections) answer 503 SERVICE_UNAVAILABLE in the contract's shape, fast, never a 500.

Before the fix a read timeout or a closed connection raised AttributeError inside the error translation
(PynamoDB's `cause_response_code` reads `.response`, which requests' exceptions set to None) and so answered
500, after PynamoDB's default 4 attempts x (15 s connect + 30 s read)."""
import random
import socket
import threading
import time
from collections import Counter

import pytest
from botocore.exceptions import (
    ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError,
)

from chalicelib import config
from chalicelib.adapters import models
from tests.conftest import receipt

API_GATEWAY_LIMIT_SECONDS = 29
FAULTS = {
    "read timeout": lambda url: ReadTimeoutError(endpoint_url=url),
    "connect timeout": lambda url: ConnectTimeoutError(endpoint_url=url),
    "connection closed": lambda url: ConnectionClosedError(endpoint_url=url),
    "connection refused": lambda url: EndpointConnectionError(endpoint_url=url),
}
FIGURES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    print(f"\n[storage timeouts] {dict(FIGURES)}")


class Raising:
    """DynamoDB HTTP attempts raise a fault (one of `faults`, each a factory of the endpoint URL) where moto would
    answer, so botocore's retries see it: every attempt, or a `share` of them drawn with `seed`."""

    def __init__(self, faults, share: float = 1.0, seed: int = 0):
        self.faults = faults if isinstance(faults, list) else [faults]
        self.share, self.rng = share, random.Random(seed)
        self.attempts, self.enabled = 0, False

    def __enter__(self):
        from moto.core.botocore_stubber import BotocoreStubber

        self.original = original = BotocoreStubber.__call__
        outer = self

        def call(stubber, event_name, request, **kwargs):
            if outer.enabled and ".dynamodb." in event_name and outer.rng.random() < outer.share:
                outer.attempts += 1
                raise outer.rng.choice(outer.faults)(request.url)
            return original(stubber, event_name, request, **kwargs)

        BotocoreStubber.__call__ = call
        return self

    def __exit__(self, *exc):
        from moto.core.botocore_stubber import BotocoreStubber

        BotocoreStubber.__call__ = self.original


def _requests(m, device, token, cashier_id):
    return [
        ("POST", "/v1/auth/login", {"email": m.email, "password": m.password}, None),
        ("GET", "/v1/pos_devices", None, m.token),
        ("GET", f"/v1/pos_devices/{device['id']}", None, m.token),
        ("POST", "/v1/pos/sync", {"receipts": [receipt(device["number"], 1)]}, token),
        ("POST", "/v1/pos/switch_user", {"employee_id": cashier_id, "pin": "1234"}, token),
        ("GET", "/v1/pos/me", None, token),
    ]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_connection_faults_answer_503_in_the_error_shape(client, fault):
    m = client.signup()
    device, token = m.active_device()
    status, cashier = client.post("/v1/employees", {"name": "Cy", "role": "CASHIER", "pin": "1234"}, token=m.token)
    assert status == 201, cashier
    with Raising(FAULTS[fault]) as raising:
        raising.enabled = True
        for method, path, body, auth in _requests(m, device, token, cashier["id"]):
            before = raising.attempts
            status, answer = client.call(method, path, body=body, token=auth)
            assert status == 503, (fault, method, path, status, answer)
            assert answer == {"errors": [{"code": "SERVICE_UNAVAILABLE", "details": answer["errors"][0]["details"],
                                          "field": None}]}, answer
            # Retried by botocore, but a bounded number of times: one failing call, then the request stops.
            assert 1 <= raising.attempts - before <= config.settings().dynamodb_max_attempts, raising.attempts
            FIGURES[f"{fault}: requests"] += 1
    # Nothing was half-written: the device is as it was once storage answers again.
    status, after = client.get(f"/v1/pos_devices/{device['id']}", token=m.token)
    assert (status, after["synced_receipts"], after["current_employee_id"]) == (
        200, 0, device["current_employee_id"]), after


def test_default_limits_keep_a_storage_fault_inside_api_gateways_29_seconds():
    cfg = config.reload()
    models.bind()
    attempts = models.EmployeeModel.Meta.max_retry_attempts + 1
    per_attempt = models.EmployeeModel.Meta.connect_timeout_seconds + models.EmployeeModel.Meta.read_timeout_seconds
    backoff = sum(min(20, 2 ** n) for n in range(attempts - 1))  # botocore standard mode: up to 1 s, 2 s, ...
    worst = attempts * per_attempt + backoff
    assert attempts == cfg.dynamodb_max_attempts
    assert worst <= API_GATEWAY_LIMIT_SECONDS / 2 + 1, worst  # well inside: room for the rest of the request
    conn = models.connection()
    client_config = conn.client.meta.config
    assert (client_config.connect_timeout, client_config.read_timeout) == (
        cfg.dynamodb_connect_timeout_seconds, cfg.dynamodb_read_timeout_seconds)
    assert client_config.retries["total_max_attempts"] == attempts
    FIGURES["worst case seconds per DynamoDB call"] = worst


class Blackhole:
    """A loopback TCP server that accepts connections and never answers (mode "silent"), or closes each one
    at once (mode "close")."""

    def __init__(self, mode: str):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.held: list = []
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            if self.mode == "close":
                conn.recv(65536)
                conn.close()
            else:
                self.held.append(conn)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.mark.parametrize("mode", ["silent", "close"])
def test_a_real_unanswering_database_answers_503_within_the_configured_bound(client, monkeypatch, mode):
    """Real sockets on loopback: DynamoDB's endpoint accepts and never answers (a read timeout), or closes the
    connection. With the timeouts made small the answer is a 503 within attempts x timeouts (+ backoff)."""
    m = client.signup()
    with Blackhole(mode) as hole:
        monkeypatch.setenv("DYNAMODB_HOST", hole.url)
        monkeypatch.setenv("DYNAMODB_READ_TIMEOUT_SECONDS", "0.3")
        monkeypatch.setenv("DYNAMODB_CONNECT_TIMEOUT_SECONDS", "0.3")
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", hole.url)
        config.reload()
        result: dict = {}

        def call():
            result["answer"] = client.post("/v1/auth/login", {"email": m.email, "password": m.password})

        started = time.monotonic()
        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(timeout=15)
        took = time.monotonic() - started
        monkeypatch.delenv("DYNAMODB_HOST")
        config.reload()
        assert not worker.is_alive(), "no answer within 15 s"
    status, answer = result["answer"]
    assert (status, answer["errors"][0]["code"]) == (503, "SERVICE_UNAVAILABLE"), (status, answer)
    assert took < 3 * 0.6 + 3 + 1, took
    FIGURES[f"{mode} database: seconds to 503"] = round(took, 2)
