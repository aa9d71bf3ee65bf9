"""The findings a slot's own change raises or resolves, and the events of every finding.

Apart from the audit (services/audit.py) because the slot write path (services/slot_writes.py) needs them when a
slot is deactivated, deleted or its final-sync window closes, and the audit needs that write path: here, both
import it and neither imports the other's importer."""
from chalicelib import clock
from chalicelib.domain import actors
from chalicelib.domain import audit as rules
from chalicelib.domain.devices import Device
from chalicelib.services.common import new_event, new_id
from chalicelib.wiring import adapters

MAX_NUMBERS_IN_EVENT = 100  # an event names at most this many missing receipt numbers (and the count)


def finding_event(type_: str, finding: dict) -> dict:
    """audit.finding_raised / audit.finding_resolved, written with the finding's change (the outbox)."""
    numbers = list(finding.get("missing_receipt_numbers") or [])
    details = {"finding_id": finding["id"], "finding_type": finding["type"],
               "missing_count": int(finding.get("missing_count") or len(numbers)),
               "missing_receipt_numbers": numbers[:MAX_NUMBERS_IN_EVENT]}
    if finding.get("details_key"):
        details |= {"details_key": finding["details_key"], "details_params": finding.get("details_params") or {}}
    return new_event(finding["merchant_id"], type_, actors.AUDIT, finding["pos_device_id"], details)


def raise_left_open_shifts(device: Device, deleted: bool, activation_id: str | None = None) -> int:
    """The slot is being deactivated (or deleted): its still-open shifts will never be closed by it. Flag
    them and raise a SHIFT_LEFT_OPEN finding for each (open until somebody looks; never auto-resolved).
    With `activation_id`, only that installation's shifts (its final-sync window closed; the slot may have
    a new installation whose shift is not left open)."""
    stamp = clock.iso()
    flagged = adapters().shifts.flag_open_of_device(device.merchant_id, device.id, stamp, activation_id)
    for shift in flagged:
        finding = rules.left_open_finding(device.name, shift["opened_at"], deleted)
        record = {"merchant_id": device.merchant_id, "id": new_id(), "pos_device_id": device.id,
                  "type": finding.type, "details": None, "details_key": finding.key,
                  "details_params": finding.params, "missing_receipt_numbers": [], "missing_count": 0,
                  "first_seen_at": stamp, "last_seen_at": stamp, "resolved_at": None}
        adapters().findings.put(record, event=finding_event("audit.finding_raised", record))
    return len(flagged)


def resolve_device_findings(merchant_id: str, device_id: str) -> None:
    """A deactivated or deleted slot has nothing left to audit: its receipts are written off."""
    stamp = clock.iso()
    for type_, finding_id in adapters().findings.open_ids_for_device(merchant_id, device_id):
        adapters().findings.resolve(merchant_id, device_id, type_, finding_id, stamp, event=finding_event(
            "audit.finding_resolved", {"merchant_id": merchant_id, "id": finding_id, "pos_device_id": device_id,
                                       "type": type_}))
