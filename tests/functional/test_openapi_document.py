"""Issue 28: GET /v1/openapi.json is a valid OpenAPI 3.1 document an integrator can build on, and the server
answers what it says (the fuzzing of every operation is tests/robustness/test_contract_fuzz.py)."""
import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.conftest import receipt

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def doc(client):
    status, document = client.get("/v1/openapi.json")
    assert status == 200
    return document


def _operations(doc):
    return {op["operationId"]: (method, path, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS}


def _component(doc, ref: str) -> dict:
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_the_served_document_is_valid_openapi_3_1(doc):
    validate(doc)  # openapi-spec-validator: raises on any error
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"]
    assert doc["info"]["license"]["name"]
    assert all(tag.get("description") for tag in doc["tags"])
    assert {op["tags"][0] for _, _, op in _operations(doc).values()} <= {tag["name"] for tag in doc["tags"]}


def test_the_validator_refuses_what_the_document_used_to_be(doc):
    """The check above can fail: the old label (3.0.3, with 3.1's {"type": "null"}) is refused."""
    with pytest.raises(OpenAPIValidationError):
        validate(doc | {"openapi": "3.0.3"})


def test_operation_ids_are_unique_readable_camel_case(doc):
    ids = [op["operationId"] for item in doc["paths"].values() for method, op in item.items() if method in METHODS]
    assert len(ids) == len(set(ids)) >= 30
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", name) for name in ids), ids
    assert {"deactivatePosDevice", "listReceipts", "syncPosDevice", "exportReceipts"} <= set(ids)


def test_every_operation_has_a_description_security_and_its_error_codes(doc):
    for name, (method, path, op) in _operations(doc).items():
        assert op["summary"], name
        assert op["description"], name
        assert "security" in op, name  # [] on the public ones: no token
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")) and "$ref" not in response:
                assert response["x-error-codes"], (name, status)
                assert "X-Correlation-Id" in response["headers"], (name, status)
        assert op["responses"]["405"] == {"$ref": "#/components/responses/MethodNotAllowed"}
    public = {name for name, (_, _, op) in _operations(doc).items() if op["security"] == []}
    assert public == {"signup", "login", "posLogin", "activatePosDevice", "pairPosDevice", "getOpenApiDocument",
                      "acceptInvitation"}


def test_error_codes_come_from_the_code_that_raises_them(doc):
    """The lists are read from the route's calls (chalicelib/api/error_codes.py), not typed in: codes raised
    deep in services, domain and storage show up on the operations that reach them, and only there."""
    ops = _operations(doc)

    def codes(name, status):
        return set(ops[name][2]["responses"][str(status)]["x-error-codes"])

    assert {"NAME_TAKEN", "STILL_ACTIVATED"} <= codes("updatePosDevice", 409)  # storage refusal, domain rule
    assert "EMAIL_TAKEN" in codes("signup", 409)
    assert {"EMAIL_TAKEN", "PIN_TAKEN"} <= codes("createEmployee", 409)
    assert {"UNKNOWN_STORE", "REQUIRED"} <= codes("updatePosDevice", 400)
    assert "UNKNOWN_STORE" in ops["updatePosDevice"][2]["responses"]["400"]["x-state-codes"]
    assert {"NO_DELETION", "NOT_FOUND"} <= codes("getPosDeviceDeletion", 404)
    assert "NO_DELETION" not in codes("getPosDevice", 404)
    assert "LAST_RECEIPT_NUMBER_OUT_OF_RANGE" in codes("syncPosDevice", 400)
    assert "BATCH_TOO_LARGE" in codes("syncPosDevice", 413)
    assert "ONE_OWNER" in codes("createEmployee", 400)
    assert "OWNER_ROLE_FIXED" in codes("updateEmployee", 409)
    assert {"DEVICE_DEACTIVATED", "DEVICE_DELETED"} <= codes("syncPosDevice", 401)
    assert "TOO_MANY_ATTEMPTS" in codes("login", 429)
    assert "Retry-After" in ops["login"][2]["responses"]["429"]["headers"]
    # a foreign cursor: on the listings, which take one, and nowhere else
    assert "INVALID_CURSOR" in codes("listReceipts", 400)
    assert "INVALID_CURSOR" not in codes("posLogin", 400)


def test_a_create_links_to_what_takes_its_id(doc):
    links = _operations(doc)["createPosDevice"][2]["responses"]["201"]["links"]
    assert {"GetPosDevice", "DeactivatePosDevice", "DeletePosDevice", "GetPosDeviceDeletion"} <= set(links)
    assert links["DeletePosDevice"]["parameters"] == {"device_id": "$response.body#/id"}


def test_pagination_is_described_once_and_referenced(doc):
    cursor = doc["components"]["parameters"]["Cursor"]
    assert "opaque" in cursor["description"]
    assert "INVALID_CURSOR" in cursor["description"]
    assert "null on the last page" in cursor["description"]
    for name in ("listStores", "listEmployees", "listPosDevices", "listReceipts", "listShifts", "listFindings",
                 "listEvents", "exportReceipts"):
        refs = [p.get("$ref") for p in _operations(doc)[name][2]["parameters"]]
        assert "#/components/parameters/Cursor" in refs, name


def test_what_a_client_needs_is_typed(doc):
    ops = _operations(doc)
    schemas = doc["components"]["schemas"]
    # the sync body publishes the receipt format
    receipts = schemas["SyncIn"]["properties"]["receipts"]
    assert (receipts["items"], receipts["maxItems"]) == ({"$ref": "#/components/schemas/ReceiptIn"}, 250)
    assert {"line_items", "payments"} <= set(schemas["ReceiptIn"]["required"])
    assert schemas["ShiftIn"]["properties"]["opened_at"]["format"] == "date-time"
    # the export is CSV
    assert "text/csv" in ops["exportReceipts"][2]["responses"]["200"]["content"]
    # timestamps, named enums, actor and details
    assert schemas["DeviceOut"]["properties"]["created_at"]["format"] == "date-time"
    assert schemas["ReceiptOut"]["properties"]["line_items"]["items"]["$ref"].endswith("/LineItemOut")
    assert _component(doc, schemas["FindingOut"]["properties"]["type"]["$ref"])["enum"][0] == "UNSYNCED_RECEIPTS"
    assert {"DeletionStepName", "FindingType", "Role", "DeviceStatus", "Currency"} <= set(schemas)
    assert schemas["EventOut"]["properties"]["actor"]["$ref"].endswith("/Actor")
    assert schemas["EventOut"]["properties"]["details"]["$ref"].endswith("/EventDetails")
    # no `default: null` on a field that may not be null
    for name, schema in schemas.items():
        for prop_name, prop in schema.get("properties", {}).items():
            if prop.get("default", 0) is None:
                assert {"type": "null"} in prop.get("anyOf", []), (name, prop_name)


def test_empty_device_patch_and_switch_user_are_refused_as_documented(client, doc):
    ops = _operations(doc)
    patch = ops["updatePosDevice"][2]["requestBody"]
    assert patch["required"]
    assert _component(doc, patch["content"]["application/json"]["schema"]["$ref"])["minProperties"] == 1
    switch = ops["switchPosUser"][2]["requestBody"]
    assert switch["required"]
    assert len(switch["content"]["application/json"]["schema"]["oneOf"]) == 2

    m = client.signup()
    device, token = m.active_device()
    status, body = client.patch(f"/v1/pos_devices/{device['id']}", {}, token=m.token)
    assert (status, body["errors"][0]["code"]) == (400, "REQUIRED")
    status, body = client.post("/v1/pos/switch_user", {}, token=token)
    assert (status, body["errors"][0]["code"]) == (400, "REQUIRED")


@pytest.mark.parametrize("email, status", [("anna@shop.test", 201), ("Anna@Example.COM", 201),
                                           ("x@localhost", 400), ("x@shop.localhost", 400), ("x@shop.invalid", 400),
                                           ("Anna <anna@example.com>", 400)])
def test_e_mail_addresses_are_taken_as_the_document_says(client, doc, email, status):
    schema = doc["components"]["schemas"]["SignupIn"]["properties"]["email"]
    documented = bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s.]+", email)) and not re.search(
        schema["not"]["pattern"], email)
    assert documented == (status == 201)  # what the schema's patterns say ...
    answer, body = client.post("/v1/signup", {"business_name": "Cafe", "email": email, "password": "correct horse 1"})
    assert answer == status, body  # ... is what the server does
    if status == 201:
        assert client.post("/v1/auth/login", {"email": email, "password": "correct horse 1"})[0] == 200
    else:
        assert body["errors"][0]["field"] == "email"


def test_role_owner_is_in_the_enum_and_documented_as_refused(client, doc):
    assert "ONE_OWNER" in doc["components"]["schemas"]["Role"]["description"]
    m = client.signup()
    status, body = client.post("/v1/employees", {"name": "Bob", "role": "OWNER", "pin": "1234"}, token=m.token)
    assert (status, body["errors"][0]["code"]) == (400, "ONE_OWNER")


@pytest.mark.parametrize("raw", [b" ", b"\n\t \r\n"])
def test_a_whitespace_only_body_is_malformed_json(client, raw):
    m = client.signup()
    before = client.get("/v1/stores", token=m.token)[1]["stores"]  # the first store, made at sign-up
    status, body = client.post("/v1/stores", token=m.token, raw=raw)
    assert (status, body["errors"][0]["code"]) == (400, "MALFORMED_JSON")
    assert client.get("/v1/stores", token=m.token)[1]["stores"] == before  # nothing written


def test_integers_written_with_a_zero_fraction_are_integers(client):
    """JSON Schema's integer includes 2.0: the server takes it as 2 (and still refuses 2.5)."""
    m = client.signup()
    device, token = m.active_device()
    good = receipt(device["number"], 1) | {"line_items": [{"item_name": "Tea", "quantity": 2.0, "price": 350,
                                                           "total_money": 700.0}]}
    status, body = client.post("/v1/pos/sync", {"receipts": [good], "state": {
        "last_receipt_number": 1.0, "open_tickets": 0.0, "shift_open": False}}, token=token)
    assert (status, body["accepted"], body["rejected"]) == (200, 1, []), body
    status, body = client.post(f"/v1/pos_devices/{device['id']}/pairing_code", {"expires_in_seconds": 600.5},
                               token=m.token)
    assert status == 400


def test_405_says_allow(client):
    response = client.http.http.put("/v1/stores", headers={"Content-Type": "application/json"}, body=b"{}")
    assert response.status_code == 405
    assert response.headers.get("Allow") or response.headers.get("allow")
    assert response.json_body["errors"][0]["code"] == "METHOD_NOT_ALLOWED"


def test_every_operation_has_one_example_that_its_schema_accepts(doc):
    """The examples are a real run's requests and answers (scripts/openapi_examples.py); each must still match the
    schema it illustrates, or the document would teach a client something the server no longer does."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:doc", Resource.from_contents(doc, default_specification=DRAFT202012))

    def check(value, *pointer):
        """`value` against the schema at `pointer` in the document (so that its $refs resolve there)."""
        at = "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in pointer)
        errors = list(Draft202012Validator({"$ref": f"urn:doc#/{at}"}, registry=registry).iter_errors(value))
        assert not errors, (pointer, [e.message for e in errors[:3]])

    for name, (method, path, op) in _operations(doc).items():
        if name == "getOpenApiDocument":
            continue
        # An operation with no body either way and no parameters of its own (logout) has nothing to show.
        shows = "requestBody" in op or any("$ref" not in p for p in op["parameters"]) or any(
            response.get("content") for status, response in op["responses"].items() if status.startswith("2"))
        found = []
        for media_type, media in op.get("requestBody", {}).get("content", {}).items():
            if "example" in media:
                found.append(name)
                check(media["example"], "paths", path, method, "requestBody", "content", media_type, "schema")
        for status, response in op["responses"].items():
            for media_type, media in response.get("content", {}).items():
                if "example" in media:
                    found.append(name)
                    check(media["example"], "paths", path, method, "responses", status, "content", media_type,
                          "schema")
        for index, parameter in enumerate(op["parameters"]):
            if "example" in parameter:
                found.append(name)
                check(parameter["example"], "paths", path, method, "parameters", index, "schema")
        assert len(found) == (1 if shows else 0), (name, found)
