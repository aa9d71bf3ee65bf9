"""Receipts, stored exactly once (a guard keeps each receipt id unique), with the slot's counters."""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo import key_value, transaction, translate_all
from chalicelib.adapters.models import GuardModel, PosDeviceModel, ReceiptModel
from chalicelib.adapters.repositories._common import attrs, list_page, narrowest
from chalicelib.adapters.repositories.devices import final_sync_open, same_activation
from chalicelib.domain.devices import Device
from chalicelib.domain.receipts import format_receipt_number
from chalicelib.ports import AlreadyStored, SlotRevoked


def _receipt_id_key(merchant_id: str, receipt_id: str) -> str:
    return key_value(f"receipt#{merchant_id}#{receipt_id}")


@translate_all
class ReceiptRepository:
    @staticmethod
    def get_many(merchant_id: str, receipt_numbers: Iterable[str]) -> dict[str, dict]:
        keys = [(merchant_id, n) for n in set(receipt_numbers)]
        if not keys:
            return {}
        return {item.receipt_number: attrs(item) for item in ReceiptModel.batch_get(keys)}

    @staticmethod
    def get(merchant_id: str, receipt_number: str) -> dict | None:
        try:
            return attrs(ReceiptModel.get(merchant_id, receipt_number))
        except DoesNotExist:
            return None

    @staticmethod
    def ids_taken(merchant_id: str, receipt_ids: Iterable[str]) -> dict[str, str]:
        """receipt id -> the receipt number that holds it, for the ids already stored (their guards)."""
        keys = {_receipt_id_key(merchant_id, rid): rid for rid in set(receipt_ids)}
        if not keys:
            return {}
        return {keys[guard.pk]: guard.owner_id for guard in GuardModel.batch_get(list(keys))}

    @staticmethod
    def store_batch(device: Device, receipts: list[dict], final_sync: tuple[str, str] | None = None) -> None:
        """Up to 49 receipts, the guards that keep their ids unique, and the slot's counter in one transaction:
        all land or none. With `final_sync` = (activation id, now): the old installation's upload, while its
        final-sync window is still open.

        Raises SlotRevoked when the slot is no longer this activation's (or the window closed), else AlreadyStored
        when a number or id was taken meanwhile; the caller sorts the receipts again."""
        item = PosDeviceModel(merchant_id=device.merchant_id, id=device.id)
        counters = [PosDeviceModel.synced_receipts.add(len(receipts)), PosDeviceModel.version.add(1)]
        if final_sync is not None:
            counters += [PosDeviceModel.final_sync_held.add(len(receipts)),
                         PosDeviceModel.final_sync_received.add(len(receipts))]
        with transaction() as tx:
            tx.update(item, actions=counters, condition=same_activation(device) if final_sync is None
                      else final_sync_open(*final_sync), refused=SlotRevoked())
            for receipt in receipts:
                tx.save(ReceiptModel(**receipt), condition=ReceiptModel.receipt_number.does_not_exist(),
                        refused=AlreadyStored())
                tx.save(GuardModel(pk=_receipt_id_key(device.merchant_id, receipt["id"]),
                                   owner_id=receipt["receipt_number"]), condition=GuardModel.pk.does_not_exist(),
                        refused=AlreadyStored())

    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             store_id: str | None = None, created_min: str | None = None, created_max: str | None = None,
             receipt_number: str | None = None, employee_id: str | None = None, payment_type: str | None = None):
        """Newest first, through the index that fits the most selective filter; the others filter the pages."""
        index, partition, filters = narrowest(ReceiptModel, merchant_id, pos_device_id, store_id,
                                              by_device=ReceiptModel.device_created_index,
                                              by_store=ReceiptModel.store_created_index,
                                              by_merchant=ReceiptModel.merchant_created_index)
        range_condition = None
        if created_min and created_max:
            range_condition = ReceiptModel.created_sk.between(created_min, created_max + "\uffff")
        elif created_min:
            range_condition = ReceiptModel.created_sk >= created_min
        elif created_max:
            range_condition = ReceiptModel.created_sk <= created_max + "\uffff"
        for extra in _receipt_filters(receipt_number, employee_id, payment_type):
            filters = extra if filters is None else filters & extra
        items, next_cursor = list_page(ReceiptModel, merchant_id, limit, cursor,
                                       {"merchant_id", "receipt_number", "created_sk"}, index=index,
                                       partition=partition, range_condition=range_condition, filters=filters,
                                       newest_first=True)
        return [attrs(i, exclude=("created_sk",)) for i in items], next_cursor

    @staticmethod
    def held_seqs(merchant_id: str, pos_number: int, seqs: list[int]) -> set[int]:
        """Which of these receipt numbers of one POS the server holds: one BatchGetItem per 100 numbers,
        keys only (the audit's bounded read, instead of reading every receipt of the device)."""
        numbers = {format_receipt_number(pos_number, seq): seq for seq in seqs}
        if not numbers:
            return set()
        items = ReceiptModel.batch_get([(merchant_id, n) for n in numbers], attributes_to_get=["receipt_number"])
        return {numbers[item.receipt_number] for item in items}

    @staticmethod
    def seqs_of_device(merchant_id: str, pos_number: int) -> set[int]:
        """Every stored seq of one POS: the audit's read, done only when the counts disagree."""
        prefix = f"{pos_number}-"
        result = ReceiptModel.query(merchant_id, ReceiptModel.receipt_number.startswith(prefix),
                                    attributes_to_get=["receipt_number"])
        return {int(item.receipt_number[len(prefix):]) for item in result}


MAX_PAYMENTS_PER_RECEIPT = 20  # api/schemas.py ReceiptIn.payments


def _receipt_filters(receipt_number: str | None, employee_id: str | None, payment_type: str | None) -> list:
    filters = []
    if receipt_number:
        filters.append(ReceiptModel.receipt_number.startswith(receipt_number))
    if employee_id:
        filters.append(ReceiptModel.employee_id == employee_id)
    if payment_type:
        # Any of the receipt's payments (a list of maps: DynamoDB compares element by element).
        condition = None
        for position in range(MAX_PAYMENTS_PER_RECEIPT):
            one = ReceiptModel.payments[position]["type"] == payment_type
            condition = one if condition is None else condition | one
        filters.append(condition)
    return filters
