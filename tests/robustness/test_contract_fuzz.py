"""Issue 8.1: every operation of /v1/openapi.json fuzzed with schemathesis, through the real app.

The app is called in process through Chalice's own API Gateway emulation (tests/robustness/harness.py
ChaliceWSGI), so requests go through routing, auth, validation, the services and moto's DynamoDB.
Each operation runs in a fresh AWS with a populated merchant:

* positive mode: schema-valid requests, with real ids (stores, devices, employees, receipts, a POS login
  token) swapped in for a share of them so that the 2xx paths are exercised, not only 404s;
* negative mode (operations with a body or query): schema-violating requests, which must be refused.

Checks on every response: no 5xx, status code documented, content type documented, body valid against
the documented schema, headers conform, invalid data rejected (negative), valid data accepted (positive),
and auth enforced (a request that succeeded with a token is repeated without one and with a bogus one: it
must answer 401).

Two readings of schemathesis' checks, both taken from the document itself:
* valid data accepted: a 400 whose every code the document lists as refusing well-formed input for that
  operation (`x-state-codes`: an unknown store, a foreign cursor, role OWNER ...) is the documented answer,
  not a refusal of valid data; a 400 for the request's shape (VALIDATION_ERROR, REQUIRED ...) still fails;
* invalid data rejected: 413 is a rejection too (a batch over its maxItems); a sync's receipts are refused
  one by one in the 200 answer (`rejected`, as SyncIn.receipts documents), so a 200 whose `rejected` or
  `rejected_shifts` is not empty counts as refusing them.

FUZZ_EXAMPLES (default 20) sets examples per operation and mode; scripts/fuzz_full.sh runs a larger run.
"""
import os
import random

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as openapi_checks

from app import app as chalice_app
from chalicelib.api.http import OPERATIONS
from tests.robustness.harness import ChaliceWSGI, settle_deletions

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
WSGI = ChaliceWSGI(chalice_app)
# The document as the app serves it (no AWS needed to serve it).
REJECTIONS = ["400", "401", "403", "404", "405", "409", "413", "415", "422", "429"]
SCHEMA = schemathesis.openapi.from_wsgi("/v1/openapi.json", WSGI, config=SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}))


def _error_codes(response) -> set:
    try:
        return {item["code"] for item in response.json()["errors"]}
    except (ValueError, KeyError, TypeError):
        return set()


def positive_data_acceptance(ctx, response, case):
    documented = case.operation.definition.raw["responses"].get("400", {}).get("x-state-codes", [])
    codes = _error_codes(response)
    if response.status_code == 400 and codes and codes <= set(documented):
        return None  # the documented refusal of well-formed input on the merchant's data (see the module's doc)
    return openapi_checks.positive_data_acceptance(ctx, response, case)


def negative_data_rejection(ctx, response, case):
    if response.status_code == 200 and case.operation.path == "/v1/pos/sync":
        body = response.json()
        if body["rejected"] or body["rejected_shifts"]:
            return None  # refused in the answer, one by one (SyncIn.receipts)
    return openapi_checks.negative_data_rejection(ctx, response, case)


CHECKS = [not_a_server_error, openapi_checks.status_code_conformance, openapi_checks.content_type_conformance,
          openapi_checks.response_schema_conformance, openapi_checks.response_headers_conformance,
          negative_data_rejection, positive_data_acceptance, openapi_checks.ignored_auth]
FIGURES = {"requests": 0, "by_status": {}}


@pytest.fixture(scope="module", autouse=True)
def _figures():
    """Prints how much was fuzzed once the module is done (visible with -s)."""
    yield
    print(f"\n[fuzz] {FIGURES['requests']} requests, statuses {dict(sorted(FIGURES['by_status'].items()))}")


def _settings(examples):
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck))


def _real_values(world):
    """Values that reach existing objects, per parameter name."""
    return {
        "store_id": lambda: random.choice([world.store["id"], world.empty_store["id"]]),
        "device_id": lambda: random.choice([world.device["id"], world.idle_device["id"]]),
        "pos_device_id": lambda: random.choice([world.idle_device["id"], world.device["id"]]),
        "employee_id": lambda: random.choice([world.cashier["id"], world.manager["id"]]),
        "receipt_number": lambda: random.choice(world.receipt_numbers),
        "login_token": world.login_token,
        "email": lambda: random.choice([world.owner.email, world.manager["email"], world.cashier["email"]]),
        "password": lambda: world.owner.password,
        "pin": lambda: random.choice(["1111", "2222"]),
    }


def _with_real_values(case, world, rng):
    values = _real_values(world)
    random.seed(rng.random())
    for name in list(case.path_parameters or {}):
        if name in values:
            case.path_parameters[name] = values[name]()
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in values and rng.random() < 0.8:
                case.body[name] = values[name]()
    if case.query:
        for name in list(case.query):
            if name in values and rng.random() < 0.8:
                case.query[name] = values[name]()


def _token(world, operation):
    security = operation.definition.raw.get("security")
    if not security:
        return None
    if operation.path == "/v1/auth/logout":  # a session of its own: it ends the caller's
        status, body = world.api.post("/v1/auth/login", {"email": world.owner.email, "password": world.owner.password})
        assert status == 200, body
        return body["token"]
    return world.owner.token if "userToken" in security[0] else world.device_token


def _negatable(operation) -> bool:
    return "requestBody" in operation.definition.raw or any(True for _ in operation.query)


def _run(operation, world, mode: GenerationMode, examples: int):
    token = _token(world, operation)
    fixed = {"Authorization": f"Bearer {token}"} if token else None
    rng = random.Random(0)

    @_settings(examples)
    @given(case=operation.as_strategy(generation_mode=mode, headers=fixed), use_real=st.booleans())
    def fuzz(case, use_real):
        if use_real and mode is GenerationMode.POSITIVE:
            _with_real_values(case, world, rng)
        response = case.call(app=WSGI)
        FIGURES["requests"] += 1
        FIGURES["by_status"][response.status_code] = FIGURES["by_status"].get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=fixed, transport_kwargs={"app": WSGI})

    fuzz()


@pytest.mark.parametrize("label", [f"{op.method} {op.path}" for op in OPERATIONS] + ["GET /v1/openapi.json"])
def test_operation_keeps_its_contract(label, world):
    method, path = label.split(" ", 1)
    operation = SCHEMA[path][method]
    _run(operation, world, GenerationMode.POSITIVE, EXAMPLES)
    if _negatable(operation):
        _run(operation, world, GenerationMode.NEGATIVE, max(5, EXAMPLES // 2))
    settle_deletions(world.api, world.owner.token)


def test_document_covers_every_route():
    """The fuzzing above is only as wide as the document: every route of the app must be in it."""
    documented = {(method.upper(), path) for path, item in SCHEMA.raw_schema["paths"].items() for method in item}
    # OPTIONS (every path's CORS preflight, tests/functional/test_telemetry.py) is plumbing, not an operation.
    routes = {(method, path) for path, entry in chalice_app.routes.items() for method in entry
              if method != "OPTIONS"}
    assert routes == documented
    assert len(documented) == len(OPERATIONS) + 1 >= 30  # and the document itself
