"""Receipt numbering "{pos number}-{seq}" and gap detection (chalicelib/domain/receipts.py)."""
import pytest

from chalicelib.domain.receipts import format_receipt_number, missing_seqs, parse_receipt_number, payments_match_total
from chalicelib.errors import InvalidInput


@pytest.mark.parametrize(("number", "seq", "text"), [(1, 1, "1-1"), (2, 17, "2-17"), (123456789, 987654321,
                                                                                      "123456789-987654321")])
def test_format_and_parse_round_trip(number, seq, text):
    assert format_receipt_number(number, seq) == text
    assert parse_receipt_number(text) == (number, seq)


@pytest.mark.parametrize("text", [
    "", None, "1", "1-", "-1", "1--1", "1-2-3", "0-1", "1-0", "01-1", "1-01", "a-1", "1-b", "1.5-2", "+1-2",
    " 1-1", "1-1 ", "1-1\n", "\n1-1", "1 - 1", "1_1", "1-1234567890", "1234567890-1", "１-１", "٣-٣",
])
def test_parse_rejects_what_is_not_a_receipt_number(text):
    with pytest.raises(InvalidInput) as caught:
        parse_receipt_number(text)
    error = caught.value
    assert error.status == 400
    assert error.code == "INVALID_RECEIPT_NUMBER"
    assert error.field == "receipt_number"
    assert "'<pos number>-<seq>'" in error.details


@pytest.mark.parametrize(("first", "last", "present", "expected"), [
    (1, 5, {1, 2, 3, 4, 5}, []),
    (1, 5, set(), [1, 2, 3, 4, 5]),
    (1, 5, {2, 4}, [1, 3, 5]),
    (3, 5, {1, 2}, [3, 4, 5]),          # seqs before `first` (written off) do not count
    (4, 6, {4, 5, 6, 7, 8}, []),        # seqs after `last` do not matter
    (1, 0, set(), []),                  # nothing reported yet
    (6, 5, {1, 2, 3}, []),              # everything up to `last` written off
    (7, 7, set(), [7]),
    (7, 7, {7}, []),
])
def test_missing_seqs(first, last, present, expected):
    assert missing_seqs(first, last, present) == expected


def test_missing_seqs_is_ascending_and_complete_on_a_large_range():
    present = set(range(1, 10_001)) - {17, 4_000, 9_999}
    assert missing_seqs(1, 10_000, present) == [17, 4_000, 9_999]


def _receipt(items, payments, total):
    return {"line_items": [{"total_money": t} for t in items], "payments": [{"money_amount": p} for p in payments],
            "total_money": total}


@pytest.mark.parametrize(("items", "payments", "total", "ok"), [
    ([700], [700], 700, True),
    ([300, 400], [500, 200], 700, True),
    ([300, 400], [700], 600, False),     # paid more than the total
    ([700], [600], 700, False),          # underpaid
    ([700], [700, 100], 700, False),     # overpaid
    ([0], [], 0, True),
])
def test_payments_match_total(items, payments, total, ok):
    assert payments_match_total(_receipt(items, payments, total)) is ok
