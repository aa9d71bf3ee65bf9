"""What a POS sends, screened item by item before a sync (or a final-sync upload) sorts it.

A receipt or shift that fails here is refused on its own, in the answer's `rejected` / `rejected_shifts`, as
the sync refuses the others; the rest of the batch goes on:
- a receipt's `employee_id` must name an employee of the slot's merchant as they are now: another merchant's
  id, a made-up one or a deleted employee's is UNKNOWN_EMPLOYEE;
- device timestamps must lie between EARLIEST and the server's clock + MAX_AHEAD (a till's clock may be off,
  not by years): TIMESTAMP_OUT_OF_RANGE; a shift closed before it opened is SHIFT_CLOSED_BEFORE_OPENED.
"""
from datetime import UTC, datetime, timedelta

from chalicelib import clock
from chalicelib.services import sync
from chalicelib.services.common import Principal
from chalicelib.wiring import adapters

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(hours=24)


def _refusal(item_id, code: str, params: dict, key: str | None = None) -> dict:
    return sync.rejection(item_id, code, key=key, params=params)


def screen(principal: Principal, receipts: list[dict], shifts: list[dict]) -> tuple[list, list, list, list]:
    """(receipts kept, receipts refused, shifts kept, shifts refused); the refusals in the sync answer's form."""
    now = clock.now()
    latest = now + MAX_AHEAD
    ids = {r["employee_id"] for r in receipts if r.get("employee_id")}
    known = set(adapters().accounts.get_employees(principal.merchant_id, ids)) if ids else set()

    def out_of_range(field: str, moment: datetime | None) -> dict | None:
        if moment is None or EARLIEST <= moment <= latest:
            return None
        return {"field": field, "value": clock.iso(moment), "earliest": clock.iso(EARLIEST),
                "latest": clock.iso(latest)}

    kept, refused = [], []
    for receipt in receipts:
        if receipt.get("employee_id") and receipt["employee_id"] not in known:
            refused.append(_refusal(receipt["id"], "UNKNOWN_EMPLOYEE", {"id": receipt["employee_id"]}))
        elif (bad := out_of_range("created_at", receipt["created_at"])) is not None:
            refused.append(_refusal(receipt["id"], "TIMESTAMP_OUT_OF_RANGE", bad))
        else:
            kept.append(receipt)

    kept_shifts, refused_shifts = [], []
    for shift in shifts:
        bad = out_of_range("opened_at", shift["opened_at"]) or out_of_range("closed_at", shift.get("closed_at"))
        if bad is not None:
            refused_shifts.append(_refusal(shift["id"], "TIMESTAMP_OUT_OF_RANGE", bad))
        elif shift.get("closed_at") is not None and shift["closed_at"] < shift["opened_at"]:
            refused_shifts.append(_refusal(shift["id"], "SHIFT_CLOSED_BEFORE_OPENED", {
                "opened_at": clock.iso(shift["opened_at"]), "closed_at": clock.iso(shift["closed_at"])}))
        else:
            kept_shifts.append(shift)
    return kept, refused, kept_shifts, refused_shifts
