"""Reading what was synced and logged; every read is scoped to the caller's merchant."""
import json
import re

from chalicelib import clock
from chalicelib.domain import actors
from chalicelib.domain.devices import Device
from chalicelib.domain.final_sync import open_ranges
from chalicelib.domain.receipts import count_missing, format_receipt_number, missing_seqs, parse_receipt_number
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.common import Principal
from chalicelib.services.scope import scoped_page
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

    def adapter_read(count, after, store):
        return adapters().receipts.list(
            principal.merchant_id, count, after, pos_device_id=pos_device_id, store_id=store,
            created_min=clock.sort_key(created_min) if created_min else None,
            created_max=clock.sort_key(created_max) if created_max else None,
            receipt_number=receipt_number, employee_id=employee_id, payment_type=payment_type)

    def read(count):  # only the caller's stores' receipts (scope.py), whatever the cursor and the filters
        return scoped_page(principal, adapter_read, count, cursor, store_id)

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
    if not receipt or not principal.sees_store(receipt.get("store_id")):
        raise NotFound(key="NOT_FOUND.receipt")
    return receipt


def list_shifts(principal: Principal, limit, cursor, pos_device_id=None, store_id=None):
    return scoped_page(principal, lambda count, after, store: adapters().shifts.list(
        principal.merchant_id, count, after, pos_device_id=pos_device_id, store_id=store), limit, cursor, store_id)


def list_findings(principal: Principal, limit, cursor, status=None, pos_device_id=None):
    """A finding belongs to its POS's store (the POS's current one)."""
    if pos_device_id and principal.store_ids is not None and not _devices_in_scope(principal, [pos_device_id])[0]:
        return [], None
    return scoped_page(principal, lambda count, after, _store: adapters().findings.list(
        principal.merchant_id, count, after, status=status, pos_device_id=pos_device_id), limit, cursor,
        in_scope=lambda items: _devices_in_scope(principal, [f.get("pos_device_id") for f in items]), by_store=False)


def list_events(principal: Principal, limit, cursor, pos_device_id=None, actor_id=None):
    """An event of a POS belongs to the POS's (current) store; an event of a store to that store; the others
    (employees, the merchant) only to OWNER and ADMINISTRATOR."""
    def in_scope(items):
        devices = _devices_in_scope(principal, [e.get("pos_device_id") for e in items])
        return [seen if e.get("pos_device_id") else principal.sees_store((e.get("details") or {}).get("store_id"))
                and e["type"].startswith("store.") for e, seen in zip(items, devices)]

    if pos_device_id and principal.store_ids is not None and not _devices_in_scope(principal, [pos_device_id])[0]:
        return [], None
    filters = {"pos_device_id": pos_device_id, "actor_ids": actors.filter_ids(actor_id) if actor_id else ()}
    return scoped_page(principal, lambda count, after, _store: adapters().events.list(
        principal.merchant_id, count, after, **filters), limit, cursor, in_scope=in_scope, by_store=False)


def _devices_in_scope(principal: Principal, device_ids: list) -> list[bool]:
    """For each POS id (None allowed): whether it is a POS of the caller's stores (deleted ones too)."""
    wanted = {i for i in device_ids if i}
    found = adapters().devices.get_many(principal.merchant_id, wanted) if wanted else {}
    return [bool(i) and i in found and principal.sees_store(found[i].store_id) for i in device_ids]


_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def names_for_events(principal: Principal, events: list[dict]) -> dict:
    """The names the events' sentences mention: employees, POS devices (deleted ones too) and stores."""
    employees, devices, stores = set(), set(), set()
    for event in events:
        details, actor = event.get("details") or {}, actors.normalize(event.get("actor"))
        if event.get("pos_device_id"):
            devices.add(event["pos_device_id"])
        if actor["type"] == actors.EMPLOYEE and actor.get("id"):
            employees.add(actor["id"])
        if actor["type"] == actors.DEVICE:
            devices.add(actor.get("id"))
            employees.add(actor.get("employee_id"))
        for key in ("employee_id", "from", "to") if event["type"] != "pos_device.renamed" else ("employee_id",):
            employees.add(details.get(key))
        for key in ("store_id", "from_store_id", "to_store_id"):
            stores.add(details.get(key))

    def valid(ids):
        return [i for i in ids if isinstance(i, str) and _ID.match(i)]

    merchant = principal.merchant_id
    found = adapters().accounts.get_employees(merchant, valid(employees))
    return {
        "employees": {k: v["name"] for k, v in found.items()},
        "roles": {k: v["role"] for k, v in found.items()},  # for the actors of events written before v1.2
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
