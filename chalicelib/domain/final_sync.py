"""Deactivation with a final sync window (docs/FINAL_SYNC.md), and the numbering rule that goes with it.

Numbering rule. Each activation of a slot owns one contiguous range of seqs; receipts stay
"{pos number}-{seq}". Deactivating with a window of N > 0 hours reserves the old installation's range
up to `final_sync_upto` = the highest seq taken so far + FINAL_SYNC_RESERVE. A new activation made
while the window is open starts right above the reservation (`final_sync_upto` + 1), so it sells at
once and can never collide with the old installation's late receipts. The old installation may only
upload receipts inside its own range (`written_off_upto` + 1 .. `final_sync_upto`); anything else is
rejected per receipt with RECEIPT_OUTSIDE_FINAL_SYNC. When the window closes, the numbers of its
range that the old installation never reported are `skipped` (never issued, so never missing); the
numbers it reported but did not upload become `lost_receipts`. If no new activation took numbers
meanwhile, the reservation is released and the next activation continues right after the old
installation's last number (no gap at all). The audit and the safe deletion count missing numbers
per activation range only (`open_ranges`), never in the gap between two ranges.
"""
from dataclasses import replace
from datetime import timedelta

from chalicelib.domain.devices import Action, Device, Status

FINAL_SYNC_RESERVE = 1000
MAX_FINAL_SYNC_HOURS = 168

EXPIRED, SYNCED, ENDED, DEACTIVATED, DELETED, ACTIVATED = (
    "EXPIRED", "SYNCED", "ENDED", "DEACTIVATED", "DELETED", "ACTIVATED")


def with_window(device: Device, now: str, until: str) -> Device:
    """The slot deactivated with a final-sync window until `until` (the caller closed any earlier window)."""
    device.check(Action.DEACTIVATE)
    top = device.numbering_top
    owed = device.unsynced_receipts  # everything the current installation reported and did not upload
    return replace(
        device, status=Status.INACTIVE, installation_id=None, activation_id=None, device_token_hash=None,
        current_employee_id=None, deactivated_at=now, updated_at=now, open_tickets=0, shift_open=False,
        open_shift_id=None, shift_opened_at=None,
        final_sync_until=until, final_sync_activation_id=device.activation_id,
        final_sync_installation_id=device.installation_id, final_sync_last_seq=top,
        final_sync_upto=top + FINAL_SYNC_RESERVE, final_sync_held=max(0, top - device.written_off_upto - owed),
        final_sync_received=0, final_sync_store_id=device.store_id,
        final_sync_employee_id=device.current_employee_id, final_sync_activated_at=device.activated_at,
    )


def closed(device: Device, now: str, reason: str) -> tuple[Device, dict]:
    """The slot with its window closed: what is still owed becomes lost; the unused reservation is skipped."""
    owed = device.final_sync_owed
    last_seq, upto = device.final_sync_last_seq, device.final_sync_upto
    new_range_started = device.first_seq > upto  # a new activation numbers above the reservation
    changes = dict(
        lost_receipts=device.lost_receipts + owed, updated_at=now,
        final_sync_until=None, final_sync_activation_id=None, final_sync_installation_id=None,
        final_sync_last_seq=0, final_sync_upto=0, final_sync_held=0, final_sync_received=0,
        final_sync_store_id=None, final_sync_employee_id=None, final_sync_activated_at=None,
    )
    if new_range_started:
        changes.update(skipped_receipts=device.skipped_receipts + (upto - last_seq), written_off_upto=upto)
    else:
        changes.update(written_off_upto=last_seq, last_receipt_number=max(device.last_receipt_number, last_seq))
    details = {"reason": reason, "installation_id": device.final_sync_installation_id,
               "received_receipts": device.final_sync_received, "lost_receipts": owed,
               "last_receipt_number": last_seq, "skipped_receipts": (upto - last_seq) if new_range_started else 0}
    if owed:
        details["lost_receipt_seqs"] = [device.written_off_upto + 1, last_seq]
    return replace(device, **changes), details


def old_installation(device: Device, activation_id: str) -> Device:
    """The slot as the old installation of the open window writes through it: its own activation, store and
    cashier (the slot may have been moved or activated on a new device since)."""
    return replace(device, activation_id=activation_id, store_id=device.final_sync_store_id or device.store_id,
                   current_employee_id=device.final_sync_employee_id)


def expired(device: Device, now_iso: str) -> bool:
    return device.final_sync_open and bool(device.final_sync_until) and device.final_sync_until <= now_iso


def until_from(now, hours: int):
    return now + timedelta(hours=hours)


def in_old_range(device: Device, seq: int) -> bool:
    return device.written_off_upto < seq <= device.final_sync_upto


def current_range_first(device: Device) -> int:
    """The first seq of the current activation's range: above an open window's reservation, and never below
    the activation's own first number."""
    first = device.final_sync_upto + 1 if device.final_sync_open else device.written_off_upto + 1
    return max(first, device.first_seq)


def open_ranges(device: Device) -> list[tuple[int, int]]:
    """The seq ranges whose numbers the server should hold and may lack: an open window's range (up to
    what the old installation reported) and the current activation's range. Never the gap between them."""
    ranges = []
    if device.final_sync_open:
        ranges.append((device.written_off_upto + 1, device.final_sync_last_seq))
    first_current = current_range_first(device)
    if device.last_receipt_number >= first_current:
        ranges.append((first_current, device.last_receipt_number))
    return [(first, last) for first, last in ranges if last >= first]
