"""Shared tools of the robustness tests: the app as a WSGI callable, fault injection at the DynamoDB
boundary, atomic moto writes for threaded tests, and small read helpers."""
import contextlib
import json
import random
import threading
from dataclasses import dataclass, field
from urllib.parse import quote

from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException


class ChaliceWSGI:
    """The Chalice app behind a WSGI interface, through Chalice's own local API Gateway emulation.

    Schemathesis (and werkzeug's test client) call it in process; no socket, no thread."""

    def __init__(self, chalice_app):
        self.gateway = LocalGateway(chalice_app, Config(chalice_stage="dev"))

    def __call__(self, environ, start_response):
        # werkzeug's RAW_URI is the undecoded path without the query string.
        path = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "").encode("latin-1"),
                                               safe="/%:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            response = self.gateway.handle_request(environ["REQUEST_METHOD"], path, headers, body)
            status, out_headers, out_body = response["statusCode"], response["headers"], response["body"]
            if response.get("isBase64Encoded"):
                import base64
                out_body = base64.b64decode(out_body)
        except LocalGatewayException as exc:
            status, out_headers, out_body = exc.CODE, dict(exc.headers), exc.body or b""
        if isinstance(out_body, str):
            out_body = out_body.encode("utf-8")
        start_response(f"{status} X", [(k, str(v)) for k, v in out_headers.items()])
        return [out_body]


# ---------------------------------------------------------------- faults at the DynamoDB boundary

_ERRORS = {
    # code: (HTTP status, message) as DynamoDB answers them (JSON 1.0 protocol)
    "ProvisionedThroughputExceededException": (400, "The level of configured provisioned throughput for the "
                                                    "table was exceeded."),
    "ThrottlingException": (400, "Rate of requests exceeds the allowed throughput."),
    "InternalServerError": (500, "Internal server error"),
}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@dataclass
class FaultInjector:
    """Answers a share of DynamoDB requests with an error instead of moto's answer.

    It sits where moto answers (its `before-send` hook, once per HTTP attempt), so botocore's own
    retries see the error and retry as they do on AWS. Mode "before": the request is refused, nothing
    is written. Mode "lost": a write is applied by moto and then its answer is lost (a 500), the case
    where DynamoDB itself cannot tell the caller whether the write happened."""

    share: float = 0.0
    seed: int = 0
    codes: tuple[str, ...] = ("ProvisionedThroughputExceededException", "InternalServerError")
    lost_share: float = 0.0  # of the injected faults on writes, how many are applied-then-lost
    operations: frozenset[str] | None = None  # only these DynamoDB operations (None: all)
    enabled: bool = True
    attempts: int = 0
    injected: dict = field(default_factory=dict)
    lost_writes: int = 0
    landed_transactions: set = field(default_factory=set)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.lock = threading.Lock()

    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())

    @contextlib.contextmanager
    def paused(self):
        before, self.enabled = self.enabled, False
        try:
            yield
        finally:
            self.enabled = before

    def decide(self, operation: str) -> tuple[str, bool] | None:
        """(error code, applied first) for this attempt, or None to let moto answer."""
        with self.lock:
            self.attempts += 1
            if not self.enabled or (self.operations is not None and operation not in self.operations):
                return None
            if self.rng.random() >= self.share:
                return None
            lost = operation in WRITES and self.rng.random() < self.lost_share
            code = "InternalServerError" if lost else self.rng.choice(self.codes)
            self.injected[code] = self.injected.get(code, 0) + 1
            self.lost_writes += lost
            return code, lost

    @staticmethod
    def success(request):
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0",
                                              "x-amzn-RequestId": "idempotent-replay", "Content-Length": "2"},
                           MockRawResponse(b"{}"))

    @staticmethod
    def response(request, code: str):
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        status, message = _ERRORS[code]
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault-injected",
                   "Content-Length": str(len(body))}
        return AWSResponse(request.url, status, headers, MockRawResponse(body))


def _transaction_token(operation: str, request) -> str | None:
    if operation != "TransactWriteItems":
        return None
    body = request.body
    try:
        return json.loads(body.decode() if isinstance(body, bytes) else body).get("ClientRequestToken")
    except (ValueError, AttributeError):
        return None


@contextlib.contextmanager
def injected_faults(injector: FaultInjector, fast_backoff: bool = True):
    """Install `injector` on moto's DynamoDB answers for the duration of the block."""
    from botocore.retries import standard
    from moto.core.botocore_stubber import BotocoreStubber

    original_call = BotocoreStubber.__call__
    original_delay = standard.ExponentialBackoff.delay_amount

    def call(self, event_name, request, **kwargs):
        parts = event_name.split(".")
        if len(parts) >= 3 and parts[1] == "dynamodb" and self.enabled:
            token = _transaction_token(parts[2], request)
            if token is not None and token in injector.landed_transactions:
                # DynamoDB: a TransactWriteItems repeated with the ClientRequestToken of one that succeeded
                # (botocore sets one per call and keeps it across retries) succeeds again and changes
                # nothing. moto does not implement that, so it is done here.
                return injector.success(request)
            decision = injector.decide(parts[2])
            if decision is not None:
                code, lost = decision
                if lost:
                    applied = original_call(self, event_name, request, **kwargs)  # moto applies the write
                    if token is not None and applied is not None and applied.status_code == 200:
                        injector.landed_transactions.add(token)
                return injector.response(request, code)
        return original_call(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = call
    if fast_backoff:
        # Same retry decisions and attempt counts as botocore's standard mode, without its seconds of sleep.
        standard.ExponentialBackoff.delay_amount = lambda self, context: original_delay(self, context) / 1000
    try:
        yield injector
    finally:
        BotocoreStubber.__call__ = original_call
        standard.ExponentialBackoff.delay_amount = original_delay


# ---------------------------------------------------------------- reads for assertions


def all_pages(api, path: str, key: str, token: str) -> list[dict]:
    items, cursor = [], None
    separator = "&" if "?" in path else "?"
    while True:
        status, body = api.get(path + (f"{separator}cursor={cursor}" if cursor else ""), token=token)
        assert status == 200, body
        items += body[key]
        cursor = body["cursor"]
        if not cursor:
            return items


def settle_deletions(api, token: str, timeout: float = 60) -> list[dict]:
    """Wait until no deletion workflow of this merchant runs: none may outlive the test's moto."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        devices = all_pages(api, "/v1/pos_devices?show_deleted=true&limit=250", "pos_devices", token)
        running = [d for d in devices if (d.get("deletion") or {}).get("status") == "RUNNING"]
        if not running:
            return devices
        assert time.monotonic() < deadline, f"deletions still running: {[d['id'] for d in running]}"
        time.sleep(0.05)


def assert_error_shape(response, status_range=(400, 499), code: str | None = None, field: str | None = None):
    """A chalice.test HTTPResponse in the contract's error shape; returns its error items."""
    low, high = status_range
    assert low <= response.status_code <= high, (response.status_code, response.body[:500])
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    assert content_type.startswith("application/json"), response.headers
    body = json.loads(response.body)
    assert set(body) == {"errors"}, body
    assert body["errors"], body
    for item in body["errors"]:
        assert set(item) == {"code", "details", "field"}, item
        assert isinstance(item["code"], str), item
        assert item["code"].isupper(), item
        assert isinstance(item["details"], str), item
        assert item["details"], item
        assert item["field"] is None or isinstance(item["field"], str), item
    if code is not None:
        assert code in [item["code"] for item in body["errors"]], body
    if field is not None:
        assert field in [item["field"] for item in body["errors"]], body
    return body["errors"]


def raw(api, method: str, path: str, body: bytes | str = b"", token: str | None = None, headers=None):
    """One request through chalice.test.Client, bytes in, the whole response out (status, headers, body)."""
    all_headers = {"Content-Type": "application/json"} | (headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if isinstance(body, str):
        body = body.encode("utf-8")
    return api.http.http.request(method, path, headers=all_headers, body=body)


# ---------------------------------------------------------------- the contract, for responses made by hand


def documented(method: str, template: str) -> dict[int, dict | None]:
    """status -> JSON schema of the body (None when no body is documented), from /v1/openapi.json."""
    from chalicelib.api.openapi import build_document

    document = build_document()
    operation = document["paths"][template][method.lower()]
    result = {}
    for status, entry in operation["responses"].items():
        schema = (entry.get("content") or {}).get("application/json", {}).get("schema")
        result[int(status)] = schema and {"$ref": schema["$ref"], "components": document["components"]}
    return result


def assert_conforms(method: str, template: str, status: int, body) -> None:
    """The status is documented for the operation and the body matches the documented schema."""
    import jsonschema

    responses = documented(method, template)
    assert status in responses, f"{method} {template} answered {status}, documented: {sorted(responses)}; {body}"
    schema = responses[status]
    if schema is not None:
        ref = schema["$ref"].rsplit("/", 1)[-1]
        full = {"$ref": f"#/components/schemas/{ref}", "components": schema["components"]}
        jsonschema.validate(body, full)




# The port method that makes each DynamoDB request the races below are placed after (the SQLite adapter has no
# requests to hook: there the race is placed right after the same port write or read returned).
PORT_OF_REQUEST = {("TransactWriteItems", "receipts"): ("receipts", "store_batch"),
                   ("GetItem", "pos_devices"): ("devices", "get")}


@contextlib.contextmanager
def right_after(operation: str, table_suffix: str, action, times: int = 1):
    """Run `action()` on another thread (and wait for it) right after moto answered the first `times` DynamoDB
    `operation` requests that touch a table ending with `table_suffix` (on SQLite: right after the port method
    that makes that request returned): a race made to happen at one exact point."""
    from chalicelib.config import settings

    if settings().storage == "sqlite":
        with _right_after_port(*PORT_OF_REQUEST[(operation, table_suffix)], action, times) as fired:
            yield fired
        return
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.__call__
    fired = []

    def call(self, event_name, request, **kwargs):
        response = original(self, event_name, request, **kwargs)
        parts = event_name.split(".")
        if (len(parts) >= 3 and parts[1] == "dynamodb" and parts[2] == operation and len(fired) < times
                and table_suffix in (request.body.decode() if isinstance(request.body, bytes) else str(request.body))):
            fired.append(True)
            _on_another_thread(action)
        return response

    BotocoreStubber.__call__ = call
    try:
        yield fired
    finally:
        BotocoreStubber.__call__ = original


@contextlib.contextmanager
def _right_after_port(port: str, method: str, action, times: int):
    from chalicelib import wiring

    adapter = getattr(wiring.adapters(), port)
    original = getattr(adapter, method)
    fired = []

    def call(*args, **kwargs):
        result = original(*args, **kwargs)
        if len(fired) < times:
            fired.append(True)
            _on_another_thread(action)
        return result

    setattr(adapter, method, call)
    try:
        yield fired
    finally:
        delattr(adapter, method)


def _on_another_thread(action) -> None:
    """Run `action()` on its own thread (a request of its own) and wait for it; its exception is raised here."""
    errors = []
    thread = threading.Thread(target=lambda: _capture(action, errors), daemon=True)
    thread.start()
    thread.join(timeout=60)
    if errors:
        raise errors[0]


def _capture(action, errors):
    try:
        action()
    except BaseException as exc:  # noqa: BLE001
        errors.append(exc)
