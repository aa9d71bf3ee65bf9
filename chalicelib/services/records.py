"""Reading what was synced and logged; every read is scoped to the caller's merchant."""
from chalicelib import clock
from chalicelib.adapters.repositories import EventRepository, FindingRepository, ReceiptRepository, ShiftRepository
from chalicelib.domain.devices import Device
from chalicelib.domain.receipts import count_missing, format_receipt_number, missing_seqs, parse_receipt_number
from chalicelib.errors import NotFound
from chalicelib.services.common import Principal


def list_receipts(principal: Principal, limit, cursor, pos_device_id=None, store_id=None, created_min=None,
                  created_max=None):
    return ReceiptRepository.list(
        principal.merchant_id, limit, cursor, pos_device_id=pos_device_id, store_id=store_id,
        created_min=clock.sort_key(created_min) if created_min else None,
        created_max=clock.sort_key(created_max) if created_max else None)


def get_receipt(principal: Principal, receipt_number: str) -> dict:
    try:
        parse_receipt_number(receipt_number)
    except Exception:
        raise NotFound(key="NOT_FOUND.receipt") from None
    receipt = ReceiptRepository.get(principal.merchant_id, receipt_number)
    if not receipt:
        raise NotFound(key="NOT_FOUND.receipt")
    return receipt


def list_shifts(principal: Principal, limit, cursor, pos_device_id=None, store_id=None):
    return ShiftRepository.list(principal.merchant_id, limit, cursor, pos_device_id=pos_device_id, store_id=store_id)


def list_findings(principal: Principal, limit, cursor, status=None, pos_device_id=None):
    return FindingRepository.list(principal.merchant_id, limit, cursor, status=status, pos_device_id=pos_device_id)


def list_events(principal: Principal, limit, cursor, pos_device_id=None):
    return EventRepository.list(principal.merchant_id, limit, cursor, pos_device_id=pos_device_id)


def missing_receipt_numbers(device: Device, limit: int | None = None) -> list[str]:
    return missing_receipts(device, limit)[0]


def missing_receipts(device: Device, limit: int | None) -> tuple[list[str], int]:
    """The lowest `limit` missing receipt numbers (all when None) and how many are missing in all."""
    present = ReceiptRepository.seqs_of_device(device.merchant_id, device.number)
    first, last = device.written_off_upto + 1, device.last_receipt_number
    seqs = missing_seqs(first, last, present, limit)
    return [format_receipt_number(device.number, seq) for seq in seqs], count_missing(first, last, present)
