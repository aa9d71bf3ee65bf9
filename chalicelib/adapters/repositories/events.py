"""The activity log (written by the other repositories, in the transaction of the change it records)."""
from __future__ import annotations

from chalicelib.adapters.dynamo import translate_all
from chalicelib.adapters.models import EventModel
from chalicelib.adapters.repositories._common import attrs, list_page
from chalicelib.ports import OUTBOX_ONLY_EVENT_TYPES


@translate_all
class EventRepository:
    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None):
        """Newest first: the merchant's log, or one device's (through its index)."""
        index, partition = (EventModel.device_index, ("pos_device_id", pos_device_id)) if pos_device_id else (None, None)
        items, next_cursor = list_page(EventModel, merchant_id, limit, cursor, {"merchant_id", "sk"}, index=index,
                                       partition=partition, newest_first=True,
                                       filters=~EventModel.type.is_in(*OUTBOX_ONLY_EVENT_TYPES))
        return [attrs(i, exclude=("sk", "merchant_id")) for i in items], next_cursor
