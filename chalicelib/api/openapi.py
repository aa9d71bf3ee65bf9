"""GET /v1/openapi.json, generated from the same schemas that validate requests (OpenAPI 3.1: pydantic 2 writes
JSON Schema 2020-12, which 3.1 uses as it is).

Built on the first request that asks for it (it needs every model, so pydantic), then served from memory.
The error codes of each operation come from the code that raises them (chalicelib/api/error_codes.py)."""
import functools
import json
from pathlib import Path

from chalice import Blueprint

from chalicelib.api import error_codes
from chalicelib.api.http import OPERATIONS, encoded_json_response, schema
from chalicelib.config import settings

bp = Blueprint(__name__)
REF = "#/components/schemas/{model}"
# What the shared endpoint wrapper can answer on any operation: 400 (bad body/query), 413 (body over the
# limit, also on body-less routes), 415 (a Content-Type other than JSON) and 503 (DynamoDB still failing
# after botocore's retries: every operation reads or writes it).
COMMON_ERRORS = {400, 413, 415, 503}
# 400 codes that refuse the request's shape; any other 400 code refuses well-formed input on the merchant's state
# or on a rule the schema cannot say (an unknown store, a foreign cursor, ...): x-state-codes lists those.
SHAPE_CODES = {"VALIDATION_ERROR", "REQUIRED", "UNKNOWN_FIELD", "MALFORMED_JSON", "UNEXPECTED_BODY"}
# One example per operation, from a real run of the main story (scripts/openapi_examples.py regenerates it).
EXAMPLES_FILE = Path(__file__).with_name("openapi_examples.json")
# Models a body refers to by name only (SyncIn's receipts, SwitchUserIn's oneOf).
EXTRA_MODELS = ("ReceiptIn", "SwitchByPassword", "SwitchByPin")

# The project publishes no licence (no LICENSE file): the document says so instead of inventing terms; the owner
# replaces this with the real licence (an SPDX identifier) once there is one.
LICENSE = {"name": "Proprietary: no licence has been published for this API", "identifier": "LicenseRef-Proprietary"}

TAGS = [
    {"name": "accounts", "description": "Sign-up and back-office login: a merchant, its OWNER and a user token."},
    {"name": "stores", "description": "A merchant's stores; POS devices and employees belong to stores."},
    {"name": "employees", "description": "People who use the back office (OWNER, MANAGER) or the POS (all roles)."},
    {"name": "pos_devices", "description": "POS slots in the back office: create, rename, move, pairing codes, "
                                           "deactivate (with a final-sync window) and the safe deletion."},
    {"name": "pos", "description": "The POS app's side: log in, activate a slot (or pair), switch the signed-in "
                                   "employee, sync receipts and shifts, read its own slot. Uses a device token."},
    {"name": "receipts", "description": "Receipts the POS devices synced: search, one by number, CSV export."},
    {"name": "shifts", "description": "Cash shifts the POS devices opened and closed."},
    {"name": "audit", "description": "What the audit noticed (missing receipts, silent devices, long shifts)."},
    {"name": "events", "description": "The activity log, as data and as sentences."},
    {"name": "integrations", "description": "API access tokens and signed webhooks (OWNER or ADMINISTRATOR)."},
    {"name": "meta", "description": "This document."},
]

ERROR_DESCRIPTIONS = {400: "Bad request", 401: "Not authenticated", 403: "Not allowed", 404: "Not found",
                      409: "Conflict with the current state", 413: "Too large", 415: "Unsupported Content-Type",
                      429: "Too many failed attempts", 500: "Unexpected error (logged)",
                      503: "Storage briefly unavailable; nothing was written, retry"}
SUCCESS_DESCRIPTIONS = {200: "OK", 201: "Created", 202: "Accepted: the work goes on in the background",
                        204: "Done, no content"}

PAGINATION = (
    "Pagination: a listing answers at most `limit` items and a `cursor`. The cursor is opaque and bound to the "
    "listing (and filters) that issued it; pass it back as `cursor` for the next page. It is null on the last page. "
    "A cursor that listing did not issue (another listing's, changed, or made up) is refused with 400 "
    "INVALID_CURSOR: start again without it.")

HEADERS = {
    "X-Correlation-Id": {"description": "The request's correlation id: the caller's X-Correlation-Id, else one the "
                                        "server made. Quote it when reporting a problem.",
                         "schema": {"type": "string"}},
    "Content-Language": {"description": "The language of the sentences (`details`, `text`): en or pl, chosen from "
                                        "Accept-Language.", "schema": {"type": "string", "enum": ["en", "pl"]}},
    "Retry-After": {"description": "Seconds until attempts are counted afresh.",
                    "schema": {"type": "integer", "minimum": 0}},
    "Allow": {"description": "The methods this path has.", "schema": {"type": "string"}},
    "X-Next-Cursor": {"description": "The next part's cursor (absent on the last part).",
                      "schema": {"type": "string"}},
    "Link": {"description": "`<?…&cursor=…>; rel=\"next\"` when there is a next part.",
             "schema": {"type": "string"}},
}
PARAMETERS = {
    "AcceptLanguage": {"name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"},
                       "description": "en (default) or pl: the language of the sentences; Content-Language says "
                                      "which one was used.", "example": "pl"},
    "CorrelationId": {"name": "X-Correlation-Id", "in": "header", "required": False,
                      "schema": {"type": "string"},
                      "description": "Your id for this request: echoed in the response and in the server's logs."},
}


def _walk_refs(node):
    """{"x-ref": name, ...} (written by the schemas' named_enum for the schemas pydantic cannot refer to) -> a $ref."""
    if isinstance(node, dict):
        if "x-ref" in node:
            name = node.pop("x-ref")
            node["$ref"] = REF.format(model=name)
        for value in node.values():
            _walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            _walk_refs(value)


def _allows_null(prop: dict) -> bool:
    if prop.get("type") == "null" or (isinstance(prop.get("type"), list) and "null" in prop["type"]):
        return True
    return any(_allows_null(choice) for choice in prop.get("anyOf", []) + prop.get("oneOf", []))


def _drop_null_defaults(component: dict) -> None:
    """`name: Name = None` means "may be left out", not "may be null": no default null on a non-nullable field."""
    for prop in component.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and not _allows_null(prop):
            del prop["default"]


def _schema(model, components: dict, mode: str) -> dict:
    one_of = getattr(model, "OPENAPI_ONE_OF", None)
    if one_of:
        return {"oneOf": [_schema(schema(name), components, mode) for name in one_of]}
    generated = model.model_json_schema(ref_template=REF, mode=mode)
    components.update(generated.pop("$defs", {}))
    components[model.__name__] = generated
    return {"$ref": REF.format(model=model.__name__)}


def _query_parameters(op, components: dict) -> list[dict]:
    generated = op.query.model_json_schema(ref_template=REF, mode="validation")
    components.update(generated.pop("$defs", {}))
    required = set(generated.get("required", []))
    parameters = []
    for name, prop in generated.get("properties", {}).items():
        if name == "cursor":
            parameters.append({"$ref": "#/components/parameters/Cursor"})
            continue
        if name == "limit" and prop.get("maximum") == 250:
            parameters.append({"$ref": "#/components/parameters/Limit"})
            continue
        if prop.get("default", 0) is None:
            del prop["default"]
        choices = [choice for choice in prop.get("anyOf", []) if choice != {"type": "null"}]
        if len(choices) == 1:  # a query parameter is left out, never null
            del prop["anyOf"]
            prop = choices[0] | prop
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if "description" in prop:
            parameter["description"] = prop["description"]
        parameters.append(parameter)
    return parameters


def _path_parameters(path: str) -> list[dict]:
    parameters = []
    for part in path.split("/"):
        if not part.startswith("{"):
            continue
        name = part[1:-1]
        if name == "receipt_number":
            prop = {"type": "string", "pattern": "^[0-9]{1,9}-[0-9]{1,9}$",
                    "description": "`{device number}-{seq}`, e.g. 2-17", "examples": ["2-17"]}
        else:
            prop = {"type": "string", "format": "uuid", "description": "An id the API issued (a UUID)",
                    "examples": ["3f1c2a9e-5b7d-4c1e-9a2f-0d6b8e4c7a11"]}
        parameters.append({"name": name, "in": "path", "required": True, "schema": prop,
                           "description": prop["description"]})
    return parameters


def _codes(op) -> dict[int, list[str]]:
    """status -> the error codes this operation can answer with it (chalicelib/api/error_codes.py)."""
    paged = op.query is not None and "cursor" in op.query.model_fields
    found = set(error_codes.raised_by(op.handler)) if op.handler else set()
    if not paged:  # the storage pages internally too; a client can only send a cursor to a listing
        found.discard((400, "INVALID_CURSOR"))
    found |= error_codes.wrapper_codes(authenticator=op.authenticator, has_body=op.body is not None, paged=paged,
                                       has_path="{" in op.path)
    found.add((415, "UNSUPPORTED_MEDIA_TYPE"))
    by_status: dict[int, set[str]] = {}
    for status, code in found:
        by_status.setdefault(status, set()).add(code)
    return {status: sorted(codes) for status, codes in sorted(by_status.items())}


def _error_response(status: int, codes: list[str]) -> dict:
    state = [code for code in codes if code not in SHAPE_CODES] if status == 400 else []
    description = f"{ERROR_DESCRIPTIONS.get(status, 'Error')}. Codes: {', '.join(codes)}."
    if state:
        description += (f" Of these, {', '.join(state)} refuse well-formed input (the merchant's data or a rule the "
                        "schema cannot express).")
    headers = {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"},
               "Content-Language": {"$ref": "#/components/headers/Content-Language"}}
    if status == 429:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    entry = {"description": description, "headers": headers, "content": {"application/json": {
        "schema": {"$ref": REF.format(model="ErrorOut")}}}, "x-error-codes": codes}
    if state:
        entry["x-state-codes"] = state
    return entry


def _description(op) -> str:
    text = (op.handler.__doc__ or "").strip() if op.handler else ""
    # The summary is shown above the description already: the handler's docstring says the rest.
    parts = [" ".join(line.strip() for line in text.splitlines()) if text else op.summary]
    parts.append({"user": "Needs a back-office user token (POST /v1/auth/login).",
                  "device": "Needs the POS device token (POST /v1/pos/activate or /v1/pos/pair)."}.get(
        op.auth, "Public: no token."))
    if op.query is not None and "cursor" in op.query.model_fields:
        parts.append("Paged: see components.parameters.Cursor.")
    return "\n\n".join(parts)


def _add_example(operation: dict, example: dict) -> None:
    """The request body it was sent, else the answer it gave, else the path parameters it was called with."""
    if "request" in example:
        operation["requestBody"]["content"]["application/json"]["example"] = example["request"]
    elif "response" in example:
        status = next(code for code in operation["responses"] if code.startswith("2"))
        media = next(iter(operation["responses"][status]["content"].values()))
        media["example"] = example["response"]
    for parameter in operation["parameters"]:
        if parameter.get("in") == "path" and parameter["name"] in example.get("parameters", {}):
            parameter["example"] = example["parameters"][parameter["name"]]


def _operation(op, components: dict, examples: dict) -> dict:
    parameters = _path_parameters(op.path)
    if op.query:
        parameters += _query_parameters(op, components)
    parameters += [{"$ref": "#/components/parameters/AcceptLanguage"},
                   {"$ref": "#/components/parameters/CorrelationId"}]
    codes = _codes(op)
    operation: dict = {"operationId": op.operation_id, "summary": op.summary, "description": _description(op),
                       "tags": [op.tag], "parameters": parameters, "responses": {}}
    operation["security"] = ([{"userToken": []}] if op.auth == "user" else [{"deviceToken": []}]) if op.auth else []
    if op.body:
        # An empty body is read as {}: it may be left out when no field is required (a sync with nothing).
        # Not so when it must hold something: a required field, at least one property, one of several shapes.
        required = (any(field.is_required() for field in op.body.model_fields.values())
                    or bool(getattr(op.body, "OPENAPI_ONE_OF", None))
                    or bool((op.body.model_config.get("json_schema_extra") or {}).get("minProperties")))
        media = {"schema": _schema(op.body, components, "validation")}
        operation["requestBody"] = {"required": required, "content": {"application/json": media}}
    for status, model in op.responses.items():
        entry: dict = {"description": SUCCESS_DESCRIPTIONS.get(status, "OK"),
                       "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}}}
        if model is not None and status != 204:
            entry["headers"]["Content-Language"] = {"$ref": "#/components/headers/Content-Language"}
            entry["content"] = {"application/json": {"schema": _schema(model, components, "serialization")}}
        operation["responses"][str(status)] = entry
    if op.operation_id == "exportReceipts":
        operation["responses"]["200"] = {
            "description": "The receipts as CSV (UTF-8; the first part starts with a BOM and a header row in the "
                           "request's language).",
            "headers": {name: {"$ref": f"#/components/headers/{name}"}
                        for name in ("X-Correlation-Id", "X-Next-Cursor", "Link")},
            "content": {"text/csv": {"schema": {"type": "string"}}}}
    for status in sorted(set(codes) | set(op.errors) | COMMON_ERRORS | ({401} if op.auth else set())):
        operation["responses"][str(status)] = _error_response(status, codes.get(status, []))
    operation["responses"]["405"] = {"$ref": "#/components/responses/MethodNotAllowed"}
    if op.operation_id in examples:
        _add_example(operation, examples[op.operation_id])
    return operation


def _add_links(paths: dict) -> None:
    """OpenAPI links from a create (201 at /v1/things) to what takes its id (/v1/things/{thing_id}...)."""
    operations = [(path, method, op) for path, item in paths.items() for method, op in item.items()]
    for path, method, op in operations:
        created = op["responses"].get("201")
        if method != "post" or not created or "{" in path:
            continue
        links = {}
        for other_path, _other_method, other in operations:
            prefix, _, rest = other_path.partition(path + "/{")
            if prefix or not rest:
                continue
            parameter = rest.split("}", 1)[0]
            name = other["operationId"][0].upper() + other["operationId"][1:]
            links[name] = {"operationId": other["operationId"], "parameters": {parameter: "$response.body#/id"},
                           "description": f"{other['summary']}, for the one just created"}
        if links:
            created["links"] = links


def build_document() -> dict:
    components: dict = {}
    paths: dict = {}
    _schema(schema("ErrorOut"), components, "serialization")
    examples = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, components, examples)
    for name in EXTRA_MODELS:
        _schema(schema(name), components, "validation")
    components.update(schema("NAMED_SCHEMAS"))
    paths["/v1/openapi.json"] = {"get": {
        "operationId": "getOpenApiDocument", "summary": "This document", "tags": ["meta"], "security": [],
        "description": "The OpenAPI 3.1 document of this API, generated from the schemas that validate requests.",
        "parameters": [{"$ref": "#/components/parameters/CorrelationId"}],
        "responses": {"200": {"description": "OK", "headers": {
            "X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
            "content": {"application/json": {"schema": {"type": "object"}}}},
            "405": {"$ref": "#/components/responses/MethodNotAllowed"}}}}
    _add_links(paths)
    _walk_refs(components)
    _walk_refs(paths)
    for component in components.values():
        _drop_null_defaults(component)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {"title": "POS device back office", "version": "1.0.0",
                 "description": "The back office of POS devices (stores, employees, POS slots and their safe "
                                "deletion, receipts, shifts, audit) and the API the POS app uses.\n\n"
                                "Errors always have the shape {\"errors\": [{code, details, field}]}; `details` is a "
                                "sentence in the Accept-Language language; each response lists its codes "
                                "(x-error-codes).\n\n" + PAGINATION,
                 "license": LICENSE},
        "servers": [{"url": "/", "description": "The API's own origin (the back office is served from it too)"}],
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "userToken": {"type": "http", "scheme": "bearer", "description": "Back-office user token"},
                "deviceToken": {"type": "http", "scheme": "bearer", "description": "POS device token"}},
            "headers": HEADERS,
            "parameters": PARAMETERS | {
                "Cursor": {"name": "cursor", "in": "query", "required": False, "description": PAGINATION,
                           "schema": {"type": "string", "maxLength": 2000}},
                "Limit": {"name": "limit", "in": "query", "required": False,
                          "description": "Items per page, 1 to 250 (default 50).",
                          "schema": {"type": "integer", "minimum": 1, "maximum": 250, "default": 50}}},
            "responses": {"MethodNotAllowed": {
                "description": "The path exists, not with this method: Allow lists its methods (405 "
                               "METHOD_NOT_ALLOWED).",
                "headers": {"Allow": {"$ref": "#/components/headers/Allow"},
                            "X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
                "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorOut")}}}}},
        },
    }


# How long a deletion may wait for a POS's late sync (POS_SYNC_WAIT_SECONDS x POS_SYNC_WAIT_ATTEMPTS), published on
# the DELETE operation so that the back office says it before a deletion starts (web/limits.js reads it).
SYNC_WAIT_EXTENSION = "x-sync-wait-seconds"
DELETE_DEVICE = ("/v1/pos_devices/{device_id}", "delete")


@functools.cache
def _document() -> dict:
    """Built once per process (the routes are all registered at import); never changed after."""
    return build_document()


@functools.lru_cache(maxsize=4)
def document_json(sync_wait_seconds: int) -> str:
    """The document as served: the built one with the configured sync wait on the deletion (shallow copies, the
    cached document stays as built)."""
    document = _document()
    path, method = DELETE_DEVICE
    item = document["paths"][path]
    operation = item[method] | {SYNC_WAIT_EXTENSION: sync_wait_seconds}
    paths = document["paths"] | {path: item | {method: operation}}
    return json.dumps(document | {"paths": paths}, ensure_ascii=False, separators=(",", ":"))


@bp.route("/v1/openapi.json", methods=["GET"])
def openapi_document():
    cfg = settings()  # read at serve time: the value follows the configuration the deletions run with
    return encoded_json_response(document_json(cfg.sync_wait_seconds * cfg.sync_wait_attempts))
