"""Receipt numbering (`"{pos number}-{seq}"`) and gap detection."""
import re

from chalicelib.errors import InvalidInput

_NUMBER = re.compile(r"^([1-9][0-9]{0,8})-([1-9][0-9]{0,8})$")


def format_receipt_number(pos_number: int, seq: int) -> str:
    return f"{pos_number}-{seq}"


def parse_receipt_number(receipt_number: str) -> tuple[int, int]:
    match = _NUMBER.fullmatch(receipt_number or "")  # fullmatch: `$` would let "1-1\n" through
    if not match:
        raise InvalidInput(field="receipt_number", code="INVALID_RECEIPT_NUMBER", params={"number": receipt_number})
    return int(match.group(1)), int(match.group(2))


def missing_seqs(first: int, last: int, present: set[int], limit: int | None = None) -> list[int]:
    """Seqs in first..last (inclusive) the server does not hold; the lowest `limit` of them when given.

    With a limit the work is bounded by limit + len(present), however large `last` is (a POS may report 10**9)."""
    if limit is None:
        return [seq for seq in range(first, last + 1) if seq not in present]
    found, seq = [], first
    while seq <= last and len(found) < limit:
        if seq not in present:
            found.append(seq)
        seq += 1
    return found


def count_missing(first: int, last: int, present: set[int]) -> int:
    """How many seqs in first..last (inclusive) the server does not hold, without listing them."""
    return max(0, last - first + 1) - sum(1 for seq in present if first <= seq <= last)


def payments_match_total(receipt: dict) -> bool:
    """The payments of a receipt add up to its total (line items may carry discounts, so they are not checked)."""
    return sum(payment["money_amount"] for payment in receipt["payments"]) == receipt["total_money"]
