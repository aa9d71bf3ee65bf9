"""The sales summary's counters (issue 25): pure rules, no storage.

A receipt is counted once, in the transaction that stores it (`Receipts.store_batch`), into counter rows keyed by
(merchant, scope, local day): scope "all" (the merchant), "store#<id>" and "pos#<id>". Each row holds named
integer counters, so that one query of one scope over a range of days answers every grouping:

    n, g, r                 receipts, gross sales (SALE totals), refunds (REFUND totals)
    p#<TYPE>#n|g|r          receipts paid (partly) with TYPE; SALE payments; REFUND payments of that type
    e#<employee>#n|g|r      per employee ("-" when the receipt has none)
    s#<store>#n|g|r         per store (in a store's scope: that store alone)
    d#<POS>#n|g|r           per POS device (in a POS's scope: that POS alone)

A batch of receipts adds to at most 3 rows per local day it touches (its POS belongs to one store): the stores
aggregate a batch's counters per row first, so one write carries a few updates, whatever the receipt count.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

GROUPS = ("day", "store", "pos_device", "employee", "payment_type")
_PREFIX = {"store": "s", "pos_device": "d", "employee": "e", "payment_type": "p"}
NO_EMPLOYEE = "-"
# The local days one store_batch may touch (3 counter rows each): with the DynamoDB adapter's 2 items per receipt
# and the slot's counter, 43 receipts + 4 days x 3 rows = 99 items of TransactWriteItems' 100.
MAX_DAYS_PER_BATCH = 4


def local_day(moment: datetime | str, time_zone: str) -> str:
    """The merchant's calendar day (YYYY-MM-DD) of a moment."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(ZoneInfo(time_zone)).date().isoformat()


def day_of(receipt: dict) -> str:
    """The local day a stored receipt counts on (`sales_day`, set when it was synced; UTC for an older one)."""
    return receipt.get("sales_day") or local_day(receipt["created_at"], "UTC")


def scopes_of(receipt: dict) -> list[str]:
    return ["all", f"store#{receipt['store_id']}", f"pos#{receipt['pos_device_id']}"]


def counter_deltas(receipts: list[dict]) -> dict[tuple[str, str], dict[str, int]]:
    """{(scope, day): {counter name: amount to add}} for a batch of receipts (see the module's doc)."""
    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for receipt in receipts:
        refund = receipt.get("receipt_type") == "REFUND"
        total = int(receipt.get("total_money") or 0)
        figures = {"n": 1, "g": 0 if refund else total, "r": total if refund else 0}
        by_type: dict[str, int] = defaultdict(int)
        for payment in receipt.get("payments") or []:
            by_type[payment["type"]] += int(payment.get("money_amount") or 0)
        members = {"e": receipt.get("employee_id") or NO_EMPLOYEE, "s": receipt["store_id"],
                   "d": receipt["pos_device_id"]}
        day = day_of(receipt)
        for scope in scopes_of(receipt):
            row = rows[(scope, day)]
            for name, value in figures.items():
                row[name] += value
            for type_, amount in by_type.items():
                row[f"p#{type_}#n"] += 1
                row[f"p#{type_}#{'r' if refund else 'g'}"] += amount
            for prefix, member in members.items():
                for name, value in figures.items():
                    row[f"{prefix}#{member}#{name}"] += value
    return {key: {name: value for name, value in row.items() if value} | {"n": row["n"]}
            for key, row in rows.items()}


def batch_bounds(days: list[str], per_transaction: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive chunks of a batch's receipts (given their local days, in order): at most
    `per_transaction` receipts and MAX_DAYS_PER_BATCH distinct days each."""
    bounds, start, seen = [], 0, set()
    for position, day in enumerate(days):
        if position - start >= per_transaction or (day not in seen and len(seen) >= MAX_DAYS_PER_BATCH):
            bounds.append((start, position))
            start, seen = position, set()
        seen.add(day)
    if start < len(days):
        bounds.append((start, len(days)))
    return bounds


def scope_for(store_id: str | None, pos_device_id: str | None) -> str:
    if pos_device_id:
        return f"pos#{pos_device_id}"
    if store_id:
        return f"store#{store_id}"
    return "all"


def _figures(n: int, gross: int, refunds: int) -> dict:
    return {"receipt_count": n, "gross_sales": gross, "refunds": refunds, "net_sales": gross - refunds}


def summarise(rows: list[tuple[str, dict[str, int]]], group_by: str) -> dict:
    """The summary of counter rows [(day, counters)] of one scope: totals, by payment type, and the groups
    (by day, store, POS, employee or payment type), each group's key and figures."""
    total: dict[str, int] = defaultdict(int)
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    payments: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    prefix = _PREFIX.get(group_by)
    for day, counters in rows:
        for name, value in counters.items():
            parts = name.split("#")
            if len(parts) == 1:
                total[name] += value
                if group_by == "day":
                    groups[day][name] += value
                continue
            kind, member, figure = parts[0], "#".join(parts[1:-1]), parts[-1]
            if kind == "p":
                payments[member][figure] += value
            if kind == prefix:
                groups[member][figure] += value
    return {
        "totals": _figures(total["n"], total["g"], total["r"]),
        "by_payment_type": [{"payment_type": type_, "receipt_count": f["n"], "sales": f["g"], "refunds": f["r"],
                             "net": f["g"] - f["r"]} for type_, f in sorted(payments.items())],
        "groups": [{"key": key} | _figures(f["n"], f["g"], f["r"]) for key, f in sorted(groups.items())],
    }


def check_range(day_from: date, day_to: date, max_days: int) -> bool:
    return day_from <= day_to and (day_to - day_from).days < max_days
