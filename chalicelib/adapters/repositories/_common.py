"""What the repositories share: item conversion, conditional updates, log entries, and the one listing helper."""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamo import decode_cursor, is_condition_failure, listing_scope, page
from chalicelib.errors import InvalidCursor
from chalicelib.adapters.models import EventModel


def attrs(item, exclude: Iterable[str] = ()) -> dict:
    data = item.attribute_values.copy()
    for name in exclude:
        data.pop(name, None)
    for name, value in list(data.items()):
        if isinstance(value, list):
            data[name] = [v.as_dict() if hasattr(v, "as_dict") else v for v in value]
    return data


def fill_defaults(model_cls, data: dict) -> dict:
    for name, attr in model_cls.get_attributes().items():
        if name not in data:
            default = attr.default() if callable(attr.default) else attr.default
            data[name] = default
    return data


def update_if(item, actions: list, condition) -> bool:
    """A conditional update; False, with nothing written, when its condition does not hold."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
        return False
    return True


def event_item(event: dict) -> EventModel:
    return EventModel(sk=f"{event['sort_at']}#{event['id']}", **{k: v for k, v in event.items() if k != "sort_at"})


def list_page(model, merchant_id: str, limit: int, cursor: str | None, key: set[str], *, index=None,
              partition: tuple[str, str] | None = None, range_condition=None, filters=None,
              newest_first: bool = False) -> tuple[list, str | None]:
    """One page of a merchant's listing and the cursor to continue (None at the end): `model`'s table, or its
    `index`, queried in one partition, with `filters` applied to what the page reads.

    The partition is the merchant's own, or `partition` = (attribute, value) of an index keyed by something
    else (a device, a store): then only the merchant's items are kept, and a cursor must hold the merchant's
    key. `key` names the attributes of a cursor of this listing (the table's and the index's keys); a cursor
    of another partition, listing or shape is refused (400 INVALID_CURSOR), so it never reaches into another
    merchant's data."""
    attribute, value = partition or ("merchant_id", merchant_id)
    start = decode_cursor(cursor, (attribute, value), key | {attribute}, merchant_id)
    scope = listing_scope(model, index)
    if start is not None and start.scope != scope:
        raise InvalidCursor(field="cursor")  # another listing's cursor: its position means nothing here
    if attribute != "merchant_id":
        mine = model.merchant_id == merchant_id
        filters = mine if filters is None else mine & filters
    result = (index or model).query(value, range_key_condition=range_condition, filter_condition=filters,
                                    scan_index_forward=False if newest_first else None, limit=limit,
                                    last_evaluated_key=start)
    return page(result, limit, scope)


def narrowest(model, merchant_id: str, pos_device_id: str | None, store_id: str | None, *, by_device, by_store,
              by_merchant) -> tuple:
    """(index, partition, filters) for a listing by device and/or store: the most selective index (a device's,
    then a store's, then the merchant's); a store asked with a device filters the device's pages."""
    if pos_device_id:
        return by_device, ("pos_device_id", pos_device_id), (model.store_id == store_id) if store_id else None
    if store_id:
        return by_store, ("store_id", store_id), None
    return by_merchant, ("merchant_id", merchant_id), None
