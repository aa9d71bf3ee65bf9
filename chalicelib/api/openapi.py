"""GET /v1/openapi.json, generated from the same schemas that validate requests.

Built on the first request that asks for it (it needs every model, so pydantic), then served from memory."""
import functools
import json

from chalice import Blueprint

from chalicelib.api.http import OPERATIONS, encoded_json_response, schema

bp = Blueprint(__name__)
REF = "#/components/schemas/{model}"
# What the shared endpoint wrapper can answer on any operation: 400 (bad body/query), 413 (body over the
# limit, also on body-less routes), 415 (a Content-Type other than JSON) and 503 (DynamoDB still failing
# after botocore's retries: every operation reads or writes it).
COMMON_ERRORS = {400, 413, 415, 503}


def _schema(model, components: dict, mode: str) -> dict:
    schema = model.model_json_schema(ref_template=REF, mode=mode)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _query_parameters(model, components: dict) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF, mode="validation")
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()]


def build_document() -> dict:
    components: dict = {}
    paths: dict = {}
    error_ref = _schema(schema("ErrorOut"), components, "serialization")
    for op in OPERATIONS:
        parameters = [{"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                      for part in op.path.split("/") if part.startswith("{")]
        if op.query:
            parameters += _query_parameters(op.query, components)
        operation: dict = {"summary": op.summary, "tags": [op.tag], "operationId": f"{op.method.lower()}_{op.path}",
                           "parameters": parameters, "responses": {}}
        if op.auth:
            operation["security"] = [{"userToken": []}] if op.auth == "user" else [{"deviceToken": []}]
        if op.body:
            # An empty body is read as {}: it may be left out when no field is required (a sync with nothing).
            required = any(field.is_required() for field in op.body.model_fields.values())
            operation["requestBody"] = {"required": required, "content": {
                "application/json": {"schema": _schema(op.body, components, "validation")}}}
        for status, model in op.responses.items():
            entry = {"description": "OK"}
            if model is not None and status != 204:
                entry["content"] = {"application/json": {"schema": _schema(model, components, "serialization")}}
            operation["responses"][str(status)] = entry
        for status in sorted(set(op.errors) | COMMON_ERRORS | ({401} if op.auth else set())):
            operation["responses"][str(status)] = {"description": "Error", "content": {
                "application/json": {"schema": error_ref}}}
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "POS device back office", "version": "1.0.0"},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "userToken": {"type": "http", "scheme": "bearer", "description": "Back-office user token"},
            "deviceToken": {"type": "http", "scheme": "bearer", "description": "POS device token"},
        }},
    }


@functools.cache
def document_json() -> str:
    """The document as served: built once per process (the routes are all registered at import)."""
    return json.dumps(build_document(), ensure_ascii=False, separators=(",", ":"))


@bp.route("/v1/openapi.json", methods=["GET"])
def openapi_document():
    return encoded_json_response(document_json())
