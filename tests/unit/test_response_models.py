"""Issue 13.2: the response models serialise (chalicelib/api/http.py `serialise`): a route's model reads the record
or domain object its handler returns, keeps exactly its fields and derives the rest. No AWS: pure models."""
from datetime import datetime, timezone

import pytest

from chalicelib import clock, i18n
from chalicelib.api.http import ListOf, Reply, serialise
from chalicelib.api.presenters import device_for_final_sync
from chalicelib.domain.devices import Device, Status

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(NOW)
    yield
    clock.set_now(None)


def _employee(**changes) -> dict:
    return {"merchant_id": "m1", "id": "e1", "name": "Ann", "email": "ann@example.com", "role": "OWNER",
            "password_hash": "$argon2id$secret", "pin_hash": "f00d", "store_ids": {"s1"},
            "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-02T00:00:00Z"} | changes


def _device(**changes) -> Device:
    return Device(merchant_id="m1", id="d1", name="Till 1", store_id="s1", number=2, status=Status.ACTIVATED,
                  installation_id="inst-1", activation_id="a1", device_token_hash="secret-hash",
                  pairing_code_hash="code-hash", created_at="2026-11-01T00:00:00Z",
                  updated_at="2026-11-01T00:00:00Z", **changes)


def test_a_record_keeps_exactly_the_models_fields_and_no_secret():
    out = serialise("EmployeeOut", _employee())
    assert out == {"id": "e1", "name": "Ann", "email": "ann@example.com", "role": "OWNER", "store_ids": ["s1"],
                   "has_pin": True, "access": "ACTIVE", "invitation_expires_at": None,
                   "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-02T00:00:00Z"}
    assert serialise("EmployeeOut", _employee(pin_hash=None, store_ids=None))["has_pin"] is False
    assert serialise("EmployeeOut", {k: v for k, v in _employee().items() if k not in ("email", "pin_hash")}) \
        == {**out, "email": None, "has_pin": False}


def test_missing_optional_fields_are_null_and_an_old_account_pays_in_euro():
    merchant = {"id": "m1", "business_name": "Shop", "created_at": "2026-11-01T00:00:00Z"}
    assert serialise("MerchantOut", merchant)["currency"] == "EUR"
    assert serialise("MerchantOut", merchant | {"currency": "PLN"})["currency"] == "PLN"
    assert serialise("StoreOut", {"id": "s1", "name": "Main", "created_at": "x"}) == {
        "id": "s1", "name": "Main", "address": None, "created_at": "x"}


def test_a_device_shows_derived_fields_and_hides_its_hashes():
    device = _device(pairing_code_expires_at="2026-11-24T10:05:00Z", deletion={})
    out = serialise("DeviceOut", device)
    assert out["status"] == "ACTIVATED"
    assert out["activated"] is True
    assert out["pairing_code_expires_at"] == "2026-11-24T10:05:00Z"
    assert out["deletion"] is None
    assert not {"device_token_hash", "pairing_code_hash", "activation_id", "merchant_id", "version"} & set(out)
    expired = serialise("DeviceOut", _device(pairing_code_expires_at="2026-11-24T09:59:59Z"))
    assert expired["pairing_code_expires_at"] is None  # a code that no longer works is not shown


def test_the_final_sync_view_and_the_device_itself():
    device = _device(final_sync_activation_id="a0", final_sync_until="2026-11-25T10:00:00Z", open_tickets=3)
    assert serialise("DeviceSelfOut", device)["next_receipt_seq"] == device.next_receipt_seq
    old = serialise("DeviceSelfOut", Reply(device_for_final_sync(device, device.final_sync_until), final_sync=True))
    assert old == serialise("DeviceOut", device) | {
        "status": "INACTIVE", "activated": False, "installation_id": None, "open_tickets": 0,
        "final_sync_until": "2026-11-25T10:00:00Z", "next_receipt_seq": None}


def test_lists_and_sentences_in_the_request_language():
    deletion = {"id": "x1", "status": "FAILED", "step": "CheckOpenTickets", "force": None,
                "started_at": "2026-11-24T09:00:00Z",
                "steps": [{"step": "CheckOpenTickets", "at": "t", "key": "deletion.error.failed", "params": {}}],
                "error": {"code": "OPEN_TICKETS", "key": "deletion.error.failed", "params": {}}}
    listing = {"pos_devices": [_device(deletion=deletion)], "cursor": None}
    token = i18n.use("pl")
    try:
        polish = serialise(ListOf("pos_devices", "DeviceOut"), listing)
    finally:
        i18n.reset(token)
    english = serialise(ListOf("pos_devices", "DeviceOut"), listing)
    shown = english["pos_devices"][0]["deletion"]
    assert shown["force"] is False
    assert shown["finished_at"] is None
    assert shown["error"] == {"code": "OPEN_TICKETS", "details": i18n.render("deletion.error.failed", {}, "en")}
    assert shown["steps"] == [{"step": "CheckOpenTickets", "at": "t", "details": shown["error"]["details"]}]
    assert polish["pos_devices"][0]["deletion"]["error"]["details"] == i18n.render("deletion.error.failed", {}, "pl")
    assert polish["pos_devices"][0]["deletion"]["error"]["details"] != shown["error"]["details"]


def test_a_result_outside_the_contract_is_refused_not_served():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):  # the route then answers 500 INTERNAL and logs it (http.endpoint)
        serialise("EmployeeOut", _employee(role="ROOT"))
