"""One way to declare an endpoint: body and query validation, auth, DomainError -> response, OpenAPI.

Chalice turns an exception escaping a route into a bare 500 before middleware can see it, so every
route is wrapped here and errors are mapped in this one place.
"""
import functools
import json
import logging
import re
from dataclasses import dataclass

from chalice import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib import i18n
from chalicelib.api.schemas import NoQuery
from chalicelib.config import settings
from chalicelib.errors import DomainError, InternalError, MalformedJson, PayloadTooLarge, ValidationFailed
from chalicelib.services.accounts import authenticate_user
from chalicelib.services.devices import authenticate_device

log = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _language_headers() -> dict:
    # Sentences depend on Accept-Language: caches must key on it.
    return {"Content-Language": i18n.current(), "Vary": "Accept-Language"}


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    auth: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: dict[int, type[BaseModel] | None]
    errors: tuple[int, ...]


OPERATIONS: list[Operation] = []


def json_response(body, status: int = 200) -> Response:
    return Response(body=json.dumps(body, ensure_ascii=False, separators=(",", ":")), status_code=status,
                    headers=JSON_HEADERS | _language_headers())


def error_response(error: DomainError) -> Response:
    """The one place a DomainError becomes a response: its sentence in the request's language."""
    items = error.items() if isinstance(error, ValidationFailed) else [error.to_dict()]
    headers = JSON_HEADERS | _language_headers()
    if error.status == 429:
        headers["Retry-After"] = "900"
    return Response(body=json.dumps({"errors": items}, ensure_ascii=False), status_code=error.status, headers=headers)


_PYDANTIC_CODES = {"extra_forbidden": "UNKNOWN_FIELD", "missing": "REQUIRED"}


def validation_failed(exc: ValidationError, prefix: str = "") -> DomainError:
    items = []
    for err in exc.errors(include_url=False):
        if err["type"] == "json_invalid":
            return MalformedJson(key="MALFORMED_JSON.reason",
                                 params={"reason": str(err.get("ctx", {}).get("error", err["msg"]))})
        field = ".".join(str(part) for part in err["loc"]) or None
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
    return key, {name: value if isinstance(value, (int, float)) else str(value)
                 for name, value in (err.get("ctx") or {}).items()}


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


def _parse_body(request, schema: type[BaseModel]) -> BaseModel:
    raw = _raw_body(request)
    if not raw.strip():
        raw = b"{}"
    try:
        return schema.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_failed(exc) from None


def _reject_body(request) -> None:
    """Routes without a body accept none, or an empty JSON object (many clients send `{}`)."""
    raw = _raw_body(request).strip()
    if raw and raw.replace(b" ", b"") != b"{}":
        raise DomainError(code="UNEXPECTED_BODY")


def _parse_query(request, schema: type[BaseModel]) -> BaseModel:
    params = dict(request.query_params or {})
    try:
        return schema.model_validate(params)
    except ValidationError as exc:
        raise validation_failed(exc) from None


def endpoint(bp: Blueprint, path: str, method: str, *, summary: str, auth: str | None, tag: str,
             body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             response: type[BaseModel] | None = None, status: int = 200, errors: tuple[int, ...] = ()):
    """Register a route. The handler gets (request_context, **path_params) and returns a dict or None.

    `auth` names an authenticator in AUTHENTICATORS ("user", "device") or None for public routes."""

    def decorate(handler):
        OPERATIONS.append(Operation(method, path, summary, tag, auth, body, query, {status: response}, errors))

        @bp.route(path, methods=[method], content_types=["application/json", "text/plain"])
        @functools.wraps(handler)
        def route(**path_params):
            request = bp.current_request
            language = i18n.use(i18n.parse_accept_language((request.headers or {}).get("accept-language")))
            try:
                ctx = {}
                if auth:
                    ctx["principal"] = AUTHENTICATORS[auth](bearer_token(request))
                if body is not None:
                    ctx["body"] = _parse_body(request, body)
                else:
                    _reject_body(request)
                ctx["query"] = _parse_query(request, query or NoQuery)
                ctx["raw_query"] = dict(request.query_params or {})
                result = handler(ctx, **path_params)
            except DomainError as error:
                if error.status >= 500:
                    log.warning("%s %s -> %s %s", method, path, error.status, error.code)
                return error_response(error)
            except Exception:  # a bug: still answer in the contract's shape, and log it with its trace
                log.exception("unhandled error in %s %s", method, path)
                return error_response(InternalError())
            finally:
                i18n.reset(language)
            if isinstance(result, Response):
                return result
            if result is None:
                return Response(body="", status_code=204)
            language = i18n.use(i18n.parse_accept_language((request.headers or {}).get("accept-language")))
            try:
                return json_response(result, status)
            finally:
                i18n.reset(language)

        return route

    return decorate


AUTHENTICATORS = {"user": authenticate_user, "device": authenticate_device}


def reshape_chalice_errors(event, get_response):
    """HTTP middleware: Chalice answers some requests itself before any route runs (415 for an unsupported
    Content-Type, 405) with {"Code", "Message"}; give those the contract's error shape too."""
    response = get_response(event)
    if response.status_code >= 400 and isinstance(response.body, dict) and set(response.body) == {"Code", "Message"}:
        code = re.sub(r"(?<!^)(?=[A-Z])", "_", str(response.body["Code"])).upper().removesuffix("_ERROR")
        error = DomainError(str(response.body["Message"]) + ".", code=code, key=code if i18n.has(code) else None)
        error.status = response.status_code
        language = i18n.use(i18n.parse_accept_language((getattr(event, "headers", None) or {}).get("accept-language")))
        try:
            reshaped = error_response(error)
        finally:
            i18n.reset(language)
        reshaped.headers = {**(response.headers or {}), **reshaped.headers}
        return reshaped
    return response
