"""Audit findings: at most one open finding of a type per device (a claim), indexed by shard while open."""
from __future__ import annotations

from chalicelib.adapters.dynamo import transaction, translate_all
from chalicelib.adapters.models import FindingModel, GuardModel, PosDeviceModel
from chalicelib.adapters.repositories._common import attrs, event_item, list_page, update_if
from chalicelib.domain import audit as audit_rules
from chalicelib.domain.devices import Status
from chalicelib.ports import WriteRefused


def _finding_guard(merchant_id: str, device_id: str, type_: str) -> str:
    """A device has at most one open finding of a type: this key is claimed while it is open."""
    return f"finding#{merchant_id}#{device_id}#{type_}"


@translate_all
class FindingRepository:
    @staticmethod
    def open_in_shard(shard: str) -> list[dict]:
        """Every open finding indexed under one shard (with what the audit needs, no full reads)."""
        return [attrs(item) for item in FindingModel.open_index.query(shard)]

    @staticmethod
    def open_for_merchant(merchant_id: str) -> list[dict]:
        result = FindingModel.merchant_seen_index.query(merchant_id,
                                                        filter_condition=FindingModel.resolved_at.does_not_exist())
        return [attrs(item) for item in result]

    @staticmethod
    def open_ids_for_device(merchant_id: str, device_id: str) -> list[tuple[str, str]]:
        """(type, finding id) of the device's open findings, read consistently from their claims."""
        keys = [_finding_guard(merchant_id, device_id, type_) for type_ in audit_rules.FINDING_TYPES]
        found = {guard.pk: guard.owner_id for guard in GuardModel.batch_get(keys, consistent_read=True)}
        return [(type_, found[key]) for type_, key in zip(audit_rules.FINDING_TYPES, keys) if key in found]

    @staticmethod
    def raise_finding(finding: dict, activation_id: str | None, event: dict | None = None) -> bool:
        """Store a new open finding if the device has none of its type and is still in the activation audited.
        False when another run raised it first, or the device was deactivated meanwhile: nothing written."""
        merchant_id, device_id = finding["merchant_id"], finding["pos_device_id"]
        try:
            with transaction() as tx:
                tx.condition_check(PosDeviceModel, merchant_id, device_id,
                                   condition=(PosDeviceModel.activation_id == activation_id)
                                   & (PosDeviceModel.status == Status.ACTIVATED.value))
                tx.save(GuardModel(pk=_finding_guard(merchant_id, device_id, finding["type"]), owner_id=finding["id"]),
                        condition=GuardModel.pk.does_not_exist())
                tx.save(FindingModel(**finding, open_shard=audit_rules.shard_of(device_id)),
                        condition=FindingModel.id.does_not_exist())
                if event is not None:
                    tx.save(event_item(event))
        except WriteRefused:
            return False
        return True

    @staticmethod
    def put(finding: dict, event: dict | None = None) -> None:
        """A finding the audit does not raise or resolve (SHIFT_LEFT_OPEN): no claim, not in the shard index."""
        with transaction() as tx:
            tx.save(FindingModel(**finding), condition=FindingModel.id.does_not_exist())
            if event is not None:
                tx.save(event_item(event))

    @staticmethod
    def refresh(merchant_id: str, finding_id: str, fields: dict) -> bool:
        """Update an open finding; False when it was resolved meanwhile (nothing written)."""
        actions = [getattr(FindingModel, name).remove() if value is None else getattr(FindingModel, name).set(value)
                   for name, value in fields.items()]
        return update_if(FindingModel(merchant_id=merchant_id, id=finding_id), actions,
                         FindingModel.id.exists() & FindingModel.resolved_at.does_not_exist())

    @staticmethod
    def resolve(merchant_id: str, device_id: str, type_: str, finding_id: str, at: str,
                event: dict | None = None) -> bool:
        """Resolve an open finding and free its claim together; False when it was already resolved."""
        try:
            with transaction() as tx:
                tx.update(FindingModel(merchant_id=merchant_id, id=finding_id),
                          actions=[FindingModel.resolved_at.set(at), FindingModel.open_shard.remove()],
                          condition=FindingModel.id.exists() & FindingModel.resolved_at.does_not_exist())
                tx.delete(GuardModel(pk=_finding_guard(merchant_id, device_id, type_)),
                          condition=(GuardModel.owner_id == finding_id) | GuardModel.pk.does_not_exist())
                if event is not None:
                    tx.save(event_item(event))
        except WriteRefused:
            return False
        return True

    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None, status: str | None = None,
             pos_device_id: str | None = None):
        condition = None
        if status == "open":
            condition = FindingModel.resolved_at.does_not_exist()
        elif status == "resolved":
            condition = FindingModel.resolved_at.exists()
        if pos_device_id:
            index, partition = FindingModel.device_index, ("pos_device_id", pos_device_id)
        else:
            index, partition = FindingModel.merchant_seen_index, ("merchant_id", merchant_id)
        items, next_cursor = list_page(FindingModel, merchant_id, limit, cursor, {"merchant_id", "id", "first_seen_at"},
                                       index=index, partition=partition, filters=condition, newest_first=True)
        hidden = ("merchant_id", "missing_count", "open_shard", "checked_from", "checked_upto")
        return [attrs(i, exclude=hidden) | {"missing_count": i.missing_count} for i in items], next_cursor
