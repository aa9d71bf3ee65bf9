"""The final-sync window of a deactivated installation: its uploads, and the three ways it closes.

The window closes (1) when `final_sync_until` passes: lazily when the slot is read or the old device
calls, and by the audit through `close_expired_final_sync`; (2) when the old installation has uploaded
everything it reported (a sync carrying its state, after which nothing it reported is missing); (3) on
`POST /v1/pos_devices/{id}/end_final_sync`. Closing writes the slot and `pos_device.final_sync_closed`
together; what is still missing is added to `lost_receipts`. Numbering: domain/final_sync.py.
"""
import random
import time

from chalicelib import clock
from chalicelib.domain import final_sync as rules
from chalicelib.domain.devices import Device
from chalicelib.domain.roles import BACK_OFFICE_ROLES, require_role
from chalicelib.errors import Conflict, DeviceDeactivated, ServiceUnavailable
from chalicelib.ports import AlreadyStored, SlotRevoked
from chalicelib.services import audit, sync
from chalicelib.services.common import Principal
from chalicelib.services.devices import change_device, get_device
from chalicelib.wiring import adapters

SYSTEM_FINAL_SYNC = {"type": "system", "id": "final-sync"}


class _NothingToClose(Exception):
    pass


def _close(merchant_id: str, device_id: str, reason: str, activation_id: str | None, actor: dict,
           principal: Principal | None = None, when=None) -> Device | None:
    """Close the window of `activation_id` (any open window when None) if `when(device)` still holds."""

    closing: dict = {}

    def change(device: Device):
        if not device.final_sync_open or (activation_id and device.final_sync_activation_id != activation_id):
            raise _NothingToClose()
        if when and not when(device):
            raise _NothingToClose()
        closing["activation_id"] = device.final_sync_activation_id
        return rules.closed(device, clock.iso(), reason)

    try:
        closed = change_device(principal, merchant_id, device_id, change, "pos_device.final_sync_closed",
                               actor=actor)[0]
    except _NothingToClose:
        return None
    # The old installation can no longer close its shifts: flagged, as a plain deactivation flags them.
    audit.raise_left_open_shifts(closed, deleted=False, activation_id=closing["activation_id"])
    return closed


def close_expired_final_sync(device: Device) -> Device:
    """Close the window if its time is up (for reads, the old device's calls and the audit); the slot as it now is."""
    if not rules.expired(device, clock.iso()):
        return device
    closed = _close(device.merchant_id, device.id, rules.EXPIRED, device.final_sync_activation_id, SYSTEM_FINAL_SYNC,
                    when=lambda current: rules.expired(current, clock.iso()))
    return closed or adapters().devices.get(device.merchant_id, device.id) or device


def end_final_sync(principal: Principal, device_id: str) -> Device:
    """The owner ends the window at once (a stolen device): its token dies, what it still owes is lost."""
    require_role(principal.role, BACK_OFFICE_ROLES, "end a final sync")
    get_device(principal, device_id)  # 404 first (and closes an expired window)
    closed = _close(principal.merchant_id, device_id, rules.ENDED, None, principal.actor, principal=principal)
    if closed is None:
        raise Conflict(code="NO_FINAL_SYNC")
    return closed


def close_for_deletion(device: Device) -> tuple[Device, list]:
    """Domain part for the safe deletion's Delete step: an open window closes with the slot."""
    if not device.final_sync_open:
        return device, []
    closed, details = rules.closed(device, clock.iso(), rules.DELETED)
    return closed, [("pos_device.final_sync_closed", details)]


# ---------------------------------------------------------------- the old installation's uploads


def final_sync_batch(principal: Principal, device: Device, receipts: list[dict], rejected: list[dict],
                     shifts: list[dict], state: dict | None) -> sync.SyncResult:
    """Receipts of the old installation's own range, and its shifts (so that it can close them)."""
    result = sync.SyncResult(rejected=list(rejected))
    now = clock.iso()
    activation_id = principal.activation_id
    old = rules.old_installation(device, activation_id)  # its store, cashier and activation, not the slot's now
    candidates = _checks(device, receipts, result)
    new = sync._classify_existing(old, candidates, result)
    # Stored as its history (the slot's own shift state belongs to the new installation), with the same
    # ownership rules as any sync: another slot's or installation's shift is refused, a closed shift is final.
    owned, to_write = sync._classify_shifts(old, sync._last_copy_of_each(shifts), result)
    applied = sync._store_shifts(old, to_write, result, final_sync=(activation_id, now))
    shifts = owned
    for receipt in new:
        receipt["shift_id"] = receipt.get("shift_id") or sync._shift_of(receipt, shifts)
    _store(old, activation_id, new, now, result, wrote_before=bool(applied))
    highest = max((seq for seq, _ in candidates.values()), default=0)
    reported = min(device.final_sync_upto, max(highest, (state or {}).get("last_receipt_number", 0)))
    adapters().devices.record_final_sync_state(device, activation_id, reported, now)
    current = adapters().devices.get(device.merchant_id, device.id)
    result.window = current if current and current.final_sync_activation_id == activation_id else None
    if state is not None and result.window is not None and current.final_sync_owed == 0:
        closed = _close(device.merchant_id, device.id, rules.SYNCED, activation_id, principal.actor,
                        when=lambda d: d.final_sync_owed == 0)
        current = closed or adapters().devices.get(device.merchant_id, device.id)
    result.device = current
    return result


def _checks(device: Device, receipts: list[dict], result: sync.SyncResult) -> dict[str, tuple[int, dict]]:
    """Like a sync's checks, but a receipt must lie in the old installation's own range."""
    first, upto = device.written_off_upto + 1, device.final_sync_upto

    def fits(receipt_id: str, pos_number: int, seq: int, number: str) -> bool:
        if pos_number == device.number and rules.in_old_range(device, seq):
            return True
        result.reject(receipt_id, "RECEIPT_OUTSIDE_FINAL_SYNC",
                      params={"number": number, "first": f"{device.number}-{first}", "upto": f"{device.number}-{upto}"})
        return False

    return sync.check_receipts(receipts, result, fits)


def _store(device: Device, activation_id: str, receipts: list[dict], now: str, result: sync.SyncResult,
           wrote_before: bool) -> None:
    time_zone = sync.time_zone_of(device.merchant_id) if receipts else "UTC"
    for start, end in sync.chunks_of(receipts, time_zone):
        chunk = receipts[start:end]
        for attempt in range(sync.MAX_ATTEMPTS):
            if not chunk:
                break
            try:
                adapters().receipts.store_batch(device, [sync._receipt_item(device, r, now, time_zone) for r in chunk],
                                                final_sync=(activation_id, now))
                result.accepted += len(chunk)
                break
            except SlotRevoked:
                # The window closed meanwhile: this chunk was not written. With nothing written yet the request
                # is refused (401, nothing stored); otherwise it answers 200 with what landed and rejects the rest.
                if not (wrote_before or result.accepted):
                    raise DeviceDeactivated() from None
                for receipt in chunk + receipts[end:]:
                    result.reject(receipt["id"], "DEVICE_DEACTIVATED", key="DEVICE_DEACTIVATED.during_sync")
                return
            except AlreadyStored:
                chunk = sync._classify_existing(device, {r["receipt_number"]: (0, r) for r in chunk}, result)
                time.sleep(min(0.5, 0.02 * 2 ** attempt) * random.random())
        else:
            raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.receipts")

