"""Receipt numbering (`"{pos number}-{seq}"`) and gap detection."""
import re

from chalicelib.errors import InvalidInput

_NUMBER = re.compile(r"^([1-9][0-9]{0,8})-([1-9][0-9]{0,8})$")


def format_receipt_number(pos_number: int, seq: int) -> str:
    return f"{pos_number}-{seq}"


def parse_receipt_number(receipt_number: str) -> tuple[int, int]:
    match = _NUMBER.match(receipt_number or "")
    if not match:
        raise InvalidInput(
            f"'{receipt_number}' is not a receipt number; the form is '<pos number>-<seq>', e.g. '2-17'.",
            field="receipt_number", code="INVALID_RECEIPT_NUMBER",
        )
    return int(match.group(1)), int(match.group(2))


def missing_seqs(first: int, last: int, present: set[int]) -> list[int]:
    """Seqs in first..last (inclusive) the server does not hold."""
    return [seq for seq in range(first, last + 1) if seq not in present]


def money_total_ok(receipt: dict) -> bool:
    """A receipt's payments must cover its total; line items must add up."""
    items_total = sum(item["total_money"] for item in receipt["line_items"])
    paid = sum(payment["money_amount"] for payment in receipt["payments"])
    return items_total == receipt["total_money"] and paid == receipt["total_money"]
