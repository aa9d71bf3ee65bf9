"""Issue 8.5: hostile input answers 4xx in the contract's shape, never a 500, and stores nothing.

Oversized bodies, deep JSON, huge strings and numbers, unknown fields, invalid UTF-8, timestamps at the
edge of the calendar, and bad cursors (garbage, base64 of non-JSON, wrong shape, another merchant's,
another list's)."""
import base64
import itertools
import json

import pytest

from tests.conftest import receipt
from tests.robustness.harness import all_pages, assert_error_shape, raw

MB = 1024 * 1024


def test_oversized_bodies_answer_413(world):
    api, token = world.api, world.owner.token
    big_json = json.dumps({"name": "x" * MB})
    assert_error_shape(raw(api, "POST", "/v1/stores", big_json, token), (413, 413), "PAYLOAD_TOO_LARGE")
    # Also on routes that take no body, and before anything is parsed.
    assert_error_shape(raw(api, "POST", f"/v1/pos_devices/{world.device['id']}/deactivate", b"{" * (2 * MB), token),
                       (413, 413), "PAYLOAD_TOO_LARGE")
    assert_error_shape(raw(api, "POST", "/v1/pos/sync", b" " * (MB + 1) + b"{}", world.device_token),
                       (413, 413), "PAYLOAD_TOO_LARGE")
    # A batch over 250 receipts is refused whole, before any is stored.
    batch = [receipt(world.device["number"], seq) for seq in range(10, 261)]
    response = raw(api, "POST", "/v1/pos/sync", json.dumps({"receipts": batch}), world.device_token)
    assert_error_shape(response, (413, 413), "BATCH_TOO_LARGE")
    assert world.api.get("/v1/pos/me", token=world.device_token)[1]["synced_receipts"] == 3
    # The device was not deactivated by the refused request.
    assert world.api.get(f"/v1/pos_devices/{world.device['id']}", token=token)[1]["status"] == "ACTIVATED"


@pytest.mark.parametrize("body", [
    "[" * 10_000 + "]" * 10_000,
    '{"name": ' + "[" * 10_000 + "]" * 10_000 + "}",
    '{"name": ' + '{"a": ' * 10_000 + "1" + "}" * 10_000 + "}",
])
def test_deeply_nested_json_is_refused(world, body):
    assert_error_shape(raw(world.api, "POST", "/v1/stores", body, world.owner.token), (400, 400))
    assert_error_shape(raw(world.api, "POST", "/v1/pos/sync", body.replace('"name"', '"receipts"'),
                           world.device_token), (400, 400))


def test_nesting_inside_a_receipt_rejects_only_that_receipt(world):
    """Receipts are validated one by one (one bad receipt never blocks a device's queue); deep nesting in
    one of them, just under the parser's limit, is a rejected receipt, not a crash."""
    good = receipt(world.device["number"], 4)
    nested = '{"receipts": [' + json.dumps(good) + ", " + '{"id": ' * 150 + "1" + "}" * 150 + "]}"
    status, body = world.api.post("/v1/pos/sync", raw=nested, token=world.device_token)
    assert status == 200, body
    assert (body["accepted"], len(body["rejected"])) == (1, 1)
    assert body["rejected"][0]["code"] == "INVALID_RECEIPT"


def test_huge_strings_and_numbers_are_refused(world):
    api, token = world.api, world.owner.token
    assert_error_shape(raw(api, "POST", "/v1/stores", json.dumps({"name": "x" * 900_000}), token),
                       (400, 400), field="name")
    assert_error_shape(raw(api, "POST", "/v1/stores", '{"name": ' + "9" * 5000 + "}", token), (400, 400))
    assert_error_shape(raw(api, "GET", "/v1/pos_devices?limit=" + "9" * 5000, b"", token), (400, 400), field="limit")
    long_id = "a" * 5000
    for path in (f"/v1/pos_devices/{long_id}", f"/v1/stores/{long_id}", f"/v1/receipts/{long_id}"):
        assert_error_shape(raw(api, "GET", path, b"", token), (404, 404), "NOT_FOUND")
    state = '{"state": {"last_receipt_number": NaN, "open_tickets": 0, "shift_open": false}}'
    assert_error_shape(raw(api, "POST", "/v1/pos/sync", state, world.device_token), (400, 400))
    status, body = world.api.post("/v1/pos/sync", {"receipts": [receipt(world.device["number"], 5) | {
        "total_money": 1e300}]}, token=world.device_token)
    assert (status, body["rejected"][0]["code"]) == (200, "INVALID_RECEIPT"), body


def test_unknown_fields_are_named(world):
    api = world.api
    errors = assert_error_shape(raw(api, "POST", "/v1/stores", json.dumps({"name": "A", "owner_id": "x"}),
                                    world.owner.token), (400, 400), "UNKNOWN_FIELD", "owner_id")
    assert len(errors) == 1
    assert_error_shape(raw(api, "PATCH", f"/v1/pos_devices/{world.device['id']}",
                           json.dumps({"name": "B", "status": "INACTIVE"}), world.owner.token),
                       (400, 400), "UNKNOWN_FIELD", "status")
    assert_error_shape(raw(api, "GET", "/v1/receipts?pos_device=1", b"", world.owner.token),
                       (400, 400), "UNKNOWN_FIELD", "pos_device")
    # Nothing changed.
    assert api.get(f"/v1/pos_devices/{world.device['id']}", token=world.owner.token)[1]["status"] == "ACTIVATED"


INVALID_TEXT = [
    b'{"name": "\xff\xfe"}',                 # not UTF-8
    b'{"name": "caf\xc3"}',                  # truncated sequence
    b'\xef\xbb\xbf{"name": "BOM"}',          # a byte order mark
    b'{"name": "a\\ud800"}',                 # a lone surrogate (cannot be stored or encoded)
    b'{"name": "a\\udc00b"}',
    b'{"name": "a"',                         # truncated JSON
    b"\x00\x00\x00",
]


def test_invalid_text_is_refused(world):
    for body in INVALID_TEXT:
        assert_error_shape(raw(world.api, "POST", "/v1/stores", body, world.owner.token), (400, 400))
    stores = all_pages(world.api, "/v1/stores", "stores", world.owner.token)
    assert len(stores) == 3  # with the first store, made at sign-up


def test_timestamps_at_the_edge_of_the_calendar(world):
    """Zone offsets that push a date past year 9999 or before year 1 in UTC cannot be stored or compared:
    a 400 for that field (a bad receipt alone is rejected), never a 500; year < 2000 is refused per item."""
    api, token = world.api, world.device_token
    number = world.device["number"]
    status, body = api.post("/v1/pos/sync", {"receipts": [
        receipt(number, 6, created_at="9999-12-31T23:00:00-05:00"),
        receipt(number, 7, created_at="0001-01-01T00:30:00+01:00"),
        receipt(number, 8, created_at="0976-04-01T14:02:48Z"),
    ]}, token=token)
    assert status == 200, body
    # year 976 is a valid date but no till's clock (issue 22 item 14): refused on its own, with its own code
    assert (body["accepted"], [r["code"] for r in body["rejected"]]) == (
        0, ["INVALID_RECEIPT"] * 2 + ["TIMESTAMP_OUT_OF_RANGE"]), body
    assert api.get(f"/v1/receipts/{number}-8", token=world.owner.token)[0] == 404
    assert_error_shape(raw(api, "POST", "/v1/pos/sync", json.dumps(
        {"shifts": [{"id": "s-far", "opened_at": "0001-01-01T00:30:00+01:00"}]}), token), (400, 400),
        field="shifts.0.opened_at")
    assert_error_shape(raw(api, "GET", "/v1/receipts?created_at_min=0001-01-01T00:00:00%2B01:00", b"",
                           world.owner.token), (400, 400), field="created_at_min")
    # Timestamps are ISO 8601 text: numbers (which pydantic would read as Unix time) are refused, in queries too.
    for value in ("0.0", "1700000000", "-1", "1e10"):
        assert_error_shape(raw(api, "GET", f"/v1/receipts?created_at_max={value}", b"", world.owner.token),
                           (400, 400), field="created_at_max")
    # A shift opened in year 976 is refused on its own; the audit still runs.
    status, body = api.post("/v1/pos/sync", {"state": {"last_receipt_number": 5, "open_tickets": 0,
                                                       "shift_open": True},
                                             "shifts": [{"id": "s-old", "opened_at": "0976-04-01T14:02:48Z"}]},
                            token=token)
    assert (status, [s["code"] for s in body["rejected_shifts"]]) == (200, ["TIMESTAMP_OUT_OF_RANGE"]), body
    status, run = api.post("/v1/audit/runs", token=world.owner.token)
    assert (status, run["status"], run["failed_devices"]) == (202, "SUCCEEDED", 0), run


def _b64(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")


GARBAGE_CURSORS = [
    "garbage!!", "%%%", "a", "_", "\u00e9t\u00e9",
    _b64(b"not json at all"), _b64(b"\xff\xfe\xfd"), _b64(b"[]"), _b64(b"{}"), _b64(b"1e999"),
    _b64(json.dumps({"merchant_id": {"S": "x"}, "id": {"N": 1}}).encode()),
    _b64(json.dumps({"merchant_id": {"M": {}}, "id": {"S": "x"}}).encode()),
    _b64(json.dumps({"merchant_id": {"S": "x"}, "id": {"S": "y"}, "extra": {"S": "z"}}).encode()),
    "x" * 2001,
]


def test_garbage_cursors_answer_400(world):
    from urllib.parse import quote

    paths = ["/v1/stores", "/v1/employees", "/v1/pos_devices", "/v1/receipts", "/v1/shifts", "/v1/audit/findings",
             "/v1/events", f"/v1/receipts?pos_device_id={world.device['id']}", f"/v1/events?pos_device_id={world.device['id']}"]
    for cursor, path in itertools.product(GARBAGE_CURSORS, paths):
        separator = "&" if "?" in path else "?"
        response = raw(world.api, "GET", f"{path}{separator}cursor={quote(cursor)}", b"", world.owner.token)
        assert_error_shape(response, (400, 400), field="cursor")


def _first_cursor(api, path, token):
    status, body = api.get(path, token=token)
    assert status == 200, (path, body)
    assert body["cursor"], (path, body)
    return body["cursor"]


def test_cursors_do_not_cross_merchants_or_lists(world, other_world):
    api, mine, theirs = world.api, world.owner.token, other_world.owner.token
    device_id = world.device["id"]
    cursors = {
        "stores": _first_cursor(api, "/v1/stores?limit=1", mine),
        "employees": _first_cursor(api, "/v1/employees?limit=1", mine),
        "pos_devices": _first_cursor(api, "/v1/pos_devices?limit=1", mine),
        "receipts": _first_cursor(api, "/v1/receipts?limit=1", mine),
        "device_receipts": _first_cursor(api, f"/v1/receipts?limit=1&pos_device_id={device_id}", mine),
        "events": _first_cursor(api, "/v1/events?limit=1", mine),
        "device_events": _first_cursor(api, f"/v1/events?limit=1&pos_device_id={device_id}", mine),
    }
    lists = ["/v1/stores", "/v1/employees", "/v1/pos_devices", "/v1/receipts", "/v1/shifts", "/v1/events",
             "/v1/audit/findings"]
    # Another merchant's cursor, on any list, even the one it came from: 400 (never their data).
    for name, cursor in cursors.items():
        for path in lists:
            assert_error_shape(raw(api, "GET", f"{path}?cursor={cursor}", b"", theirs), (400, 400), field="cursor")
        for path in (f"/v1/receipts?pos_device_id={device_id}", f"/v1/events?pos_device_id={device_id}"):
            response = raw(api, "GET", f"{path}&cursor={cursor}", b"", theirs)
            assert response.status_code == 400 or json.loads(response.body)[path[4:path.index("?")]] == [], \
                (name, path, response.body[:300])
    # A cursor of one list on another list of the same merchant: 400, not a wrong page.
    mismatched = [("stores", "/v1/employees"), ("employees", "/v1/stores"), ("pos_devices", "/v1/events"),
                  ("receipts", "/v1/events"), ("events", "/v1/receipts"), ("device_events", "/v1/events"),
                  ("device_receipts", f"/v1/receipts?store_id={world.store['id']}"),
                  ("receipts", f"/v1/events?pos_device_id={device_id}"),
                  ("device_events", f"/v1/events?pos_device_id={world.idle_device['id']}")]
    for name, path in mismatched:
        separator = "&" if "?" in path else "?"
        assert_error_shape(raw(api, "GET", f"{path}{separator}cursor={cursors[name]}", b"", mine), (400, 400),
                           field="cursor")
    # The cursors themselves work where they belong.
    status, body = api.get(f"/v1/stores?limit=1&cursor={cursors['stores']}", token=mine)
    assert (status, len(body["stores"])) == (200, 1)
