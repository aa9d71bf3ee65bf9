"""Stored records -> the public JSON of DESIGN.md section 3 (nothing secret leaves here).

Records keep messages as `{key, params}`; they become sentences here, in the request's language."""
from chalicelib import clock
from chalicelib.api import event_text
from chalicelib.domain.deletion import Deletion
from chalicelib.domain.devices import Device, Status
from chalicelib.i18n import text_of


def merchant(m: dict) -> dict:
    # Accounts made before currencies were kept: EUR, the old implied default.
    return {"id": m["id"], "business_name": m["business_name"], "currency": m.get("currency") or "EUR",
            "created_at": m["created_at"]}


def employee(e: dict) -> dict:
    # PINs and password hashes are write-only.
    return {"id": e["id"], "name": e["name"], "email": e.get("email"), "role": e["role"],
            "store_ids": list(e.get("store_ids") or []), "has_pin": bool(e.get("pin_hash")),
            "created_at": e["created_at"], "updated_at": e["updated_at"]}


def store(s: dict) -> dict:
    return {"id": s["id"], "name": s["name"], "address": s.get("address"), "created_at": s["created_at"]}


def deletion(d: dict | None) -> dict | None:
    if not d:
        return None
    error = d.get("error")
    return {"id": d["id"], "status": d["status"], "step": d.get("step"),
            "route": (record := Deletion.from_dict(d)).route.value, "plan": record.plan,
            "steps": [{"step": s.get("step"), "at": s.get("at"), "details": text_of(s) or ""}
                      for s in d.get("steps", [])],
            "error": {"code": error.get("code"), "details": text_of(error) or ""} if error else None,
            "force": bool(d.get("force")), "started_at": d["started_at"], "finished_at": d.get("finished_at")}


def device(d: Device) -> dict:
    return {
        "id": d.id, "name": d.name, "store_id": d.store_id, "number": d.number, "status": d.status.value,
        "activated": d.status == Status.ACTIVATED, "installation_id": d.installation_id,
        "activated_at": d.activated_at, "deactivated_at": d.deactivated_at,
        "current_employee_id": d.current_employee_id, "last_sync_at": d.last_sync_at,
        "last_receipt_number": d.last_receipt_number, "synced_receipts": d.synced_receipts,
        "unsynced_receipts": d.unsynced_receipts, "lost_receipts": d.lost_receipts,
        "shift_open": d.shift_open, "open_tickets": d.open_tickets,
        "pairing_code_expires_at": _live(d.pairing_code_expires_at),
        "final_sync_until": d.final_sync_until if d.final_sync_open else None,
        "final_sync_owed_receipts": d.final_sync_owed, "deletion": deletion(d.deletion),
        "created_at": d.created_at, "updated_at": d.updated_at, "deleted_at": d.deleted_at,
    }


def device_for_final_sync(d: Device, final_sync_until: str | None) -> dict:
    """The slot as a deactivated installation in its final-sync window sees it: INACTIVE, whoever holds it now."""
    return device(d) | {
        "status": Status.INACTIVE.value, "activated": False, "installation_id": None, "current_employee_id": None,
        "shift_open": False, "open_tickets": 0, "pairing_code_expires_at": None,
        "final_sync_until": final_sync_until}


def _live(expires_at: str | None) -> str | None:
    return expires_at if expires_at and expires_at > clock.iso() else None


def rejection(item: dict) -> dict:
    """A receipt the sync refused: `{id, code, details}`, the sentence in the request's language."""
    return {"id": item.get("id"), "code": item["code"], "details": text_of(item) or item.get("details") or ""}


def receipt(r: dict) -> dict:
    keys = ("id", "receipt_number", "receipt_type", "pos_device_id", "pos_device_name", "store_id", "shift_id",
            "employee_id", "created_at", "synced_at", "line_items", "payments", "total_money", "total_tax")
    return {k: r.get(k) for k in keys}


RECEIPT_CSV_HEADER = ["receipt_number", "created_at", "receipt_type", "pos_device_name", "store", "employee",
                      "payment_types", "total", "tax", "currency", "synced_at"]


def _major(minor) -> str:
    """Minor units -> "12.50" (exact: integer arithmetic; a dot, as CSV readers expect)."""
    minor = int(minor or 0)
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def receipt_csv_row(r: dict, names: dict, currency: str) -> list:
    return [r.get("receipt_number"), r.get("created_at"), r.get("receipt_type"), r.get("pos_device_name"),
            names["stores"].get(r.get("store_id"), ""), names["employees"].get(r.get("employee_id"), ""),
            " ".join(sorted({p.get("type", "") for p in r.get("payments") or []})), _major(r.get("total_money")),
            _major(r.get("total_tax")), currency, r.get("synced_at")]


def shift(s: dict) -> dict:
    keys = ("id", "pos_device_id", "store_id", "opened_at", "closed_at", "opened_by_employee", "closed_by_employee",
            "starting_cash", "expected_cash", "actual_cash", "orphaned_at")
    return {k: s.get(k) for k in keys}


def finding(f: dict) -> dict:
    keys = ("id", "pos_device_id", "type", "details", "missing_receipt_numbers", "missing_count", "first_seen_at",
            "last_seen_at", "resolved_at")
    out = {k: f.get(k) for k in keys}
    if f.get("details_key"):  # stored as a message; old records hold an English sentence
        out["details"] = text_of({"key": f["details_key"], "params": f.get("details_params") or {},
                                  "details": f.get("details")})
    return out


def event(e: dict, names: dict | None = None) -> dict:
    """`text` and `actor_name` are sentences in the request's language (null without `names`)."""
    out = {k: e.get(k) for k in ("id", "pos_device_id", "type", "actor", "at", "details")}
    out["text"] = event_text.text(e, names) if names is not None else None
    out["actor_name"] = event_text.actor_name(e.get("actor"), names) if names is not None else None
    return out


def listing(key: str, items: list, cursor: str | None, present) -> dict:
    return {key: [present(i) for i in items], "cursor": cursor}
