"""Deactivation with a final-sync window (docs/FINAL_SYNC.md): the old installation uploads while a new one sells."""
from datetime import timedelta

import pytest

from chalicelib import clock
from chalicelib.adapters.repositories import DeviceRepository
from chalicelib.domain.final_sync import FINAL_SYNC_RESERVE
from chalicelib.services.slot_writes import close_expired_final_sync
from tests.conftest import FROZEN_AT as T0, receipt




def sync(client, token, last, seqs=(), number=1, shifts=()):
    return client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": last, "open_tickets": 0, "shift_open": False},
        "shifts": list(shifts), "receipts": [receipt(number, s) for s in seqs]}, token=token)


def deactivate(client, merchant, device_id, hours=None):
    status, body = client.post(f"/v1/pos_devices/{device_id}/deactivate",
                               None if hours is None else {"final_sync_hours": hours}, token=merchant.token)
    assert status == 200, body
    return body


def device(client, merchant, device_id):
    status, body = client.get(f"/v1/pos_devices/{device_id}", token=merchant.token)
    assert status == 200, body
    return body


def events(client, merchant, device_id, type_):
    status, body = client.get(f"/v1/events?pos_device_id={device_id}&limit=250", token=merchant.token)
    return [e for e in body["events"] if e["type"] == type_]


def old_device_with_owed(client, merchant, synced=3, reported=5):
    """An activated POS that reported `reported` receipts and synced only the first `synced`."""
    slot, token = merchant.active_device()
    status, body = sync(client, token, reported, range(1, synced + 1), number=slot["number"])
    assert (status, body["accepted"]) == (200, synced), body
    return slot, token


def test_new_installation_sells_while_the_old_one_uploads(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    n = slot["number"]
    shown = deactivate(client, merchant, slot["id"], hours=72)
    assert (shown["status"], shown["final_sync_until"]) == ("INACTIVE", clock.iso(T0 + timedelta(hours=72)))
    assert (shown["unsynced_receipts"], shown["final_sync_owed_receipts"], shown["lost_receipts"]) == (2, 2, 0)
    [event] = events(client, merchant, slot["id"], "pos_device.deactivated")
    assert (event["details"]["final_sync_hours"], event["details"]["lost_receipts"]) == (72, 0)

    # The slot is activated on a new device at once; it numbers above the old installation's reserved range.
    new = merchant.activate(slot["id"], "new-tablet")
    first_new = 5 + FINAL_SYNC_RESERVE + 1
    assert new["next_receipt_seq"] == first_new
    new_token = new["device_token"]
    status, body = sync(client, new_token, first_new + 1, [first_new, first_new + 1], number=n)
    assert (status, body["accepted"]) == (200, 2), body
    # The new one cannot take the old range's numbers; the old one cannot take the new one's.
    status, body = sync(client, new_token, first_new + 1, [7], number=n)
    assert [r["code"] for r in body["rejected"]] == ["RECEIPT_NUMBER_RESERVED"]
    status, body = sync(client, old, 7, [first_new + 5], number=n)
    assert (status, [r["code"] for r in body["rejected"]]) == (200, ["RECEIPT_OUTSIDE_FINAL_SYNC"]), body

    # The old installation may sync and read itself, nothing else.
    status, me = client.get("/v1/pos/me", token=old)
    assert (status, me["status"], me["final_sync_until"]) == (200, "INACTIVE", shown["final_sync_until"])
    status, body = client.post("/v1/pos/switch_user", {"email": merchant.email, "password": merchant.password},
                               token=old)
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED")

    # It uploads what it owed (4, 5) and what it sold offline before it heard of the deactivation (6, 7).
    status, body = sync(client, old, 7, [4, 5, 6], number=n)
    assert (status, body["accepted"]) == (200, 3), body
    assert body["pos_device"]["final_sync_until"], body
    assert body["pos_device"]["final_sync_owed_receipts"] == 1
    status, body = sync(client, old, 7, [7], number=n)
    assert (status, body["accepted"]) == (200, 1), body
    assert body["pos_device"]["final_sync_until"] is None  # everything it reported is here: the window closed
    status, body = sync(client, old, 7, [], number=n)
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED")

    shown = device(client, merchant, slot["id"])
    assert (shown["status"], shown["installation_id"]) == ("ACTIVATED", "new-tablet")
    assert shown["synced_receipts"] == 3 + 2 + 4
    assert (shown["unsynced_receipts"], shown["lost_receipts"]) == (0, 0)
    [closed] = events(client, merchant, slot["id"], "pos_device.final_sync_closed")
    assert closed["details"]["reason"] == "SYNCED"
    assert (closed["details"]["received_receipts"], closed["details"]["lost_receipts"]) == (4, 0)
    # No receipt number was used twice, and each receipt is listed under its own number.
    status, listing = client.get(f"/v1/receipts?pos_device_id={slot['id']}&limit=250", token=merchant.token)
    numbers = [r["receipt_number"] for r in listing["receipts"]]
    assert sorted(numbers) == sorted({f"{n}-{s}" for s in [1, 2, 3, 4, 5, 6, 7, first_new, first_new + 1]})
    # The audit sees no gap between the two ranges.
    status, summary = client.post("/v1/audit/runs", token=merchant.token)
    status, findings = client.get("/v1/audit/findings?status=open", token=merchant.token)
    assert findings["findings"] == [], findings


def test_the_audit_counts_what_the_old_installation_owes_and_no_false_gap(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    n = slot["number"]
    deactivate(client, merchant, slot["id"], hours=24)
    new = merchant.activate(slot["id"])
    first_new = new["next_receipt_seq"]
    sync(client, new["device_token"], first_new + 2, [first_new, first_new + 2], number=n)  # +1 is missing
    shown = device(client, merchant, slot["id"])
    assert (shown["unsynced_receipts"], shown["final_sync_owed_receipts"]) == (2 + 1, 2)
    status, summary = client.post("/v1/audit/runs", token=merchant.token)
    assert (status, summary["raised"]) == (202, 1), summary
    status, body = client.get("/v1/audit/findings?status=open", token=merchant.token)
    [finding] = body["findings"]
    assert finding["missing_receipt_numbers"] == [f"{n}-4", f"{n}-5", f"{n}-{first_new + 1}"]
    assert finding["missing_count"] == 3


def test_window_closes_when_its_time_is_up(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=1)
    at(minutes=59)
    status, body = sync(client, old, 5, [4], number=slot["number"])
    assert (status, body["accepted"]) == (200, 1)
    at(minutes=61)
    shown = device(client, merchant, slot["id"])  # read after the time is up: closed lazily
    assert shown["final_sync_until"] is None
    assert (shown["lost_receipts"], shown["unsynced_receipts"]) == (1, 0)
    [closed] = events(client, merchant, slot["id"], "pos_device.final_sync_closed")
    assert closed["details"] | {"reason": "EXPIRED", "received_receipts": 1, "lost_receipts": 1} == closed["details"]
    assert closed["details"]["lost_receipt_seqs"] == [1, 5]  # the range the loss lies in, as at deactivation
    status, body = sync(client, old, 5, [5], number=slot["number"])
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED")
    # Nobody took numbers meanwhile: the reservation is released and numbering continues without a gap.
    assert merchant.activate(slot["id"])["next_receipt_seq"] == 6


@pytest.mark.engine("moto")  # reads or counts what the DynamoDB adapter sends
def test_expired_window_is_closed_by_the_service_function_and_by_the_old_device_calling(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=2)
    record = DeviceRepository.get(merchant.merchant["id"], slot["id"])
    assert close_expired_final_sync(record).final_sync_open  # not yet
    at(hours=3)
    status, body = client.get("/v1/pos/me", token=old)  # the old device calling after the time is up
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED")
    closed = close_expired_final_sync(DeviceRepository.get(merchant.merchant["id"], slot["id"]))
    assert not closed.final_sync_open
    assert closed.lost_receipts == 2
    assert len(events(client, merchant, slot["id"], "pos_device.final_sync_closed")) == 1  # closed once


def test_end_final_sync_for_a_stolen_device(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=72)
    status, body = client.post(f"/v1/pos_devices/{slot['id']}/end_final_sync", token=merchant.token)
    assert status == 200, body
    assert body["final_sync_until"] is None, body
    assert body["lost_receipts"] == 2, body
    assert body["unsynced_receipts"] == 0
    [closed] = events(client, merchant, slot["id"], "pos_device.final_sync_closed")
    assert (closed["details"]["reason"], closed["details"]["lost_receipts"]) == ("ENDED", 2)
    status, body = sync(client, old, 5, [4, 5], number=slot["number"])
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED")
    status, body = client.post(f"/v1/pos_devices/{slot['id']}/end_final_sync", token=merchant.token)
    assert (status, body["errors"][0]["code"]) == (409, "NO_FINAL_SYNC")
    other = client.signup()
    assert client.post(f"/v1/pos_devices/{slot['id']}/end_final_sync", token=other.token)[0] == 404


def test_stolen_device_with_zero_hours_is_cut_off_at_once(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    shown = deactivate(client, merchant, slot["id"], hours=0)
    assert shown["final_sync_until"] is None
    assert (shown["lost_receipts"], shown["unsynced_receipts"]) == (2, 0)
    for status, body in (sync(client, old, 5, [4], number=slot["number"]), client.get("/v1/pos/me", token=old)):
        assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED")
    assert not events(client, merchant, slot["id"], "pos_device.final_sync_closed")


@pytest.mark.parametrize("body", [{"final_sync_hours": 169}, {"final_sync_hours": -1}, {"final_sync_hours": "3"},
                                  {"final_sync_hours": 1.5}, {"hours": 3}])
def test_final_sync_hours_is_validated_and_nothing_changes(client, at, body):
    merchant = client.signup()
    slot, _old = merchant.active_device()
    status, answer = client.post(f"/v1/pos_devices/{slot['id']}/deactivate", body, token=merchant.token)
    assert status == 400, answer
    assert device(client, merchant, slot["id"])["status"] == "ACTIVATED"


def test_deactivating_the_new_installation_closes_the_old_window(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=72)
    new = merchant.activate(slot["id"])
    first_new = new["next_receipt_seq"]
    sync(client, new["device_token"], first_new, [first_new], number=slot["number"])
    shown = deactivate(client, merchant, slot["id"], hours=72)
    [closed] = events(client, merchant, slot["id"], "pos_device.final_sync_closed")
    assert (closed["details"]["reason"], closed["details"]["lost_receipts"]) == ("DEACTIVATED", 2)
    assert closed["details"]["skipped_receipts"] == FINAL_SYNC_RESERVE
    assert (shown["lost_receipts"], shown["unsynced_receipts"]) == (2, 0)
    assert shown["final_sync_until"]
    assert sync(client, old, 5, [4], number=slot["number"])[0] == 401  # the first installation is cut off
    third = merchant.activate(slot["id"])
    assert third["next_receipt_seq"] == first_new + FINAL_SYNC_RESERVE + 1


def test_safe_deletion_waits_for_an_open_window(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=72)
    status, body = client.delete(f"/v1/pos_devices/{slot['id']}", token=merchant.token)
    assert status == 202, body
    deletion = client.wait_for_deletion(merchant.token, slot["id"])
    assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", "RECEIPTS_NOT_SYNCED"), deletion
    assert "1-4" in deletion["error"]["details"] or f"{slot['number']}-4" in deletion["error"]["details"]
    shown = device(client, merchant, slot["id"])
    assert shown["deleted_at"] is None
    assert shown["final_sync_until"]
    status, body = sync(client, old, 5, [4, 5], number=slot["number"])
    assert status == 200
    assert body["pos_device"]["final_sync_until"] is None
    status, body = client.delete(f"/v1/pos_devices/{slot['id']}", token=merchant.token)
    assert client.wait_for_deletion(merchant.token, slot["id"])["status"] == "SUCCEEDED"


def test_forced_deletion_closes_the_window_and_counts_the_loss(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=72)
    status, body = client.delete(f"/v1/pos_devices/{slot['id']}?force=true", token=merchant.token)
    assert status == 202, body
    assert client.wait_for_deletion(merchant.token, slot["id"])["status"] == "SUCCEEDED"
    shown = device(client, merchant, slot["id"])
    assert shown["deleted_at"]
    assert shown["final_sync_until"] is None
    assert shown["lost_receipts"] == 2
    [closed] = events(client, merchant, slot["id"], "pos_device.final_sync_closed")
    assert closed["details"]["reason"] == "DELETED"
    status, body = sync(client, old, 5, [4], number=slot["number"])
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DELETED")


def test_old_installation_closes_its_shift(client, at):
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=72)
    shift = {"id": "shift-old", "opened_at": "2026-11-24T08:00:00Z", "closed_at": "2026-11-24T11:00:00Z",
             "starting_cash": 1000}
    status, body = sync(client, old, 5, [4, 5], number=slot["number"], shifts=[shift])
    assert (status, body["accepted"]) == (200, 2), body
    status, shifts = client.get(f"/v1/shifts?pos_device_id={slot['id']}", token=merchant.token)
    assert [s["closed_at"] for s in shifts["shifts"]] == ["2026-11-24T11:00:00Z"]
    assert device(client, merchant, slot["id"])["shift_open"] is False


@pytest.mark.engine("moto")  # reads or counts what the DynamoDB adapter sends
def test_the_scheduled_audit_closes_an_expired_window_nobody_looked_at(client, at):
    from tests.functional.test_audit import scheduled

    merchant = client.signup()
    slot, _old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=1)
    summary = scheduled(client)
    assert summary["devices_checked"] == 0  # the window is due when it ends, not before
    record = DeviceRepository.get(merchant.merchant["id"], slot["id"])
    assert record.final_sync_open
    assert record.lost_receipts == 0
    at(hours=2)
    summary = scheduled(client)
    assert (summary["devices_checked"], summary["failed_devices"]) == (1, 0), summary
    record = DeviceRepository.get(merchant.merchant["id"], slot["id"])  # read straight from the table
    assert not record.final_sync_open
    assert record.lost_receipts == 2
    [closed] = events(client, merchant, slot["id"], "pos_device.final_sync_closed")
    assert closed["details"]["reason"] == "EXPIRED"
    assert scheduled(client)["devices_checked"] == 0  # closed: out of the audit's index


# ---------------------------------------------------------------- issue 22: the window belongs to the old installation


def _open_shift(shift_id, opened="2026-11-24T08:00:00Z", **extra):
    return {"id": shift_id, "opened_at": opened, "closed_at": None, "starting_cash": 1000} | extra


def test_old_installation_cannot_close_the_new_installations_shift(client, at):
    """Item 5: before, the old token could close (and set actual_cash on) the new installation's open shift."""
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    deactivate(client, merchant, slot["id"], hours=72)
    new = merchant.activate(slot["id"], "new-tablet")
    new_shift = _open_shift("8c7f9a8e-0000-4000-8000-0000000000a1", opened="2026-11-24T11:00:00Z")
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 0, "open_tickets": 0,
                                                          "shift_open": True}, "shifts": [new_shift]},
                               token=new["device_token"])
    assert (status, body["rejected_shifts"]) == (200, []), body
    closing = new_shift | {"closed_at": "2026-11-24T12:00:00Z", "actual_cash": 1, "expected_cash": 1000}
    status, body = sync(client, old, 5, [4], number=slot["number"], shifts=[closing])
    assert (status, body["accepted"]) == (200, 1), body
    assert [(r["id"], r["code"]) for r in body["rejected_shifts"]] == [(new_shift["id"], "SHIFT_NOT_OWNED")], body
    [stored] = client.get(f"/v1/shifts?pos_device_id={slot['id']}", token=merchant.token)[1]["shifts"]
    assert stored["closed_at"] is None, stored
    assert stored["actual_cash"] is None, stored
    assert device(client, merchant, slot["id"])["shift_open"] is True
    # Nor the reverse: the new installation cannot close a shift the old one opened.
    old_shift = _open_shift("8c7f9a8e-0000-4000-8000-0000000000a2")
    assert sync(client, old, 5, shifts=[old_shift])[1]["rejected_shifts"] == []
    status, body = client.post("/v1/pos/sync", {"shifts": [old_shift | {"closed_at": "2026-11-24T12:00:00Z"}]},
                               token=new["device_token"])
    assert [r["code"] for r in body["rejected_shifts"]] == ["SHIFT_NOT_OWNED"], body


@pytest.mark.parametrize("how", ["end", "expire", "synced", "next_window"])
def test_a_shift_the_old_installation_left_open_is_flagged_when_its_window_closes(client, at, how):
    """Item 6: a plain deactivation flags a shift left open (SHIFT_LEFT_OPEN); closing a window did not. The new
    installation's open shift is not flagged."""
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    old_shift = _open_shift("8c7f9a8e-0000-4000-8000-0000000000b1")
    assert sync(client, old, 5, shifts=[old_shift])[0] == 200
    deactivate(client, merchant, slot["id"], hours=1)
    new = merchant.activate(slot["id"], "new-tablet")
    new_shift = _open_shift("8c7f9a8e-0000-4000-8000-0000000000b2", opened="2026-11-24T11:00:00Z")
    assert client.post("/v1/pos/sync", {"shifts": [new_shift]}, token=new["device_token"])[0] == 200
    if how == "end":
        assert client.post(f"/v1/pos_devices/{slot['id']}/end_final_sync", token=merchant.token)[0] == 200
    elif how == "expire":
        at(minutes=61)
        device(client, merchant, slot["id"])  # a read closes it
    elif how == "synced":  # everything uploaded: the window closes as SYNCED, the shift still open on the device
        assert sync(client, old, 5, [4, 5])[1]["pos_device"]["final_sync_until"] is None
    else:  # the new installation is deactivated with a window of its own: the old window closes (one at a time)
        deactivate(client, merchant, slot["id"], hours=1)
    [closed] = events(client, merchant, slot["id"], "pos_device.final_sync_closed")
    assert closed["details"]["installation_id"] == slot["installation_id"]
    status, findings = client.get("/v1/audit/findings?status=open", token=merchant.token)
    assert (status, [f["type"] for f in findings["findings"]]) == (200, ["SHIFT_LEFT_OPEN"]), findings
    shifts = {s["id"]: s for s in client.get(f"/v1/shifts?pos_device_id={slot['id']}", token=merchant.token)[1]["shifts"]}
    assert shifts[old_shift["id"]]["orphaned_at"], shifts
    assert not shifts[new_shift["id"]].get("orphaned_at"), shifts


def test_late_receipts_stay_in_the_store_they_were_sold_in(client, at):
    """Item 7: moving the POS to another store during the window recorded the old device's late receipts (and
    shifts) under the new store."""
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    old_store = slot["store_id"]
    deactivate(client, merchant, slot["id"], hours=72)
    other = merchant.store("Second store")
    status, body = client.patch(f"/v1/pos_devices/{slot['id']}", {"store_id": other["id"]}, token=merchant.token)
    assert (status, body["store_id"]) == (200, other["id"]), body
    late_shift = {"id": "8c7f9a8e-0000-4000-8000-0000000000c1", "opened_at": "2026-11-24T08:00:00Z",
                  "closed_at": "2026-11-24T11:00:00Z", "starting_cash": 0}
    status, body = sync(client, old, 5, [4, 5], number=slot["number"], shifts=[late_shift])
    assert (status, body["accepted"]) == (200, 2), body
    assert body["pos_device"]["store_id"] == old_store
    for seq in (4, 5):
        status, stored = client.get(f"/v1/receipts/{slot['number']}-{seq}", token=merchant.token)
        assert stored["store_id"] == old_store, stored
    [shift] = client.get(f"/v1/shifts?pos_device_id={slot['id']}", token=merchant.token)[1]["shifts"]
    assert shift["store_id"] == old_store


def test_old_receipts_keep_the_old_cashier_and_its_me_shows_its_own_activation(client, at):
    """Item 8: an old-device receipt without employee_id was attributed to the new installation's cashier, and
    the old device's `me` showed the new installation's counters and activated_at."""
    merchant = client.signup()
    slot, old = old_device_with_owed(client, merchant)
    old_activated_at = slot["activated_at"]
    deactivate(client, merchant, slot["id"], hours=72)
    status, cashier = client.post("/v1/employees", {"name": "Cas", "role": "CASHIER", "pin": "4321"},
                                  token=merchant.token)
    assert status == 201, cashier
    at(hours=1)
    new = merchant.activate(slot["id"], "new-tablet")
    status, body = client.post("/v1/pos/switch_user", {"employee_id": cashier["id"], "pin": "4321"},
                               token=new["device_token"])
    assert status == 200, body
    first_new = new["next_receipt_seq"]
    status, body = client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": first_new + 1, "open_tickets": 0, "shift_open": False},
        "receipts": [receipt(slot["number"], first_new), receipt(slot["number"], first_new + 1)]},
        token=new["device_token"])
    assert (status, body["accepted"]) == (200, 2), body
    late = receipt(slot["number"], 4)
    late.pop("employee_id", None)
    status, body = client.post("/v1/pos/sync", {"receipts": [late]}, token=old)
    assert (status, body["accepted"]) == (200, 1), body
    stored = client.get(f"/v1/receipts/{slot['number']}-4", token=merchant.token)[1]
    assert stored["employee_id"] == merchant.owner["id"], stored  # who was signed in on the old device
    status, me = client.get("/v1/pos/me", token=old)
    assert status == 200, me
    assert me["activated_at"] == old_activated_at != new["pos_device"]["activated_at"], me
    assert (me["status"], me["last_receipt_number"], me["synced_receipts"], me["unsynced_receipts"]) == (
        "INACTIVE", 5, 4, 1), me
    assert me["final_sync_owed_receipts"] == 1, me
    assert me["next_receipt_seq"] is None, me
    assert (body["pos_device"]["synced_receipts"], body["pos_device"]["last_receipt_number"]) == (4, 5)
