"""Reading what was synced and logged; every read is scoped to the caller's merchant."""
import json
import re

from chalicelib import clock
from chalicelib.domain.devices import Device
from chalicelib.domain.final_sync import open_ranges
from chalicelib.domain.receipts import count_missing, format_receipt_number, missing_seqs, parse_receipt_number
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.common import Principal
from chalicelib.wiring import adapters


# Lambda answers at most 6 MB, and the body travels JSON-escaped inside its payload (quotes, non-ASCII as
# \uXXXX): a page of receipts (or a CSV part) ends early, with a cursor, once it holds about this much.
RESPONSE_BUDGET_BYTES = 2_000_000
CSV_BUDGET_BYTES = 3_000_000


def list_receipts(principal: Principal, limit, cursor, pos_device_id=None, store_id=None, created_min=None,
                  created_max=None, receipt_number=None, employee_id=None, payment_type=None,
                  max_bytes: int | None = None):
    """A page of receipts, newest first: at most `limit`, and fewer when `limit` of them would weigh more than
    `max_bytes` (a receipt holds up to 500 line items: 250 of them reach 20 MB). The page then ends after the
    receipts that fit (always at least one), with the cursor to go on from there. `max_bytes`: RESPONSE_BUDGET_BYTES
    by default."""
    if created_min and created_max and created_min > created_max:
        # DynamoDB refuses a BETWEEN whose bounds are reversed (a ValidationException, once a 500).
        raise InvalidInput(field="created_at_min", code="INVALID_RANGE", key="INVALID_RANGE.created_at",
                           params={"min": clock.iso(created_min), "max": clock.iso(created_max)})

    def read(count):
        return adapters().receipts.list(
            principal.merchant_id, count, cursor, pos_device_id=pos_device_id, store_id=store_id,
            created_min=clock.sort_key(created_min) if created_min else None,
            created_max=clock.sort_key(created_max) if created_max else None,
            receipt_number=receipt_number, employee_id=employee_id, payment_type=payment_type)

    items, next_cursor = read(limit)
    fit = _fitting(items, RESPONSE_BUDGET_BYTES if max_bytes is None else max_bytes)
    if fit < len(items):
        # The same query, ending after the receipts that fit: the adapter's cursor then points right after them.
        items, next_cursor = read(fit)
    return items, next_cursor


def _fitting(items: list[dict], max_bytes: int) -> int:
    """How many of `items`, from the first, fit in `max_bytes` of JSON (at least one)."""
    total = 0
    for count, item in enumerate(items):
        total += len(json.dumps(item, ensure_ascii=False, default=str).encode("utf-8"))
        if total > max_bytes:
            return max(1, count)
    return len(items)


def merchant(principal: Principal) -> dict:
    return adapters().accounts.get_merchant(principal.merchant_id) or {}


def merchant_currency(principal: Principal) -> str:
    merchant = adapters().accounts.get_merchant(principal.merchant_id) or {}
    return merchant.get("currency") or "EUR"


EXPORT_PAGE = 250  # DynamoDB reads per part of an export; a part holds up to `limit` rows


def export_receipts(principal: Principal, limit: int, cursor, **filters):
    """Rows for a CSV export, read page by page: yields (receipts, names) chunks; returns the next cursor.

    The caller writes each chunk out before the next one is read, so memory stays at one page; it sends back
    (generator.send) how much it has written (characters), and the part ends, with a cursor, once that passes
    CSV_BUDGET_BYTES (a 10,000-row part of long names reached 6.4 MB, over Lambda's 6 MB)."""
    remaining = limit
    while remaining > 0:
        items, cursor = list_receipts(principal, min(EXPORT_PAGE, remaining), cursor, **filters)
        remaining -= len(items)
        employees = adapters().accounts.get_employees(principal.merchant_id, {r["employee_id"] for r in items
                                                                              if r.get("employee_id")})
        stores = adapters().stores.get_many(principal.merchant_id, {r["store_id"] for r in items})
        written = yield items, {"employees": {k: v["name"] for k, v in employees.items()},
                                "stores": {k: v["name"] for k, v in stores.items()}}
        if not cursor or (written or 0) >= CSV_BUDGET_BYTES:
            break
    return cursor


def get_receipt(principal: Principal, receipt_number: str) -> dict:
    try:
        parse_receipt_number(receipt_number)
    except Exception:
        raise NotFound(key="NOT_FOUND.receipt") from None
    receipt = adapters().receipts.get(principal.merchant_id, receipt_number)
    if not receipt:
        raise NotFound(key="NOT_FOUND.receipt")
    return receipt


def list_shifts(principal: Principal, limit, cursor, pos_device_id=None, store_id=None):
    return adapters().shifts.list(principal.merchant_id, limit, cursor, pos_device_id=pos_device_id, store_id=store_id)


def list_findings(principal: Principal, limit, cursor, status=None, pos_device_id=None):
    return adapters().findings.list(principal.merchant_id, limit, cursor, status=status, pos_device_id=pos_device_id)


def list_events(principal: Principal, limit, cursor, pos_device_id=None):
    return adapters().events.list(principal.merchant_id, limit, cursor, pos_device_id=pos_device_id)


_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def names_for_events(principal: Principal, events: list[dict]) -> dict:
    """The names the events' sentences mention: employees, POS devices (deleted ones too) and stores."""
    employees, devices, stores = set(), set(), set()
    for event in events:
        details, actor = event.get("details") or {}, event.get("actor") or {}
        if event.get("pos_device_id"):
            devices.add(event["pos_device_id"])
        if actor.get("type") == "employee" and actor.get("id"):
            employees.add(actor["id"])
        if actor.get("type") == "pos_device":
            devices.add(actor.get("id"))
            employees.add(actor.get("employee_id"))
        for key in ("employee_id", "from", "to") if event["type"] != "pos_device.renamed" else ("employee_id",):
            employees.add(details.get(key))
        for key in ("store_id", "from_store_id", "to_store_id"):
            stores.add(details.get(key))

    def valid(ids):
        return [i for i in ids if isinstance(i, str) and _ID.match(i)]

    merchant = principal.merchant_id
    return {
        "employees": {k: v["name"] for k, v in adapters().accounts.get_employees(merchant, valid(employees)).items()},
        "devices": {k: {"name": v.name, "number": v.number}
                    for k, v in adapters().devices.get_many(merchant, valid(devices)).items()},
        "stores": {k: v["name"] for k, v in adapters().stores.get_many(merchant, valid(stores)).items()},
    }


def missing_receipt_numbers(device: Device, limit: int | None = None) -> list[str]:
    return missing_receipts(device, limit)[0]


def missing_receipts(device: Device, limit: int | None) -> tuple[list[str], int]:
    """The lowest `limit` missing receipt numbers (all when None) and how many are missing in all."""
    # Per activation range (an open final-sync window's and the current one's), never the gap between them.
    ranges = open_ranges(device)
    if not ranges:
        return [], 0
    present = adapters().receipts.seqs_of_device(device.merchant_id, device.number)
    seqs: list[int] = []
    total = 0
    for first, last in ranges:
        seqs += missing_seqs(first, last, present, None if limit is None else max(0, limit - len(seqs)))
        total += count_missing(first, last, present)
    return [format_receipt_number(device.number, seq) for seq in seqs], total
