"""The final-sync window of a deactivated installation: its uploads, and the three ways it closes.

The window closes (1) when `final_sync_until` passes: lazily when the slot is read or the old device
calls, and by the audit through `slot_writes.close_expired_final_sync`; (2) when the old installation has
uploaded everything it reported (a sync carrying its state, after which nothing it reported is missing); (3) on
`POST /v1/pos_devices/{id}/end_final_sync`. Each goes through `slot_writes.close_final_sync`, which writes the
slot and `pos_device.final_sync_closed` together; what is still missing is added to `lost_receipts`.
Numbering: domain/final_sync.py.
"""
from chalicelib import clock
from chalicelib.domain import final_sync as rules
from chalicelib.domain.devices import Device
from chalicelib.domain.roles import BACK_OFFICE_ROLES, require_role
from chalicelib.errors import Conflict
from chalicelib.services import sync
from chalicelib.services.common import Principal
from chalicelib.services.devices import get_device
from chalicelib.services.slot_writes import close_final_sync
from chalicelib.wiring import adapters


def end_final_sync(principal: Principal, device_id: str) -> Device:
    """The owner ends the window at once (a stolen device): its token dies, what it still owes is lost."""
    require_role(principal.role, BACK_OFFICE_ROLES, "end a final sync")
    get_device(principal, device_id)  # 404 first (and closes an expired window)
    closed = close_final_sync(principal.merchant_id, device_id, rules.ENDED, None, principal.actor,
                              principal=principal)
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
    # Stored as its history (the slot's own shift state belongs to the new installation), with the same
    # ownership rules as any sync: another slot's or installation's shift is refused, a closed shift is final.
    # Once the window closes meanwhile, nothing more lands (401 if nothing had, else the rest is rejected).
    sync.store_uploads(old, candidates, shifts, now, result, final_sync=(activation_id, now))
    highest = max((seq for seq, _ in candidates.values()), default=0)
    reported = min(device.final_sync_upto, max(highest, (state or {}).get("last_receipt_number", 0)))
    adapters().devices.record_final_sync_state(device, activation_id, reported, now)
    current = adapters().devices.get(device.merchant_id, device.id)
    result.window = current if current and current.final_sync_activation_id == activation_id else None
    if state is not None and result.window is not None and current.final_sync_owed == 0:
        closed = close_final_sync(device.merchant_id, device.id, rules.SYNCED, activation_id, principal.actor,
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
