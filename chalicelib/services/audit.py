"""The sync audit: raise, refresh or resolve findings for every ACTIVATED device.

Cost grows with devices, not receipts: device records come from the sparse ACTIVATED index, and a
device's receipts are read only when its counters say some are missing.
"""
import logging

from chalicelib import clock
from chalicelib.adapters.repositories import DeviceRepository, FindingRepository, ShiftRepository
from chalicelib.config import settings
from chalicelib.domain import audit as rules
from chalicelib.domain.devices import Device, Status
from chalicelib.domain.roles import BACK_OFFICE_ROLES, require_role
from chalicelib.services.common import Principal, new_id
from chalicelib.services.records import missing_receipts

log = logging.getLogger(__name__)
PAGE_SIZE = 100


def _summary() -> dict:
    return {"devices_checked": 0, "raised": 0, "refreshed": 0, "resolved": 0, "failed_devices": 0,
            "started_at": clock.iso(), "finished_at": None}


def run_all() -> dict:
    """The scheduled run: every merchant's ACTIVATED devices, page by page."""
    summary, cursor = _summary(), None
    while True:
        devices, cursor = DeviceRepository.list_activated(PAGE_SIZE, cursor)
        for device in devices:
            _audit_safely(device, summary)
        if not cursor:
            break
    summary["finished_at"] = clock.iso()
    log.info("audit run: %s", summary)
    return summary


def run_for_merchant(principal: Principal) -> dict:
    require_role(principal.role, BACK_OFFICE_ROLES, "run the audit")
    summary, cursor = _summary(), None
    while True:
        devices, cursor = DeviceRepository.list(principal.merchant_id, PAGE_SIZE, cursor,
                                                status=Status.ACTIVATED.value)
        for device in devices:
            _audit_safely(device, summary)
        if not cursor:
            break
    summary["finished_at"] = clock.iso()
    return summary


def _audit_safely(device: Device, summary: dict) -> None:
    try:
        for outcome in audit_device(device):
            summary[outcome] += 1
        summary["devices_checked"] += 1
    except Exception:  # one broken device must not stop the run for everybody else
        summary["failed_devices"] += 1
        log.exception("audit failed for device %s of merchant %s", device.id, device.merchant_id)


def audit_device(device: Device) -> list[str]:
    now = clock.now()
    cfg = settings()
    last_heard = device.last_sync_at or device.activated_at
    wanted = [
        rules.unsynced_finding(device.name, *(missing_receipts(device, rules.MAX_LISTED_NUMBERS)
                                              if device.unsynced_receipts else ([], 0))),
        rules.silent_finding(device.name, device.shift_open, clock.parse(last_heard) if last_heard else None, now,
                             cfg.silent_hours),
        rules.long_shift_finding(device.name, device.shift_open,
                                 clock.parse(device.shift_opened_at) if device.shift_opened_at else None, now,
                                 cfg.shift_max_hours),
    ]
    wanted_by_type = {f.type: f for f in wanted if f}
    open_by_type = {f["type"]: f for f in FindingRepository.open_for_device(device.merchant_id, device.id)}
    outcomes = []
    stamp = clock.iso(now)
    for type_, finding in wanted_by_type.items():
        current = open_by_type.get(type_)
        record = {"details": None, "details_key": finding.key, "details_params": finding.params,
                  "missing_receipt_numbers": list(finding.missing_receipt_numbers),
                  "missing_count": finding.missing_count, "last_seen_at": stamp}
        if current:
            FindingRepository.put(current | record)
            outcomes.append("refreshed")
        else:
            FindingRepository.put(record | {"merchant_id": device.merchant_id, "id": new_id(),
                                            "pos_device_id": device.id, "type": type_, "first_seen_at": stamp,
                                            "resolved_at": None})
            outcomes.append("raised")
    for type_, current in open_by_type.items():
        if type_ not in wanted_by_type and type_ not in rules.RAISED_ONCE:
            FindingRepository.put(current | {"resolved_at": stamp})
            outcomes.append("resolved")
    if wanted_by_type and not DeviceRepository.device_still_active(device):
        # Deactivated while we audited it: its resolve may have run before our writes, so resolve again.
        resolve_device_findings(device.merchant_id, device.id)
    return outcomes


def raise_left_open_shifts(device: Device, deleted: bool) -> int:
    """The slot is being deactivated (or deleted): its still-open shifts will never be closed by it. Flag
    them and raise a SHIFT_LEFT_OPEN finding for each (open until somebody looks; never auto-resolved)."""
    stamp = clock.iso()
    flagged = ShiftRepository.flag_open_of_device(device.merchant_id, device.id, stamp)
    for shift in flagged:
        finding = rules.left_open_finding(device.name, shift["opened_at"], deleted)
        FindingRepository.put({"merchant_id": device.merchant_id, "id": new_id(), "pos_device_id": device.id,
                               "type": finding.type, "details": None, "details_key": finding.key,
                               "details_params": finding.params, "missing_receipt_numbers": [], "missing_count": 0,
                               "first_seen_at": stamp, "last_seen_at": stamp, "resolved_at": None})
    return len(flagged)


def resolve_device_findings(merchant_id: str, device_id: str) -> None:
    """A deactivated or deleted slot has nothing left to audit: its receipts are written off."""
    stamp = clock.iso()
    for finding in FindingRepository.open_for_device(merchant_id, device_id):
        if finding["type"] not in rules.RAISED_ONCE:
            FindingRepository.put(finding | {"resolved_at": stamp})
