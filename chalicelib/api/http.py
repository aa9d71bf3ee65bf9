"""One way to declare an endpoint: body and query validation, auth, DomainError -> response, OpenAPI.

Chalice turns an exception escaping a route into a bare 500 before middleware can see it, so every
route is wrapped here and errors are mapped in this one place.
"""
import contextlib
import functools
import hashlib
import importlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import deadline, i18n, telemetry
from chalicelib.api import security_headers
from chalicelib.config import settings
from chalicelib.errors import DomainError, InternalError, MalformedJson, NotFound, PayloadTooLarge, ValidationFailed

if TYPE_CHECKING:
    from chalicelib.api.auth import BackOffice, Device
    from chalicelib.services.common import DevicePrincipal, Principal

log = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _language_headers() -> dict:
    # Sentences depend on Accept-Language: caches must key on it.
    return {"Content-Language": i18n.current(), "Vary": "Accept-Language"}


@contextlib.contextmanager
def request_language(headers):
    """The request's language (its Accept-Language) for the sentences and headers made inside the block."""
    token = i18n.use(i18n.parse_accept_language((headers or {}).get("accept-language")))
    try:
        yield
    finally:
        i18n.reset(token)


# ------------------------------------------------------------------ schemas, resolved on first use
# Routes name their models ("SignupIn", ListOf("stores", "StoreOut")) instead of importing them: building
# the pydantic models (and loading pydantic and email_validator) would otherwise be paid by every cold start,
# even by one that only answers a 401. A model is built the first time a request (or the OpenAPI document)
# needs it; tests/robustness/test_import_lean.py keeps them out of `import app`.
SCHEMAS_PACKAGE = "chalicelib.api.schemas"


@dataclass(frozen=True)
class ListOf:
    """A list response: `{key: [item, ...], "cursor": ...}` (schemas.base.list_schema)."""

    key: str
    item: str


SchemaRef = str | ListOf  # a model's name in chalicelib/api/schemas/, or a list of one


@functools.cache
def schema(ref: SchemaRef):
    """The pydantic model a route names (the schemas are imported, and pydantic with them, on the first call)."""
    schemas = importlib.import_module(SCHEMAS_PACKAGE)
    if isinstance(ref, ListOf):
        return schemas.model("list_schema")(ref.key, schemas.model(ref.item))
    return schemas.model(ref)


def _validation_error():
    from pydantic import ValidationError  # loaded with the first schema; a dict lookup after that

    return ValidationError


@dataclass(frozen=True)
class RequestContext:
    """What a route's handler gets besides its path parameters."""

    # auth=BACK_OFFICE: the employee's (or API token's) Principal; auth=DEVICE: a DevicePrincipal (the slot,
    # `.device`, with its signed-in employee); public routes: None.
    principal: "Principal | DevicePrincipal | None" = None
    body: Any = None  # the route's body model, validated (None for routes without one)
    query: Any = None  # the route's query model, validated (None when the route has none and got none)
    raw_query: dict[str, str] = field(default_factory=dict)  # the query string as sent (for links)
    # The caller's address as API Gateway saw it (requestContext.identity.sourceIp; never a client's header).
    source_ip: str | None = None


class Reply:
    """A handler's result with what its response model needs besides it (pydantic's validation context), e.g.
    `Reply(events, names=names)` for the sentences of the activity log."""

    def __init__(self, value, **context):
        self.value, self.context = value, context


def serialise(ref: SchemaRef | None, result):
    """The response body: the handler's result (a record, a domain object, a dict of them, or a Reply) read by the
    route's response model, which keeps exactly its fields (chalicelib/api/schemas/; what is derived comes from
    chalicelib/api/presenters.py)."""
    value, context = (result.value, result.context) if isinstance(result, Reply) else (result, None)
    if ref is None:
        return value
    return schema(ref).model_validate(value, context=context).model_dump(mode="json")


@dataclass
class Operation:
    """One route of the contract. `body`, `query` and `responses` are the pydantic models (built on first access)."""

    method: str
    path: str
    summary: str
    tag: str
    auth: str | None  # the authenticator's scheme ("user", "device"), None for a public route
    body_ref: SchemaRef | None
    query_ref: SchemaRef | None
    response_refs: dict[int, SchemaRef | None]
    errors: tuple[int, ...]
    handler: Any = None  # the route's own function (its docstring describes it; error_codes reads its calls)
    operation_id: str = ""  # camelCase, unique (default: the handler's name)
    permission: str | None = None  # back-office routes: the key of domain.roles.PERMISSIONS the route needs
    authenticator: "BackOffice | Device | None" = None  # chalicelib/api/auth.py

    @property
    def writes(self) -> bool:
        """The request may change something (what a read-only API token may not do)."""
        return self.method not in SAFE_METHODS

    @property
    def body(self):
        return schema(self.body_ref) if self.body_ref else None

    @property
    def query(self):
        return schema(self.query_ref) if self.query_ref else None

    @property
    def responses(self) -> dict:
        return {status: schema(ref) if ref else None for status, ref in self.response_refs.items()}


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
OPERATIONS: list[Operation] = []
# path -> methods, for the OPTIONS route of each path (CORS preflight, Allow)
_PATH_METHODS: dict[str, list[str]] = {}


def json_response(body, status: int = 200) -> Response:
    return encoded_json_response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status)


def _conditional_json_response(body, status: int, if_none_match: str | None) -> Response:
    """The JSON answer with its ETag (weak: the same JSON in the same language), or 304 when the caller holds it."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(f"{i18n.current()}\n{text}".encode()).hexdigest()[:32]
    tag = f'W/"{digest}"'
    held = {t.strip() for t in (if_none_match or "").split(",")}
    if tag in held or tag[2:] in held:
        return Response(body="", status_code=304, headers={"ETag": tag, "Cache-Control": "no-store"}
                        | _language_headers())
    response = encoded_json_response(text, status)
    response.headers["ETag"] = tag
    return response


def encoded_json_response(text: str, status: int = 200) -> Response:
    """A body already encoded as JSON text (e.g. the cached OpenAPI document)."""
    return Response(body=text, status_code=status, headers=JSON_HEADERS | _language_headers())


def error_response(error: DomainError) -> Response:
    """The one place a DomainError becomes a response: its sentence in the request's language."""
    items = error.items() if isinstance(error, ValidationFailed) else [error.to_dict()]
    headers = JSON_HEADERS | _language_headers()
    if error.status == 429:
        headers["Retry-After"] = str(getattr(error, "retry_after", 900))
    return Response(body=json.dumps({"errors": items}, ensure_ascii=False), status_code=error.status, headers=headers)


# A time zone the server's zone database does not know is well-formed input refused on a rule the schema cannot
# say (the database differs between machines): its own code, as an unknown store has.
_PYDANTIC_CODES = {"extra_forbidden": "UNKNOWN_FIELD", "missing": "REQUIRED", "time_zone": "UNKNOWN_TIME_ZONE"}


def validation_failed(exc, prefix: str = "", union_tag: bool = False) -> DomainError:
    """A pydantic ValidationError -> ValidationFailed (or MalformedJson), in the contract's codes. `union_tag`: the
    model is a tagged union whose tag heads every error's path (not a field of the body: dropped)."""
    items = []
    for err in exc.errors(include_url=False):
        if err["type"] == "json_invalid":
            return MalformedJson(key="MALFORMED_JSON.reason",
                                 params={"reason": str(err.get("ctx", {}).get("error", err["msg"]))})
        loc = err["loc"][1:] if union_tag else err["loc"]
        field = ".".join(str(part) for part in loc) or None
        if prefix and field:
            field = f"{prefix}.{field}"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "Unknown field; remove it."
        key, params = _pydantic_message(err)
        items.append({"code": _PYDANTIC_CODES.get(err["type"], "VALIDATION_ERROR"), "details": message,
                      "field": field or prefix or None, "key": key, "params": params})
    return ValidationFailed(items)


def _pydantic_message(err: dict) -> tuple[str | None, dict]:
    """The catalog key of a pydantic error (`pydantic.<type>`) and its JSON-safe parameters; (None, {})
    for a type the catalog does not know, which then keeps pydantic's English message."""
    key = f"pydantic.{err['type']}"
    if err["type"] == "value_error" and "email" in err["msg"].lower():
        key = "pydantic.value_error.email"
    if not i18n.has(key):
        return None, {}
    params = {name: value if isinstance(value, (int, float)) else str(value)
              for name, value in (err.get("ctx") or {}).items()}
    if err["type"] in ("literal_error", "enum") and "expected" in params:
        params["expected"] = _choice_list(params["expected"])
    return key, params


def _choice_list(expected: str):
    """pydantic's English "'A', 'B' or 'C'" as a message of the catalog ("… lub …" in Polish)."""
    head, sep, last = expected.rpartition(" or ")
    return i18n.ref("list.or", items=head, last=last) if sep else expected


def bearer_token(request) -> str | None:
    header = (request.headers or {}).get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _raw_body(request) -> bytes:
    raw = request.raw_body or b""
    if len(raw) > settings().max_body_bytes:
        raise PayloadTooLarge(key="PAYLOAD_TOO_LARGE.bytes", params={"max": settings().max_body_bytes})
    return raw


def _parse_body(request, ref: SchemaRef):
    raw = _raw_body(request)
    if not raw:  # no body at all reads as {}; whitespace alone is not JSON (400 MALFORMED_JSON, as other non-JSON)
        raw = b"{}"
    model = schema(ref)
    try:
        return model.model_validate_json(raw)
    except _validation_error() as exc:
        raise validation_failed(exc, union_tag=getattr(model, "UNION_TAG_IN_ERRORS", False)) from None


def _reject_body(request) -> None:
    """Routes without a body accept none, or an empty JSON object (many clients send `{}`)."""
    raw = _raw_body(request).strip()
    if raw and raw.replace(b" ", b"") != b"{}":
        raise DomainError(code="UNEXPECTED_BODY")


def _parse_query(request, ref: SchemaRef | None):
    params = dict(request.query_params or {})
    if ref is None and not params:
        return None  # nothing to check: no model (nor pydantic) needed
    model = schema(ref or "NoQuery")  # NoQuery refuses any parameter, in the same error shape
    try:
        return model.model_validate(params)
    except _validation_error() as exc:
        raise validation_failed(exc) from None


# Path parameters become DynamoDB key values (at most 1,024 bytes on DynamoDB; moto takes any length). Every id
# we issue is a UUID and receipt numbers are "<1-9 digits>-<1-9 digits>", so anything else names nothing: 404.
_PATH_PARAMS = {"receipt_number": re.compile(r"[0-9-]{1,21}")}
_PATH_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_PATH_NOT_FOUND_KEYS = {"device_id": "NOT_FOUND.pos_device", "store_id": "NOT_FOUND.store",
                        "employee_id": "NOT_FOUND.employee", "receipt_number": "NOT_FOUND.receipt",
                        "run_id": "NOT_FOUND.audit_run"}


def _check_path(path_params: dict) -> None:
    for name, value in path_params.items():
        if not isinstance(value, str) or not _PATH_PARAMS.get(name, _PATH_ID).fullmatch(value):
            raise NotFound(key=_PATH_NOT_FOUND_KEYS.get(name, "NOT_FOUND"))


def endpoint(bp: Blueprint, path: str, method: str, *, summary: str, auth: "BackOffice | Device | None", tag: str,
             body: SchemaRef | None = None, query: SchemaRef | None = None,
             response: SchemaRef | None = None, status: int = 200, errors: tuple[int, ...] = (),
             operation_id: str | None = None, permission: str | None = None, etag: bool = False):
    """Register a route. The handler gets (RequestContext, **path_params) and returns a dict or None.

    `etag`: the answer carries an ETag (a hash of its body) and a request whose If-None-Match names it gets 304
    with no body - what lets the back office poll a POS list or card every few seconds cheaply.

    `body`, `query` and `response` name models of chalicelib/api/schemas/ (see `schema`).
    `auth` is an authenticator of chalicelib/api/auth.py (BACK_OFFICE, DEVICE, DEVICE_OR_FINAL_SYNC) or None for
    a public route; it checks the token and then the route's `permission` (a key of domain.roles.PERMISSIONS,
    which every back-office route names) before anything is read or written.

    A request runs one pipeline, in the request's language: authenticate and authorize, check the path, parse
    the body and the query, call the handler, serialise its result; a DomainError anywhere is the answer."""
    if auth is None:
        if permission is not None:
            raise ValueError(f"{method} {path}: only back-office routes take a permission")
    else:
        auth.declare(method, path, permission)
        errors = tuple(sorted({*errors, *auth.errors}))

    def decorate(handler):
        op = Operation(method, path, summary, tag, auth.scheme if auth else None, body, query, {status: response},
                       errors, handler, operation_id or _camel(handler.__name__), permission, authenticator=auth)
        OPERATIONS.append(op)

        @bp.route(path, methods=[method], content_types=["application/json", "text/plain"])
        @functools.wraps(handler)
        def route(**path_params):
            request = bp.current_request
            with request_language(request.headers):
                budget = deadline.start(settings().request_budget_seconds)  # the whole request's, under 29 s
                try:
                    result = _run(op, request, path_params, response)
                except DomainError as error:
                    if error.status >= 500:
                        log.warning("%s %s -> %s %s", method, path, error.status, error.code,
                                    extra={"event": "service_error", "error_code": error.code})
                    return error_response(error)
                except Exception:  # a bug: still answer in the contract's shape, log it with its trace, count it
                    # (infra: the metric filter on {"event": "unhandled_error"} feeds ApiUnhandledErrorsAlarm)
                    log.error("unhandled error in %s %s", method, path, exc_info=True,
                              extra={"event": "unhandled_error", "route": path})
                    return error_response(InternalError())
                finally:
                    deadline.end(budget)
                if isinstance(result, Response):
                    return result
                if result is None:
                    return Response(body="", status_code=204)
                if etag:
                    return _conditional_json_response(result, status, (request.headers or {}).get("if-none-match"))
                return json_response(result, status)

        if path not in _PATH_METHODS:
            _PATH_METHODS[path] = []
            bp.route(path, methods=["OPTIONS"], content_types=["application/json", "text/plain"])(
                _preflight_route(path))
        _PATH_METHODS[path].append(method)
        return route

    return decorate


def _run(op: Operation, request, path_params: dict, response: SchemaRef | None):
    """The pipeline of one request, up to the handler's serialised result (or a Response, or None)."""
    principal = _authenticate(op, request)
    _check_path(path_params)
    parsed_body = _parse_body(request, op.body_ref) if op.body_ref is not None else _reject_body(request)
    ctx = RequestContext(principal=principal, body=parsed_body, query=_parse_query(request, op.query_ref),
                         raw_query=dict(request.query_params or {}),
                         source_ip=((request.context or {}).get("identity") or {}).get("sourceIp"))
    result = op.handler(ctx, **path_params)
    if result is not None and not isinstance(result, Response):
        result = serialise(response, result)  # in the request's language, as the sentences must be
    return result


def _authenticate(op: Operation, request):
    """The caller (None on a public route), allowed to use this route: checked before any read or write of it."""
    if op.authenticator is None:
        return None
    principal = op.authenticator.authenticate(bearer_token(request))
    _bind_principal(principal)
    op.authenticator.authorize(principal, op.permission, writes=op.writes)
    return principal


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _bind_principal(principal: "Principal") -> None:
    telemetry.bind(merchant_id=principal.merchant_id, employee_id=principal.employee_id,
                   pos_device_id=principal.pos_device_id)
    if getattr(principal, "api_token_id", None):
        telemetry.bind(api_token_id=principal.api_token_id)


# ------------------------------------------------------------------ CORS (split hosting only)
CORS_ALLOW_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, X-Correlation-Id, If-None-Match"
CORS_EXPOSE_HEADERS = "X-Correlation-Id, Retry-After, Allow, ETag"


def cors_allow_origin() -> str:
    """CORS_ALLOW_ORIGIN: the one origin (scheme://host[:port]) of a back office hosted elsewhere; empty when
    the SPA is served from the API's own origin (the stack's CloudFront), and then no CORS header is sent."""
    return os.environ.get("CORS_ALLOW_ORIGIN", "").strip().rstrip("/")


def _preflight_route(path: str):
    """OPTIONS on every route's path: 204 with Allow (the CORS headers are added by log_requests when the
    request's Origin is the allowed one). No auth: browsers send preflights without credentials."""

    def preflight(**_path_params):
        methods = ", ".join(sorted({*_PATH_METHODS[path], "OPTIONS"}))
        return Response(body="", status_code=204, headers={"Allow": methods, "Cache-Control": "no-store"})

    preflight.__name__ = "preflight_" + re.sub(r"\W", "_", path)
    return preflight


def log_requests(event, get_response):
    """HTTP middleware (outermost): a correlation id per request (the caller's X-Correlation-Id, else API
    Gateway's request id), echoed in the response; one JSON log line per request; the CORS headers."""
    headers = event.headers or {}
    request_id = (event.context or {}).get("requestId")
    correlation = telemetry.correlation_id(headers.get("x-correlation-id"), request_id)
    started = time.perf_counter()
    with telemetry.bound(correlation_id=correlation, request_id=request_id):
        response = get_response(event)
        # The browser security headers on every answer (also when API Gateway is called directly, not through
        # CloudFront, whose /v1/* response headers policy sends the same).
        response.headers = {**security_headers.API_HEADERS, **(response.headers or {}), "X-Correlation-Id": correlation}
        _add_cors_headers(headers.get("origin"), event.method, response)
        log.info("%s %s %s", event.method, event.path, response.status_code, extra={  # never headers or body
            "event": "request", "method": event.method, "path": event.to_original_event().get("path") or event.path,
            "route": event.path, "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    return response


def _add_cors_headers(origin: str | None, method: str, response: Response) -> None:
    allowed = cors_allow_origin()
    if not allowed or not origin or origin.rstrip("/") != allowed:
        return
    extra = {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
             "Access-Control-Expose-Headers": CORS_EXPOSE_HEADERS}
    if method == "OPTIONS":
        extra.update({"Access-Control-Allow-Methods": (response.headers or {}).get("Allow", ""),
                      "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS, "Access-Control-Max-Age": "600"})
    response.headers = {**response.headers, **extra}


def reshape_chalice_errors(event, get_response):
    """HTTP middleware: Chalice answers some requests itself before any route runs (415 for an unsupported
    Content-Type, 405) with {"Code", "Message"}; give those the contract's error shape too."""
    response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and set(response.body) == {"Code", "Message"}:
        code = re.sub(r"(?<!^)(?=[A-Z])", "_", str(response.body["Code"])).upper().removesuffix("_ERROR")
        error = DomainError(str(response.body["Message"]) + ".", code=code, key=code if i18n.has(code) else None)
        error.status = response.status_code
        with request_language(getattr(event, "headers", None)):
            reshaped = error_response(error)
        reshaped.headers = {**(response.headers or {}), **reshaped.headers}
        return reshaped
    return response
