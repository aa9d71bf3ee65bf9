"""The activity log (written by the other repositories, in the transaction of the change it records)."""
from __future__ import annotations

import functools
import json
import operator

from pynamodb.attributes import UnicodeAttribute

from chalicelib.adapters.dynamo import translate_all
from chalicelib.adapters.models import EventModel
from chalicelib.adapters.repositories._common import attrs, list_page
from chalicelib.ports import OUTBOX_ONLY_EVENT_TYPES

# The `actor` attribute read as the string it is stored as (a JSONAttribute would JSON-encode the operand).
_ACTOR_TEXT = UnicodeAttribute(attr_name="actor")
_ACTOR_TEXT.attr_path = ["actor"]


@translate_all
class EventRepository:
    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             actor_ids: tuple[str, ...] = ()):
        """Newest first: the merchant's log, or one device's (through its index); `actor_ids` filter the pages read
        (the actor is stored as JSON text: its `"id": "<id>"` pair is matched, in old and new shapes alike)."""
        index, partition = (EventModel.device_index, ("pos_device_id", pos_device_id)) if pos_device_id else (None, None)
        filters = ~EventModel.type.is_in(*OUTBOX_ONLY_EVENT_TYPES)  # the webhooks' own events are not the log's
        if actor_ids:
            filters &= functools.reduce(operator.or_, (_ACTOR_TEXT.contains(json.dumps({"id": actor_id})[1:-1])
                                                       for actor_id in actor_ids))
        items, next_cursor = list_page(EventModel, merchant_id, limit, cursor, {"merchant_id", "sk"}, index=index,
                                       partition=partition, filters=filters, newest_first=True)
        return [attrs(i, exclude=("sk", "merchant_id")) for i in items], next_cursor
