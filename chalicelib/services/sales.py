"""The sales summary (issue 25): read from the counters the syncs keep (chalicelib/domain/sales.py), never from the
receipts themselves.

Requests per summary: one GetItem (the merchant: currency, time zone), one Query per scope read (one for the whole
merchant, a store or a POS; one per store of a store-limited caller without a filter), plus one GetItem of the
POS when filtering by one, and one BatchGetItem for the groups' names (stores, POS devices or employees) -
independent of how many receipts the days hold.
"""
from datetime import date, timedelta

from chalicelib import clock
from chalicelib.domain import sales
from chalicelib.errors import InvalidInput
from chalicelib.services.common import Principal, not_found
from chalicelib.wiring import adapters

MAX_DAYS = 366


def summary(principal: Principal, day_from: date | None, day_to: date | None, group_by: str = "day",
            store_id: str | None = None, pos_device_id: str | None = None) -> dict:
    merchant = adapters().accounts.get_merchant(principal.merchant_id) or {}
    time_zone = merchant.get("time_zone") or "UTC"
    if day_from is None:
        day_from = date.fromisoformat(sales.local_day(clock.now(), time_zone))
    day_to = day_to or day_from
    if day_from > day_to:
        raise InvalidInput(field="from", code="INVALID_RANGE", key="INVALID_RANGE.sales_days",
                           params={"min": day_from.isoformat(), "max": day_to.isoformat()})
    if (day_to - day_from).days >= MAX_DAYS:
        raise InvalidInput(field="to", code="RANGE_TOO_LONG", params={"days": MAX_DAYS})
    rows = []
    for scope in _scopes(principal, store_id, pos_device_id):
        rows += adapters().receipts.sales_counters(principal.merchant_id, scope, day_from.isoformat(),
                                                   day_to.isoformat())
    result = sales.summarise(rows, group_by)
    if group_by == "day":
        result["groups"] = _every_day(result["groups"], day_from, day_to)
    names = _names(principal, group_by, [g["key"] for g in result["groups"]])
    for group in result["groups"]:
        group["name"] = names.get(group["key"])
    return result | {"day_from": day_from.isoformat(), "day_to": day_to.isoformat(), "group_by": group_by,
                     "currency": merchant.get("currency") or "EUR", "time_zone": time_zone}


def _scopes(principal: Principal, store_id: str | None, pos_device_id: str | None) -> list[str]:
    """The counter scopes to read: a POS's, a store's, the merchant's - or, for a caller limited to some stores
    (Principal.store_ids), each of those stores'."""
    if pos_device_id:
        device = adapters().devices.get(principal.merchant_id, pos_device_id)
        if device is None or not principal.sees_store(device.store_id):
            raise not_found("POS device")
        if store_id and store_id != device.store_id:
            raise InvalidInput(field="store_id", code="POS_NOT_IN_STORE")
        return [sales.scope_for(None, pos_device_id)]
    if store_id:
        if not principal.sees_store(store_id):
            raise not_found("store")
        return [sales.scope_for(store_id, None)]
    if principal.store_ids is not None:
        return [sales.scope_for(s, None) for s in sorted(principal.store_ids)]
    return ["all"]


def _every_day(groups: list[dict], day_from: date, day_to: date) -> list[dict]:
    """A group per day of the range, the days without receipts too (a chart's x axis)."""
    by_day = {g["key"]: g for g in groups}
    days = [(day_from + timedelta(days=n)).isoformat() for n in range((day_to - day_from).days + 1)]
    return [by_day.get(day) or {"key": day, "receipt_count": 0, "gross_sales": 0, "refunds": 0, "net_sales": 0}
            for day in days]


def _names(principal: Principal, group_by: str, keys: list[str]) -> dict[str, str]:
    ids = [k for k in keys if k != sales.NO_EMPLOYEE]
    if not ids:
        return {}
    if group_by == "store":
        return {k: v["name"] for k, v in adapters().stores.get_many(principal.merchant_id, ids).items()}
    if group_by == "pos_device":
        return {k: d.name for k, d in adapters().devices.get_many(principal.merchant_id, ids).items()}
    if group_by == "employee":
        return {k: v["name"] for k, v in adapters().accounts.get_employees(principal.merchant_id, ids).items()}
    return {}
