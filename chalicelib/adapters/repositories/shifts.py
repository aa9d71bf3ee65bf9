"""Shifts: a shift belongs to the slot that first sent it, and a closed shift is final."""
from __future__ import annotations

from collections.abc import Iterable

from chalicelib.adapters.dynamo import transaction, translate_all
from chalicelib.adapters.models import PosDeviceModel, ShiftModel
from chalicelib.adapters.repositories._common import attrs, event_item, list_page, narrowest, update_if
from chalicelib.adapters.repositories.devices import final_sync_open, same_activation
from chalicelib.domain.devices import Device
from chalicelib.ports import AlreadyStored, SlotRevoked


@translate_all
class ShiftRepository:
    @staticmethod
    def get_many(merchant_id: str, shift_ids: Iterable[str]) -> dict[str, dict]:
        keys = [(merchant_id, sid) for sid in set(shift_ids)]
        return {item.id: attrs(item) for item in ShiftModel.batch_get(keys)} if keys else {}

    @staticmethod
    def store(device: Device, shifts: list[dict], final_sync: tuple[str, str] | None = None,
              events: Iterable[dict] = ()) -> None:
        """Shift events of one slot, all or none, while the slot is still this activation's (a condition check), or,
        with `final_sync` = (activation id, now), while that old installation's final-sync window is open.

        Each shift is stored with the writing activation's id (`activation_id`: the slot's, or the old one of
        `final_sync`). A shift is written only if it is new, or this slot's, still open and this activation's (or
        stored without an activation, before issue 22): a closed shift is final, and neither another slot's shift
        nor another installation's shift of the same slot is ever taken over. Raises SlotRevoked, else
        AlreadyStored (sort the shifts again)."""
        guard = same_activation(device) if final_sync is None else final_sync_open(*final_sync)
        writer = device.activation_id if final_sync is None else final_sync[0]
        with transaction() as tx:
            tx.condition_check(PosDeviceModel, device.merchant_id, device.id, condition=guard, refused=SlotRevoked())
            for shift in shifts:
                tx.save(ShiftModel(**(shift | {"activation_id": writer})), condition=ShiftModel.id.does_not_exist() | (
                    (ShiftModel.pos_device_id == device.id) & ShiftModel.closed_at.does_not_exist()
                    & (ShiftModel.activation_id.does_not_exist() | (ShiftModel.activation_id == writer))),
                    refused=AlreadyStored())
            for event in events:
                tx.save(event_item(event))

    @staticmethod
    def flag_open_of_device(merchant_id: str, pos_device_id: str, at: str,
                            activation_id: str | None = None) -> list[dict]:
        """Mark the device's still-open shifts as orphaned (its slot was deactivated); returns them. With
        `activation_id`: only the shifts that activation stored (an old installation's window closed)."""
        condition = (ShiftModel.merchant_id == merchant_id) & ShiftModel.closed_at.does_not_exist() \
            & ShiftModel.orphaned_at.does_not_exist()
        if activation_id is not None:
            condition = condition & (ShiftModel.activation_id == activation_id)
        result = ShiftModel.device_opened_index.query(pos_device_id, filter_condition=condition)
        flagged = []
        for item in result:  # one closed meanwhile by a late sync is not flagged
            if update_if(item, [ShiftModel.orphaned_at.set(at)], ShiftModel.closed_at.does_not_exist()):
                flagged.append(attrs(item, exclude=("opened_sk",)))
        return flagged

    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             store_id: str | None = None):
        """Newest first, through the index that fits the most selective filter."""
        index, partition, filters = narrowest(ShiftModel, merchant_id, pos_device_id, store_id,
                                              by_device=ShiftModel.device_opened_index,
                                              by_store=ShiftModel.store_opened_index,
                                              by_merchant=ShiftModel.merchant_opened_index)
        items, next_cursor = list_page(ShiftModel, merchant_id, limit, cursor, {"merchant_id", "id", "opened_sk"},
                                       index=index, partition=partition, filters=filters, newest_first=True)
        return [attrs(i, exclude=("opened_sk",)) for i in items], next_cursor
