"""What a response shows that the records do not hold: the fields derived from a slot, an employee or a deletion
(with the clock or the domain's rules), the slot as a deactivated installation sees it, and the receipts CSV
export. The response models (chalicelib/api/schemas/) only pick fields; what they derive comes from here."""
import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib import clock
from chalicelib.domain.deletion import Deletion
from chalicelib.domain.devices import Device, Status
from chalicelib.i18n import render


def device_fields(device) -> dict:
    """A slot as DeviceOut shows it: a domain Device with its derived fields (a dict is shown as it is)."""
    if isinstance(device, dict):
        return device
    expires = device.pairing_code_expires_at
    return vars(device) | {
        "activated": device.status == Status.ACTIVATED, "unsynced_receipts": device.unsynced_receipts,
        # A stored receipt reports its number too (its sync's state report may have lost a race).
        "last_receipt_number": max(device.last_receipt_number, device.stored_seq_high),
        "pairing_code_expires_at": expires if expires and expires > clock.iso() else None,  # a live code only
        "final_sync_until": device.final_sync_until if device.final_sync_open else None,
        "final_sync_owed_receipts": device.final_sync_owed}


def employee_fields(employee: dict) -> dict:
    """An employee record with its back-office access (NONE, INVITED, ACTIVE) and a live invitation's expiry."""
    from chalicelib.services.accounts import access_state

    state = access_state(employee)
    return employee | {"access": state,
                       "invitation_expires_at": employee.get("invitation_expires_at") if state == "INVITED" else None}


def deletion_fields(record: dict) -> dict:
    """A deletion record with its route and plan (records made before routes were kept get theirs from the
    domain's reading of the record)."""
    deletion = Deletion.from_dict(record)
    return record | {"route": deletion.route.value, "plan": deletion.plan}


def device_for_final_sync(d: Device, final_sync_until: str | None) -> dict:
    """The slot as a deactivated installation in its final-sync window sees it: INACTIVE, with its own activation's
    store, activated_at and counters (what it reported, what the server holds of its range, what it still owes),
    never those of a new installation of the slot. `d` is the slot while that window was open."""
    view = dataclasses.replace(d, status=Status.INACTIVE, installation_id=None, current_employee_id=None,
                               shift_open=False, open_tickets=0, pairing_code_expires_at=None)
    return vars(view) | {
        "activated": False, "store_id": d.final_sync_store_id or d.store_id, "activated_at": d.final_sync_activated_at,
        "last_receipt_number": d.final_sync_last_seq, "synced_receipts": d.final_sync_held,
        "unsynced_receipts": d.final_sync_owed, "final_sync_owed_receipts": d.final_sync_owed,
        "final_sync_until": final_sync_until}


RECEIPT_CSV_HEADER = ["receipt_number", "created_at", "receipt_type", "pos_device_name", "store", "employee",
                      "payment_types", "total", "tax", "currency", "synced_at"]


def _major(minor) -> str:
    """Minor units -> "12.50" (exact: integer arithmetic; a dot, as CSV readers expect)."""
    minor = int(minor or 0)
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    """A text cell of the export (a name someone typed): neutralised with a leading single quote when a
    spreadsheet would read it as a formula. Amounts are written by `_major`, so they stay numbers."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def receipt_csv_row(r: dict, names: dict, currency: str, excel_zone: str | None = None) -> list:
    """A row of the export; with `excel_zone` (the merchant's time zone) the Excel-ready form: amounts with a
    decimal comma, times there as dd.mm.yyyy hh:mm:ss, receipt and payment types in the request's language."""
    if excel_zone is None:
        return [r.get("receipt_number"), r.get("created_at"), r.get("receipt_type"),
                csv_text(r.get("pos_device_name")), csv_text(names["stores"].get(r.get("store_id"), "")),
                csv_text(names["employees"].get(r.get("employee_id"), "")),
                csv_text(" ".join(sorted({p.get("type", "") for p in r.get("payments") or []}))),
                _major(r.get("total_money")), _major(r.get("total_tax")), currency, r.get("synced_at")]
    types = sorted({p.get("type", "") for p in r.get("payments") or []})
    return [r.get("receipt_number"), _local(r.get("created_at"), excel_zone),
            render(f"receipt_type.{r.get('receipt_type')}", fallback=r.get("receipt_type")),
            csv_text(r.get("pos_device_name")), csv_text(names["stores"].get(r.get("store_id"), "")),
            csv_text(names["employees"].get(r.get("employee_id"), "")),
            csv_text(", ".join(render(f"payment_type.{t}", fallback=t) for t in types)),
            _major(r.get("total_money")).replace(".", ","), _major(r.get("total_tax")).replace(".", ","), currency,
            _local(r.get("synced_at"), excel_zone)]


def _local(moment: str | None, zone: str) -> str:
    """An ISO moment as a spreadsheet in that zone reads a date and time: 24.11.2026 11:00:00."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(zone)).strftime("%d.%m.%Y %H:%M:%S")
