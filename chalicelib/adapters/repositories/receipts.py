"""Receipts, stored exactly once (a guard keeps each receipt id unique), with the slot's counters."""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.operand import Path

from chalicelib.adapters.dynamo import key_value, transaction, translate_all
from chalicelib.adapters.models import GuardModel, PosDeviceModel, ReceiptModel, SalesCounterModel, table_connection
from chalicelib.adapters.repositories._common import attrs, event_item, list_page, narrowest
from chalicelib.adapters.repositories.devices import (
    DeviceRepository,
    final_sync_open,
    same_activation,
)
from chalicelib.domain import sales
from chalicelib.domain.devices import Device, Status
from chalicelib.domain.receipts import format_receipt_number
from chalicelib.errors import ServiceUnavailable
from chalicelib.ports import AlreadyStored, SlotRevoked

HIGH_WATER_ATTEMPTS = 8


def _receipt_id_key(merchant_id: str, receipt_id: str) -> str:
    return key_value(f"receipt#{merchant_id}#{receipt_id}")


def _holds(current: Device, device: Device, final_sync: tuple[str, str] | None) -> bool:
    """The condition of a device's writes, on the slot as read: still this activation's, or (final_sync =
    (activation id, now)) that old installation's window still open."""
    if final_sync is None:
        return current.activation_id == device.activation_id and current.status == Status.ACTIVATED
    activation_id, now = final_sync
    return current.final_sync_activation_id == activation_id and (current.final_sync_until or "") > now


@translate_all
class ReceiptRepository:
    # x 2 items (receipt, id guard) + the slot's counter + the receipts.created event (the outbox) + the sales
    # counters (3 rows per local day, at most sales.MAX_DAYS_PER_BATCH = 4 days) = 100 of a TransactWriteItems' 100
    per_transaction = 43

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
    def store_batch(device: Device, receipts: list[dict], final_sync: tuple[str, str] | None = None,
                    event: dict | None = None) -> None:
        """Up to 49 receipts, the guards that keep their ids unique, and the slot's counters in one transaction:
        all land or none. With `final_sync` = (activation id, now): the old installation's upload, while its
        final-sync window is still open.

        The same transaction raises the slot's high-water mark of stored seqs to the batch's highest seq, never
        lowering it: `stored_seq_high` for the slot's own activation, `final_sync_last_seq` for an old
        installation's upload. An activation or the end of a window, which read the slot with a version check,
        therefore always sees every number stored before it (the numbering invariant). DynamoDB has no max(): the
        update is conditioned on the mark being below the batch's top (and sets it) or at or above it (and
        leaves it); when that guess was wrong the slot is read again and the transaction retried.

        The same transaction adds the receipts to the sales summary's counters (domain/sales.py: one update per
        scope and local day), so a receipt is counted exactly when it is stored.

        Raises SlotRevoked when the slot is no longer this activation's (or the window closed), else AlreadyStored
        when a number or id was taken meanwhile; the caller sorts the receipts again."""
        sales_updates = _sales_updates(device.merchant_id, receipts)
        top = max((int(r["receipt_number"].rsplit("-", 1)[1]) for r in receipts), default=0)
        mark = PosDeviceModel.stored_seq_high if final_sync is None else PosDeviceModel.final_sync_last_seq
        known = device.stored_seq_high if final_sync is None else device.final_sync_last_seq
        slot_holds = same_activation(device) if final_sync is None else final_sync_open(*final_sync)
        for _attempt in range(HIGH_WATER_ATTEMPTS):
            raises = top > known
            item = PosDeviceModel(merchant_id=device.merchant_id, id=device.id)
            counters = [PosDeviceModel.synced_receipts.add(len(receipts)), PosDeviceModel.version.add(1)]
            if final_sync is not None:
                counters += [PosDeviceModel.final_sync_held.add(len(receipts)),
                             PosDeviceModel.final_sync_received.add(len(receipts))]
            if raises:
                counters.append(mark.set(top))
            condition = slot_holds & ((mark.does_not_exist() | (mark < top)) if raises else (mark >= top))
            try:
                with transaction() as tx:
                    tx.update(item, actions=counters, condition=condition, refused=SlotRevoked())
                    for receipt in receipts:
                        tx.save(ReceiptModel(**receipt), condition=ReceiptModel.receipt_number.does_not_exist(),
                                refused=AlreadyStored())
                        tx.save(GuardModel(pk=_receipt_id_key(device.merchant_id, receipt["id"]),
                                           owner_id=receipt["receipt_number"]), condition=GuardModel.pk.does_not_exist(),
                                refused=AlreadyStored())
                    if event is not None:
                        tx.save(event_item(event))
                    for item, actions in sales_updates:
                        tx.update(item, actions=actions)
                return
            except SlotRevoked:
                # Revoked, or the mark was not where this guess put it: read the slot to tell which.
                current = DeviceRepository.get(device.merchant_id, device.id)
                if current is None or not _holds(current, device, final_sync):
                    raise
                known = current.stored_seq_high if final_sync is None else current.final_sync_last_seq
        raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.receipts")

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
    def sales_counters(merchant_id: str, scope: str, day_from: str, day_to: str) -> list[tuple[str, dict[str, int]]]:
        """[(day, {counter: value})] of one scope's counter rows from day_from to day_to (YYYY-MM-DD), in day order:
        one Query (paged by DynamoDB's 1 MB)."""
        rows, start = [], None
        while True:
            # The raw items, whose counter names the model does not declare.
            answer = table_connection(SalesCounterModel).query(f"{merchant_id}#{scope}",
                                        range_key_condition=SalesCounterModel.day.between(day_from, day_to),
                                        exclusive_start_key=start, consistent_read=True)
            for item in answer.get("Items", []):
                rows.append((item["day"]["S"], {name: int(value["N"]) for name, value in item.items()
                                                if "N" in value}))
            start = answer.get("LastEvaluatedKey")
            if not start:
                return rows

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


MAX_PAYMENTS_PER_RECEIPT = 20  # api/schemas/pos.py ReceiptIn.payments


def _sales_updates(merchant_id: str, receipts: list[dict]) -> list[tuple[SalesCounterModel, list]]:
    """The sales counter rows a batch adds to, each with its ADD actions (a row that does not exist yet is made)."""
    updates = []
    for (scope, day), counters in sorted(sales.counter_deltas(receipts).items()):
        item = SalesCounterModel(pk=key_value(f"{merchant_id}#{scope}"), day=day)
        updates.append((item, [SalesCounterModel.merchant_id.set(merchant_id)]
                        + [Path(name).add(value) for name, value in sorted(counters.items())]))
    return updates


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
