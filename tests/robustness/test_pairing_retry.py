"""Issue 22.21 for pairing: a `POST /v1/pos/pair` sent again by the same installation after its answer was lost
succeeds with the same answer's shape (a new device token for the same activation; the token of the lost answer
no longer works), as a retried activate does with its login token. Nothing else gets through: another installation,
another slot's state, an expired code, or the code after the slot moved on all answer the same 401 as a wrong code.

Before: the code was used up by the first pairing, so the retry answered 401 PAIRING_CODE_INVALID and the tablet
was left without a token for a slot that was activated for it."""
from datetime import timedelta

from chalicelib import clock
from tests.conftest import FROZEN_AT

SYNC_STATE = {"state": {"last_receipt_number": 0, "open_tickets": 0, "shift_open": False}}


def _code(client, m, device_id, **body):
    status, data = client.post(f"/v1/pos_devices/{device_id}/pairing_code", body or None, token=m.token)
    assert status == 201, data
    return data["code"]


def _pair(client, code, installation_id):
    return client.post("/v1/pos/pair", {"code": code, "installation_id": installation_id})


def _invalid(result):
    status, body = result
    return status == 401 and body["errors"][0]["code"] == "PAIRING_CODE_INVALID"


def test_the_same_installation_pairing_again_gets_a_working_token_for_the_same_activation(client, at):
    m = client.signup()
    slot = m.device()
    code = _code(client, m, slot["id"])
    status, first = _pair(client, code, "tablet-1")
    assert status == 200, first
    at(seconds=30)  # the answer was lost; the tablet sends the request again
    status, again = _pair(client, code, "tablet-1")
    assert status == 200, again
    assert set(again) == set(first)
    assert again["pos_device"]["id"] == slot["id"] and again["device_token"] != first["device_token"]
    assert again["next_receipt_seq"] == first["next_receipt_seq"]
    assert again["pos_device"]["activated_at"] == first["pos_device"]["activated_at"]  # the same activation
    # The new token works; the lost one is revoked; one activation in the log.
    assert client.post("/v1/pos/sync", SYNC_STATE, token=again["device_token"])[0] == 200
    assert client.post("/v1/pos/sync", SYNC_STATE, token=first["device_token"])[0] == 401
    status, events = client.get(f"/v1/events?pos_device_id={slot['id']}", token=m.token)
    assert [e["type"] for e in events["events"]].count("pos_device.activated") == 1, events
    # Once more (a second lost answer) still works.
    assert _pair(client, code, "tablet-1")[0] == 200


def test_nobody_else_gets_through_with_a_used_code(client, at):
    m = client.signup()
    slot = m.device()
    code = _code(client, m, slot["id"])
    status, first = _pair(client, code, "tablet-1")
    assert status == 200, first
    assert _invalid(_pair(client, code, "tablet-2"))  # another installation: a used code is a wrong code
    # The slot moved on (deactivated): the code no longer brings it back, even for the same installation.
    assert client.post(f"/v1/pos_devices/{slot['id']}/deactivate", token=m.token)[0] == 200
    assert _invalid(_pair(client, code, "tablet-1"))
    status, shown = client.get(f"/v1/pos_devices/{slot['id']}", token=m.token)
    assert shown["status"] == "INACTIVE", shown


def test_a_retry_after_the_code_would_have_expired_is_refused(client, at):
    m = client.signup()
    slot = m.device()
    code = _code(client, m, slot["id"], expires_in_seconds=60)
    assert _pair(client, code, "tablet-1")[0] == 200
    clock.set_now(FROZEN_AT + timedelta(seconds=61))
    assert _invalid(_pair(client, code, "tablet-1"))
