"""Stores, with the count of POS slots each holds."""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo import key_value, transaction, translate_all
from chalicelib.adapters.models import GuardModel, StoreModel
from chalicelib.adapters.repositories._common import attrs, event_item, fill_defaults, list_page
from chalicelib.domain.devices import store_name_guard, store_name_taken
from chalicelib.errors import Conflict


@translate_all
class StoreRepository:
    @staticmethod
    def get(merchant_id: str, store_id: str) -> dict | None:
        try:
            return fill_defaults(StoreModel, attrs(StoreModel.get(merchant_id, store_id)))
        except DoesNotExist:
            return None

    @staticmethod
    def get_many(merchant_id: str, store_ids: Iterable[str]) -> dict[str, dict]:
        keys = [(merchant_id, sid) for sid in set(store_ids)]
        return {item.id: attrs(item) for item in StoreModel.batch_get(keys)} if keys else {}

    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        items, next_cursor = list_page(StoreModel, merchant_id, limit, cursor, {"merchant_id", "id"})
        return [fill_defaults(StoreModel, attrs(i)) for i in items], next_cursor

    @staticmethod
    def save(store: dict, event: dict, expected_updated_at: str | None = None, previous_name: str | None = None) -> None:
        """Raises VersionConflict when the store changed since it was read (or exists, for a new one), a 409
        NAME_TAKEN when another store of the merchant has the name (a guard item claims each name; a rename
        passes the `previous_name` it frees)."""
        condition = (StoreModel.id.does_not_exist() if expected_updated_at is None
                     else StoreModel.updated_at == expected_updated_at)
        new_key = key_value(store_name_guard(store["merchant_id"], store["name"]))
        old_key = None if previous_name is None else key_value(store_name_guard(store["merchant_id"], previous_name))
        with transaction() as tx:
            tx.save(StoreModel(**store), condition=condition)
            if expected_updated_at is None or (old_key is not None and old_key != new_key):
                tx.save(GuardModel(pk=new_key, owner_id=store["id"]), condition=GuardModel.pk.does_not_exist(),
                        refused=store_name_taken(store["name"]))
                if old_key is not None:
                    tx.delete(GuardModel(pk=old_key))
            tx.save(event_item(event))

    @staticmethod
    def delete(store: dict, event: dict) -> None:
        with transaction() as tx:
            tx.delete(StoreModel(merchant_id=store["merchant_id"], id=store["id"]),
                      condition=(StoreModel.device_count == 0) | StoreModel.device_count.does_not_exist(),
                      refused=Conflict(code="STORE_HAS_POS_DEVICES"))
            tx.delete(GuardModel(pk=key_value(store_name_guard(store["merchant_id"], store["name"]))))
            tx.save(event_item(event))
