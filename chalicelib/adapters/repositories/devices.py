"""POS slots: every state change a conditional write, with its log entries, tokens and store counts."""
from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from chalicelib import backoff
from chalicelib.adapters.dynamo import MAX_KEY_BYTES, key_value, transaction, translate_all
from chalicelib.adapters.models import GuardModel, MerchantModel, PosDeviceModel, StoreModel, TokenModel
from chalicelib.adapters.repositories._common import attrs, event_item, list_page, update_if
from chalicelib.config import settings
from chalicelib.domain import audit as audit_rules
from chalicelib.domain.devices import Device, Status, name_key
from chalicelib.errors import Conflict
from chalicelib.ports import UnknownStore, VersionConflict

SYNC_STATE_ATTEMPTS = 5


def _device(item: PosDeviceModel) -> Device:
    data = attrs(item, exclude=("audit_shard", "audit_due"))
    fields = {f.name for f in dataclasses.fields(Device)}
    data = {k: v for k, v in data.items() if k in fields}
    data["status"] = Status(data["status"])
    return Device(**data)


def _device_item(device: Device) -> PosDeviceModel:
    data = dataclasses.asdict(device)
    data["status"] = device.status.value
    # Every full write of a device sets or removes its audit index key from the state it writes.
    data["audit_shard"], data["audit_due"] = _audit_key(device)
    return PosDeviceModel(**data)


def _audit_key(device: Device) -> tuple[str, str] | tuple[None, None]:
    cfg = settings()
    return audit_rules.audit_key(device, cfg.silent_hours, cfg.shift_max_hours)


def _audit_key_actions(device: Device) -> list:
    shard, due = _audit_key(device)
    if shard:
        return [PosDeviceModel.audit_shard.set(shard), PosDeviceModel.audit_due.set(due)]
    return [PosDeviceModel.audit_shard.remove(), PosDeviceModel.audit_due.remove()]


def _name_guard(device: Device) -> str | None:
    """The guard item that keeps POS names unique within a store (a deleted POS frees its name).

    A name has at most 100 characters, but its key can be far longer than DynamoDB's 1,024 bytes: NFKC expands
    some characters (U+FDFA is 18 characters, 33 bytes). Such a key holds the SHA-256 of the name's key instead,
    under another prefix, so that it never equals the key of a short name."""
    if device.deleted_at:
        return None
    key = f"posname#{device.merchant_id}#{device.store_id}#{name_key(device.name)}"
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        digest = hashlib.sha256(name_key(device.name).encode("utf-8", "surrogatepass")).hexdigest()
        key = f"posname-sha256#{device.merchant_id}#{device.store_id}#{digest}"
    return key_value(key)


def _name_taken(device: Device) -> Conflict:
    return Conflict(field="name", code="NAME_TAKEN", params={"name": device.name})


def same_activation(device: Device):
    return (PosDeviceModel.activation_id == device.activation_id) & (PosDeviceModel.status == "ACTIVATED")


def final_sync_open(activation_id: str, now: str):
    return (PosDeviceModel.final_sync_activation_id == activation_id) & (PosDeviceModel.final_sync_until > now)


@translate_all
class DeviceRepository:
    @staticmethod
    def get(merchant_id: str, device_id: str) -> Device | None:
        try:
            return _device(PosDeviceModel.get(merchant_id, device_id, consistent_read=True))
        except DoesNotExist:
            return None

    @staticmethod
    def get_many(merchant_id: str, device_ids: Iterable[str]) -> dict[str, Device]:
        keys = [(merchant_id, did) for did in set(device_ids)]
        return {item.id: _device(item) for item in PosDeviceModel.batch_get(keys)} if keys else {}

    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None, store_id: str | None = None,
             status: str | None = None, show_deleted: bool = False) -> tuple[list[Device], str | None]:
        condition: Condition | None = None

        def both(extra):
            return extra if condition is None else condition & extra

        if store_id:
            condition = both(PosDeviceModel.store_id == store_id)
        if status:
            condition = both(PosDeviceModel.status == status)
        if not show_deleted:
            condition = both(PosDeviceModel.deleted_at.does_not_exist())
        items, next_cursor = list_page(PosDeviceModel, merchant_id, limit, cursor, {"merchant_id", "id", "number"},
                                       index=PosDeviceModel.merchant_number_index, filters=condition)
        return [_device(i) for i in items], next_cursor

    @staticmethod
    def keys_needing_audit(shard: str, due_by: str) -> list[tuple[str, str]]:
        """(merchant_id, device_id) of the devices in one shard of the sparse audit index that are due: one
        Query per 1 MB of keys (about 7,000 devices)."""
        return [(item.merchant_id, item.id)
                for item in PosDeviceModel.audit_index.query(shard, PosDeviceModel.audit_due < due_by)]

    @staticmethod
    def get_for_audit(keys: Iterable[tuple[str, str]]) -> list[Device]:
        """Strongly consistent reads of many devices, 100 per BatchGetItem (of any merchants)."""
        keys = set(keys)
        return [_device(item) for item in PosDeviceModel.batch_get(keys, consistent_read=True)] if keys else []

    @staticmethod
    def scan_with_deletion_running() -> list[Device]:
        """Every slot of every merchant whose deletion is RUNNING. A full scan: only for the local
        server's start-up (after loading a snapshot), never on a request path."""
        return [device for device in map(_device, PosDeviceModel.scan(PosDeviceModel.deletion.exists()))
                if device.deleting]

    @staticmethod
    def create(device: Device, counter_was: int, event: dict) -> None:
        """Device, merchant number counter, store device count and log entry: all or nothing.

        Raises a 409 NAME_TAKEN (the name is taken in the store), else UnknownStore (the store is gone), else
        VersionConflict (another create took the number: read the counter again)."""
        merchant = MerchantModel(id=device.merchant_id)
        store = StoreModel(merchant_id=device.merchant_id, id=device.store_id)
        with transaction() as tx:
            tx.save(GuardModel(pk=_name_guard(device), owner_id=device.id),
                    condition=GuardModel.pk.does_not_exist(), refused=_name_taken(device))
            tx.update(store, actions=[StoreModel.device_count.add(1)], condition=StoreModel.id.exists(),
                      refused=UnknownStore())
            tx.update(merchant, actions=[MerchantModel.pos_number_counter.set(device.number)],
                      condition=MerchantModel.pos_number_counter == counter_was, refused=VersionConflict())
            tx.save(_device_item(device), condition=PosDeviceModel.id.does_not_exist(), refused=VersionConflict())
            tx.save(event_item(event))

    @staticmethod
    def save_transition(before: Device, after: Device, event: dict | list[dict] | None, token_writes: Iterable = (),
                        leaves_store: bool = False, token_deletes: Iterable = (), extra_events: Iterable = ()) -> None:
        """Write `after` only if nobody changed the slot since `before` was read (version check), with its
        activity-log event(s), token writes and store count: all or nothing.

        `token_deletes` are (token_hash, must_exist) pairs: a pairing code is used once because its record
        must still exist when the activation is written. A new name or store claims the name's guard (409
        NAME_TAKEN) and frees the old one; a move to another store also moves the stores' device counts (the
        new store must exist: UnknownStore). Anything else that changed meanwhile (the version, a used code) is
        a VersionConflict: read the slot again."""
        after = dataclasses.replace(after, version=before.version + 1)
        old_guard, new_guard = _name_guard(before), _name_guard(after)
        with transaction() as tx:
            if new_guard and new_guard != old_guard:  # first: a taken name is the answer, whatever else failed
                tx.save(GuardModel(pk=new_guard, owner_id=after.id), condition=GuardModel.pk.does_not_exist(),
                        refused=_name_taken(after))
            if old_guard and new_guard != old_guard:
                tx.delete(GuardModel(pk=old_guard))
            tx.save(_device_item(after), condition=PosDeviceModel.version == before.version, refused=VersionConflict())
            for one in [*([event] if isinstance(event, dict) else event or []), *extra_events]:
                tx.save(event_item(one))
            for token in token_writes:
                tx.save(TokenModel(**token))
            for token_hash, must_exist in token_deletes:
                tx.delete(TokenModel(token_hash=token_hash),
                          condition=TokenModel.token_hash.exists() if must_exist else None, refused=VersionConflict())
            if leaves_store:
                tx.update(StoreModel(merchant_id=after.merchant_id, id=after.store_id),
                          actions=[StoreModel.device_count.add(-1)])
            elif after.store_id != before.store_id:
                tx.update(StoreModel(merchant_id=before.merchant_id, id=before.store_id),
                          actions=[StoreModel.device_count.add(-1)])
                tx.update(StoreModel(merchant_id=after.merchant_id, id=after.store_id),
                          actions=[StoreModel.device_count.add(1)], condition=StoreModel.id.exists(),
                          refused=UnknownStore())

    @staticmethod
    def record_sync_state(device: Device, state: dict, now: str, expected: Device | None = None) -> Device | None:
        """The device's own report, written on top of the slot as it now is (version check, re-read on a race):
        last_receipt_number never goes down, and the audit index key follows the state written in the same
        write. Returns the slot as written; a revoked device's report is void (the slot as it now is).

        `expected` is the slot as the caller believes it now is (its own writes applied): the first attempt
        writes on top of it without reading, and the version check catches anybody else's write."""
        for attempt in range(SYNC_STATE_ATTEMPTS):
            current = expected if attempt == 0 and expected is not None else \
                DeviceRepository.get(device.merchant_id, device.id)
            if (current is None or current.activation_id != device.activation_id
                    or current.status != Status.ACTIVATED):
                return current
            after, changes = current.reported(state, now)
            actions = [PosDeviceModel.last_sync_at.set(now), PosDeviceModel.updated_at.set(now),
                       PosDeviceModel.version.add(1)]
            for name, value in changes.items():
                attr = getattr(PosDeviceModel, name)
                actions.append(attr.set(value) if value is not None else attr.remove())
            actions += _audit_key_actions(after)
            item = PosDeviceModel(merchant_id=device.merchant_id, id=device.id)
            if update_if(item, actions, PosDeviceModel.version == current.version):
                return _device(item)
            backoff.pause(attempt, 0.01)
        return DeviceRepository._record_sync_state_unversioned(device, state, now)

    @staticmethod
    def _record_sync_state_unversioned(device: Device, state: dict, now: str) -> Device | None:
        """Under heavy contention (many syncs of one slot at once): write the report without a version check.
        The audit index key is then set whatever the state (a device that needs no look may be indexed, one
        that needs a look is never left out); the audit removes such a stale key when it reads the device."""
        item = PosDeviceModel(merchant_id=device.merchant_id, id=device.id)
        slot_held = same_activation(device)
        actions = [PosDeviceModel.last_sync_at.set(now), PosDeviceModel.updated_at.set(now),
                   PosDeviceModel.version.add(1), PosDeviceModel.audit_shard.set(audit_rules.shard_of(device.id)),
                   PosDeviceModel.audit_due.set(f"{audit_rules.IMMEDIATELY}#{device.id}")]
        for name in ("open_tickets", "shift_open", "open_shift_id", "shift_opened_at"):
            if name in state:
                attr = getattr(PosDeviceModel, name)
                actions.append(attr.set(state[name]) if state[name] is not None else attr.remove())
        last = state.get("last_receipt_number")
        if last is not None and update_if(item, actions + [PosDeviceModel.last_receipt_number.set(last)],
                                          slot_held & (PosDeviceModel.last_receipt_number <= last)):
            return _device(item)
        if update_if(item, actions, slot_held):
            return _device(item)
        return DeviceRepository.get(device.merchant_id, device.id)

    @staticmethod
    def drop_stale_audit_key(device: Device) -> bool:
        """Take a device that needs no look out of the audit index, unless it changed since it was read."""
        if audit_rules.needs_audit(device):
            return False
        return update_if(PosDeviceModel(merchant_id=device.merchant_id, id=device.id),
                         [PosDeviceModel.audit_shard.remove(), PosDeviceModel.audit_due.remove()],
                         (PosDeviceModel.version == device.version) & PosDeviceModel.audit_shard.exists())

    @staticmethod
    def record_final_sync_state(device: Device, activation_id: str, last_seq: int, now: str) -> None:
        """The old installation's report during its window: its last seq never goes down."""
        # Nothing to do when lower than known, or when the window closed meanwhile.
        update_if(PosDeviceModel(merchant_id=device.merchant_id, id=device.id),
                  [PosDeviceModel.final_sync_last_seq.set(last_seq), PosDeviceModel.updated_at.set(now),
                   PosDeviceModel.version.add(1)],
                  (PosDeviceModel.final_sync_activation_id == activation_id)
                  & (PosDeviceModel.final_sync_last_seq < last_seq))
