"""Issue 12.10: ids and numbers that become DynamoDB key values are bounded, so that no request can make
DynamoDB refuse a key (over 1,024 bytes: a ValidationException, which answered 500 INTERNAL).

moto takes key values of any length, real DynamoDB does not: `dynamodb_key_limit` makes
moto refuse them as DynamoDB does, so that these tests fail where the application would fail on AWS."""
import base64
import contextlib
import hashlib
import json

import pytest

from chalicelib.adapters import models
from chalicelib.api.http import OPERATIONS
from tests.conftest import receipt
from tests.robustness.harness import assert_error_shape, raw

MAX_KEY_BYTES = 1024


def _key_attributes() -> set[str]:
    names = set()
    for model in models.ALL_MODELS:
        names |= {name for name, attr in model.get_attributes().items() if attr.is_hash_key or attr.is_range_key}
        for index in model._indexes.values():
            names |= {name for name, attr in index.Meta.attributes.items() if attr.is_hash_key or attr.is_range_key}
    return names


def _too_long(value) -> bool:
    text = (value or {}).get("S") if isinstance(value, dict) else None
    return isinstance(text, str) and len(text.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES


def _oversized(operation: str, body: dict, key_attrs: set[str]) -> bool:
    """Whether DynamoDB would refuse the request for a key value longer than it allows."""
    def keys_in(request: dict):
        yield from (request.get("Key") or {}).values()
        yield from (request.get("ExclusiveStartKey") or {}).values()
        item = request.get("Item") or {}
        yield from (value for name, value in item.items() if name in key_attrs)
        condition = request.get("KeyConditionExpression") or ""
        for placeholder, value in (request.get("ExpressionAttributeValues") or {}).items():
            if placeholder in condition:
                yield value
        for table in (request.get("RequestItems") or {}).values():
            for key in (table.get("Keys") or []) if isinstance(table, dict) else []:
                yield from key.values()

    requests = [body]
    for entry in body.get("TransactItems") or []:
        requests += list(entry.values())
    return any(_too_long(value) for request in requests for value in keys_in(request))


@contextlib.contextmanager
def dynamodb_key_limit():
    """moto answers a request with an over-long key value as DynamoDB does: 400 ValidationException."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

    original = BotocoreStubber.__call__
    key_attrs = _key_attributes()
    refused = []

    def call(self, event_name, request, **kwargs):
        parts = event_name.split(".")
        if len(parts) >= 3 and parts[1] == "dynamodb" and request.body:
            body = json.loads(request.body.decode() if isinstance(request.body, bytes) else request.body)
            if _oversized(parts[2], body, key_attrs):
                refused.append(parts[2])
                payload = json.dumps({"__type": "com.amazon.coral.validate#ValidationException",
                                      "message": "One or more parameter values were invalid: Size of hashkey has "
                                                 "exceeded the maximum size limit of 2048 bytes"}).encode()
                return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0",
                                                      "Content-Length": str(len(payload))}, MockRawResponse(payload))
        return original(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = call
    try:
        yield refused
    finally:
        BotocoreStubber.__call__ = original


LONG_IDS = {
    "2,000 ASCII characters": "a" * 2000,
    "a UUID with 1,100 bytes after it": "5e0c1f6e-0000-4000-8000-000000000001" + "b" * 1100,
    "400 two-byte characters": "%C3%A9" * 400,
}


def _path_of(template: str, value: str) -> str:
    for name in ("device_id", "store_id", "employee_id", "receipt_number"):
        template = template.replace("{" + name + "}", value)
    return template


@pytest.mark.parametrize("label", sorted(LONG_IDS))
def test_over_long_path_ids_answer_404_on_every_route(world, label):
    """Every route with an id in its path, with an id DynamoDB could not take as a key: 404, nothing else."""
    api, token = world.api, world.owner.token
    bodies = {"PATCH": json.dumps({"name": "Renamed"})}
    checked = 0
    with dynamodb_key_limit() as refused:
        for op in OPERATIONS:
            if "{" not in op.path:
                continue
            response = raw(api, op.method, _path_of(op.path, LONG_IDS[label]), bodies.get(op.method, b""),
                           token)
            assert_error_shape(response, (404, 404), "NOT_FOUND")
            checked += 1
    assert checked >= 10, refused
    assert refused == [], refused


def _cursor(key: dict, table: str, index: str = "") -> str:
    """A cursor as the listing of `table` (and `index`) issues them, scope included (see adapters/dynamo.py)."""
    from chalicelib.config import settings

    scope = hashlib.sha256(f"{settings().table_name_prefix}{table}/{index}".encode()).hexdigest()[:8]
    return base64.urlsafe_b64encode(json.dumps(key | {"~": scope}).encode()).decode().rstrip("=")


def test_cursors_with_over_long_key_values_answer_400(world):
    api, token, merchant_id = world.api, world.owner.token, world.owner.merchant["id"]
    device_id = world.device["id"]
    long_value = "x" * 1100
    cursors = {
        "/v1/stores": ({"merchant_id": {"S": merchant_id}, "id": {"S": long_value}}, "stores", ""),
        "/v1/employees": ({"merchant_id": {"S": merchant_id}, "id": {"S": long_value}}, "employees", ""),
        "/v1/events": ({"merchant_id": {"S": merchant_id}, "sk": {"S": long_value}}, "events", ""),
        f"/v1/receipts?pos_device_id={device_id}": ({
            "pos_device_id": {"S": device_id}, "merchant_id": {"S": merchant_id},
            "receipt_number": {"S": "1-1"}, "created_sk": {"S": long_value}}, "receipts", "device-created-index"),
        "/v1/pos_devices": ({"merchant_id": {"S": merchant_id}, "id": {"S": "a"}, "number": {"N": "9" * 1100}},
                            "pos_devices", "merchant-number-index"),
    }
    with dynamodb_key_limit() as refused:
        for path, (key, table, index) in cursors.items():
            separator = "&" if "?" in path else "?"
            response = raw(api, "GET", f"{path}{separator}cursor={_cursor(key, table, index)}", b"", token)
            assert_error_shape(response, (400, 400), "INVALID_CURSOR", "cursor")
    assert refused == [], refused


def test_body_ids_that_become_keys_are_bounded(world):
    """Ids in bodies (receipt, shift, store and employee ids) are at most 64 characters: 400 in the error shape,
    or a per-receipt rejection, never a key DynamoDB refuses."""
    api, device_token = world.api, world.device_token
    long_id = "c" * 2000
    with dynamodb_key_limit() as refused:
        response = raw(api, "POST", "/v1/pos/sync", json.dumps({"shifts": [{
            "id": long_id, "opened_at": "2026-11-24T08:00:00Z"}]}), device_token)
        assert_error_shape(response, (400, 400), field="shifts.0.id")
        status, body = api.post("/v1/pos/sync", {"receipts": [receipt(world.device["number"], 4, id=long_id)]},
                                token=device_token)
        assert (status, body["rejected"][0]["code"]) == (200, "INVALID_RECEIPT"), body
        response = raw(api, "POST", "/v1/pos_devices", json.dumps({"name": "T", "store_id": long_id}),
                       world.owner.token)
        assert_error_shape(response, (400, 400), field="store_id")
        response = raw(api, "POST", "/v1/pos/activate", json.dumps({
            "login_token": "t", "pos_device_id": long_id, "installation_id": "i"}), None)
        assert_error_shape(response, (400, 400), field="pos_device_id")
        response = raw(api, "GET", f"/v1/receipts?store_id={long_id}", b"", world.owner.token)
        assert_error_shape(response, (400, 400), field="store_id")
    assert refused == [], refused


def test_the_emulated_limit_is_what_dynamodb_answers(world):
    """The key-limit emulation itself: without the path check a 2,000-byte id reaches DynamoDB and is refused."""
    from chalicelib.adapters.repositories import DeviceRepository
    from chalicelib.errors import ServiceUnavailable

    with dynamodb_key_limit() as refused:
        with pytest.raises(Exception) as caught:
            DeviceRepository.get(world.owner.merchant["id"], "a" * 2000)
    assert not isinstance(caught.value, ServiceUnavailable)
    assert refused == ["GetItem"]
