"""Repositories: the use cases' only way to DynamoDB. They return plain dicts and domain objects."""
from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.adapters.dynamo import decode_cursor, is_condition_failure, page, transaction, translate_all
from chalicelib.adapters.models import (
    EmployeeModel, EventModel, FindingModel, GuardModel, MerchantModel, PosDeviceModel,
    ReceiptModel, ShiftModel, StoreModel, TokenModel,
)
from chalicelib.config import settings
from chalicelib.domain import audit as audit_rules
from chalicelib.domain.devices import Device, Status, name_key
from chalicelib.domain.receipts import format_receipt_number
from chalicelib.errors import Conflict
from chalicelib.ports import AlreadyStored, SlotRevoked, UnknownStore, VersionConflict, WriteRefused

SYNC_STATE_ATTEMPTS = 5


def _attrs(item, exclude: Iterable[str] = ()) -> dict:
    data = item.attribute_values.copy()
    for name in exclude:
        data.pop(name, None)
    for name, value in list(data.items()):
        if isinstance(value, list):
            data[name] = [v.as_dict() if hasattr(v, "as_dict") else v for v in value]
    return data


def _fill_defaults(model_cls, data: dict) -> dict:
    for name, attr in model_cls.get_attributes().items():
        if name not in data:
            default = attr.default() if callable(attr.default) else attr.default
            data[name] = default
    return data


def _update_if(item, actions: list, condition) -> bool:
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


# ---------------------------------------------------------------- accounts


@translate_all
class AccountRepository:
    """Merchants, employees and the guards that keep e-mails and PINs unique."""

    @staticmethod
    def create_merchant(merchant: dict, owner: dict, event: dict) -> None:
        """Raises VersionConflict (the ids exist), or a 409 EMAIL_TAKEN naming the owner's e-mail."""
        with transaction() as tx:
            tx.save(MerchantModel(**merchant), condition=MerchantModel.id.does_not_exist())
            _employee_writes(tx, owner, old=None)
            tx.save(event_item(event))

    @staticmethod
    def get_merchant(merchant_id: str) -> dict | None:
        try:
            return _attrs(MerchantModel.get(merchant_id))
        except DoesNotExist:
            return None

    @staticmethod
    def get_employee(merchant_id: str, employee_id: str) -> dict | None:
        try:
            return _fill_defaults(EmployeeModel, _attrs(EmployeeModel.get(merchant_id, employee_id)))
        except DoesNotExist:
            return None

    @staticmethod
    def find_employee_by_email(email: str) -> dict | None:
        for item in EmployeeModel.email_index.query(email.lower(), limit=1):
            return _fill_defaults(EmployeeModel, _attrs(item))
        return None

    @staticmethod
    def find_employee_by_pin(merchant_id: str, pin_hash: str) -> dict | None:
        try:
            guard = GuardModel.get(f"pin#{merchant_id}#{pin_hash}")
        except DoesNotExist:
            return None
        return AccountRepository.get_employee(merchant_id, guard.owner_id)

    @staticmethod
    def get_employees(merchant_id: str, employee_ids: Iterable[str]) -> dict[str, dict]:
        keys = [(merchant_id, eid) for eid in set(employee_ids)]
        return {item.id: _attrs(item) for item in EmployeeModel.batch_get(keys)} if keys else {}

    @staticmethod
    def list_employees(merchant_id: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        start = decode_cursor(cursor, ("merchant_id", merchant_id), {"merchant_id", "id"})
        items, next_cursor = page(EmployeeModel.query(merchant_id, limit=limit, last_evaluated_key=start), limit)
        return [_fill_defaults(EmployeeModel, _attrs(i)) for i in items], next_cursor

    @staticmethod
    def save_employee(employee: dict, old: dict | None, event: dict) -> None:
        """Raises VersionConflict when the employee changed since `old` was read (or exists, when `old` is None),
        or a 409 EMAIL_TAKEN / PIN_TAKEN naming a value another employee holds."""
        with transaction() as tx:
            _employee_writes(tx, employee, old)
            tx.save(event_item(event))

    @staticmethod
    def delete_employee(employee: dict, event: dict) -> None:
        """Raises VersionConflict when the employee is gone already."""
        with transaction() as tx:
            tx.delete(EmployeeModel(merchant_id=employee["merchant_id"], id=employee["id"]),
                      condition=EmployeeModel.id.exists())
            for pk in _guard_keys(employee):
                tx.delete(GuardModel(pk=pk))
            tx.save(event_item(event))

    # Attempt windows (logins per e-mail, PINs per device and per employee): every attempt is counted before
    # the credentials are checked, in one conditional write, so racing requests cannot all slip under the limit.
    @staticmethod
    def reserve_attempt(key: str, now_epoch: int, limit: int, window_seconds: int) -> int | None:
        """Count one attempt in `key`'s window. None when it was counted; the window's start (epoch) when the window
        already holds `limit` attempts. Each write is a one-item transaction: botocore keeps its ClientRequestToken
        across retries, so a write whose answer was lost and is sent again is not counted twice."""
        guard = GuardModel(pk=f"login#{key.lower()}")
        expired = GuardModel.window_start_epoch <= now_epoch - window_seconds
        for _ in range(8):
            try:
                current = GuardModel.get(guard.pk, consistent_read=True)
            except DoesNotExist:
                current = None
            opens = current is None or current.window_start_epoch is None or \
                current.window_start_epoch <= now_epoch - window_seconds
            if not opens and (current.count or 0) >= limit:
                # Locked out. Decided before the transaction: leaving `with transaction()` sends it, and DynamoDB
                # refuses an empty TransactWriteItems (a 500 instead of the 429).
                return current.window_start_epoch
            try:
                with transaction() as tx:
                    if opens:
                        # The first attempt, or the old window is over: this attempt opens a new one.
                        tx.update(guard, actions=[
                            GuardModel.count.set(1), GuardModel.window_start_epoch.set(now_epoch),
                            GuardModel.expires_at_epoch.set(now_epoch + window_seconds),
                        ], condition=GuardModel.pk.does_not_exist() | expired | GuardModel.window_start_epoch.does_not_exist())
                    else:
                        tx.update(guard, actions=[GuardModel.count.add(1)],
                                  condition=(GuardModel.window_start_epoch == current.window_start_epoch)
                                  & (GuardModel.count < limit))
                return None
            except VersionConflict:
                # Another attempt counted (or opened the window) meanwhile: read again. Each lost race means another
                # attempt was counted, so after `limit` + 1 rounds the window is full and the answer is "locked".
                continue
        return now_epoch  # still racing after that many rounds: a burst of guesses, refused as locked out

    @staticmethod
    def clear_attempts(key: str) -> None:
        GuardModel(pk=f"login#{key.lower()}").delete()

    @staticmethod
    def release_attempt(key: str) -> None:
        """Give back one attempt counted by reserve_attempt (it turned out not to be a failure)."""
        _update_if(GuardModel(pk=f"login#{key.lower()}"), [GuardModel.count.add(-1)], GuardModel.count > 0)


def _guard_keys(employee: dict) -> list[str]:
    keys = []
    if employee.get("email"):
        keys.append(f"email#{employee['email'].lower()}")
    if employee.get("pin_hash"):
        keys.append(f"pin#{employee['merchant_id']}#{employee['pin_hash']}")
    return keys


def _employee_writes(tx, employee: dict, old: dict | None) -> None:
    """The employee item (a stale one is a VersionConflict, and wins: added first) and the guards that keep its
    e-mail and PIN unique (a taken one is a 409 naming the field)."""
    new_keys, old_keys = _guard_keys(employee), _guard_keys(old or {})
    condition = EmployeeModel.id.does_not_exist() if old is None else EmployeeModel.updated_at == old["updated_at"]
    tx.save(EmployeeModel(**employee), condition=condition, refused=VersionConflict())
    for pk in new_keys:
        if pk not in old_keys:
            field = pk.split("#", 1)[0]
            tx.save(GuardModel(pk=pk, owner_id=employee["id"]), condition=GuardModel.pk.does_not_exist(),
                    refused=Conflict(field=field, code=f"{field.upper()}_TAKEN"))
    for pk in old_keys:
        if pk not in new_keys:
            tx.delete(GuardModel(pk=pk))


# ---------------------------------------------------------------- tokens


@translate_all
class TokenRepository:
    @staticmethod
    def put(token_hash: str, **fields) -> None:
        TokenModel(token_hash=token_hash, **fields).save()

    @staticmethod
    def get(token_hash: str) -> dict | None:
        try:
            return _attrs(TokenModel.get(token_hash))
        except DoesNotExist:
            return None


# ---------------------------------------------------------------- stores


@translate_all
class StoreRepository:
    @staticmethod
    def get(merchant_id: str, store_id: str) -> dict | None:
        try:
            return _fill_defaults(StoreModel, _attrs(StoreModel.get(merchant_id, store_id)))
        except DoesNotExist:
            return None

    @staticmethod
    def get_many(merchant_id: str, store_ids: Iterable[str]) -> dict[str, dict]:
        keys = [(merchant_id, sid) for sid in set(store_ids)]
        return {item.id: _attrs(item) for item in StoreModel.batch_get(keys)} if keys else {}

    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        start = decode_cursor(cursor, ("merchant_id", merchant_id), {"merchant_id", "id"})
        items, next_cursor = page(StoreModel.query(merchant_id, limit=limit, last_evaluated_key=start), limit)
        return [_fill_defaults(StoreModel, _attrs(i)) for i in items], next_cursor

    @staticmethod
    def save(store: dict, event: dict, expected_updated_at: str | None = None) -> None:
        """Raises VersionConflict when the store changed since it was read (or exists, for a new one)."""
        condition = (StoreModel.id.does_not_exist() if expected_updated_at is None
                     else StoreModel.updated_at == expected_updated_at)
        with transaction() as tx:
            tx.save(StoreModel(**store), condition=condition)
            tx.save(event_item(event))

    @staticmethod
    def delete(store: dict, event: dict) -> None:
        with transaction() as tx:
            tx.delete(StoreModel(merchant_id=store["merchant_id"], id=store["id"]),
                      condition=(StoreModel.device_count == 0) | StoreModel.device_count.does_not_exist(),
                      refused=Conflict(code="STORE_HAS_POS_DEVICES"))
            tx.save(event_item(event))


# ---------------------------------------------------------------- devices


def _device(item: PosDeviceModel) -> Device:
    data = _attrs(item, exclude=("audit_shard", "audit_due"))
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
    """The guard item that keeps POS names unique within a store (a deleted POS frees its name)."""
    if device.deleted_at:
        return None
    return f"posname#{device.merchant_id}#{device.store_id}#{name_key(device.name)}"


def _name_taken(device: Device) -> Conflict:
    return Conflict(field="name", code="NAME_TAKEN", params={"name": device.name})


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
        start = decode_cursor(cursor, ("merchant_id", merchant_id), {"merchant_id", "id", "number"})
        condition: Condition | None = None

        def both(extra):
            return extra if condition is None else condition & extra

        if store_id:
            condition = both(PosDeviceModel.store_id == store_id)
        if status:
            condition = both(PosDeviceModel.status == status)
        if not show_deleted:
            condition = both(PosDeviceModel.deleted_at.does_not_exist())
        result = PosDeviceModel.merchant_number_index.query(merchant_id, filter_condition=condition, limit=limit,
                                                            last_evaluated_key=start)
        items, next_cursor = page(result, limit)
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
            changes = {name: state[name] for name in ("open_tickets", "shift_open", "open_shift_id", "shift_opened_at")
                       if name in state}
            if state.get("last_receipt_number") is not None:
                changes["last_receipt_number"] = max(current.last_receipt_number, state["last_receipt_number"])
            after = dataclasses.replace(current, last_sync_at=now, updated_at=now, version=current.version + 1,
                                        **changes)
            if after.unsynced_receipts == 0 and after.complete_upto < after.last_receipt_number:
                changes["complete_upto"] = after.last_receipt_number
                after = dataclasses.replace(after, complete_upto=after.last_receipt_number)
            actions = [PosDeviceModel.last_sync_at.set(now), PosDeviceModel.updated_at.set(now),
                       PosDeviceModel.version.add(1)]
            for name, value in changes.items():
                attr = getattr(PosDeviceModel, name)
                actions.append(attr.set(value) if value is not None else attr.remove())
            actions += _audit_key_actions(after)
            item = PosDeviceModel(merchant_id=device.merchant_id, id=device.id)
            if _update_if(item, actions, PosDeviceModel.version == current.version):
                return _device(item)
            time.sleep(random.random() * 0.01 * 2 ** attempt)
        return DeviceRepository._record_sync_state_unversioned(device, state, now)

    @staticmethod
    def _record_sync_state_unversioned(device: Device, state: dict, now: str) -> Device | None:
        """Under heavy contention (many syncs of one slot at once): write the report without a version check.
        The audit index key is then set whatever the state (a device that needs no look may be indexed, one
        that needs a look is never left out); the audit removes such a stale key when it reads the device."""
        item = PosDeviceModel(merchant_id=device.merchant_id, id=device.id)
        same_activation = (PosDeviceModel.activation_id == device.activation_id) & (PosDeviceModel.status == "ACTIVATED")
        actions = [PosDeviceModel.last_sync_at.set(now), PosDeviceModel.updated_at.set(now),
                   PosDeviceModel.version.add(1), PosDeviceModel.audit_shard.set(audit_rules.shard_of(device.id)),
                   PosDeviceModel.audit_due.set(f"{audit_rules.IMMEDIATELY}#{device.id}")]
        for name in ("open_tickets", "shift_open", "open_shift_id", "shift_opened_at"):
            if name in state:
                attr = getattr(PosDeviceModel, name)
                actions.append(attr.set(state[name]) if state[name] is not None else attr.remove())
        last = state.get("last_receipt_number")
        if last is not None and _update_if(item, actions + [PosDeviceModel.last_receipt_number.set(last)],
                                           same_activation & (PosDeviceModel.last_receipt_number <= last)):
            return _device(item)
        if _update_if(item, actions, same_activation):
            return _device(item)
        return DeviceRepository.get(device.merchant_id, device.id)

    @staticmethod
    def drop_stale_audit_key(device: Device) -> bool:
        """Take a device that needs no look out of the audit index, unless it changed since it was read."""
        if audit_rules.needs_audit(device):
            return False
        return _update_if(PosDeviceModel(merchant_id=device.merchant_id, id=device.id),
                          [PosDeviceModel.audit_shard.remove(), PosDeviceModel.audit_due.remove()],
                          (PosDeviceModel.version == device.version) & PosDeviceModel.audit_shard.exists())

    @staticmethod
    def record_final_sync_state(device: Device, activation_id: str, last_seq: int, now: str) -> None:
        """The old installation's report during its window: its last seq never goes down."""
        # Nothing to do when lower than known, or when the window closed meanwhile.
        _update_if(PosDeviceModel(merchant_id=device.merchant_id, id=device.id),
                   [PosDeviceModel.final_sync_last_seq.set(last_seq), PosDeviceModel.updated_at.set(now),
                    PosDeviceModel.version.add(1)],
                   (PosDeviceModel.final_sync_activation_id == activation_id)
                   & (PosDeviceModel.final_sync_last_seq < last_seq))


# ---------------------------------------------------------------- events


@translate_all
class EventRepository:
    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None):
        if pos_device_id:
            start = decode_cursor(cursor, ("pos_device_id", pos_device_id), {"merchant_id", "sk", "pos_device_id"},
                                  merchant_id)
            result = EventModel.device_index.query(pos_device_id, scan_index_forward=False, limit=limit,
                                                   last_evaluated_key=start,
                                                   filter_condition=EventModel.merchant_id == merchant_id)
        else:
            start = decode_cursor(cursor, ("merchant_id", merchant_id), {"merchant_id", "sk"})
            result = EventModel.query(merchant_id, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items, next_cursor = page(result, limit)
        return [_attrs(i, exclude=("sk", "merchant_id")) for i in items], next_cursor


# ---------------------------------------------------------------- receipts and shifts


def _receipt_id_key(merchant_id: str, receipt_id: str) -> str:
    return f"receipt#{merchant_id}#{receipt_id}"


def _same_activation(device: Device):
    return (PosDeviceModel.activation_id == device.activation_id) & (PosDeviceModel.status == "ACTIVATED")


def _final_sync_open(activation_id: str, now: str):
    return (PosDeviceModel.final_sync_activation_id == activation_id) & (PosDeviceModel.final_sync_until > now)


@translate_all
class ReceiptRepository:
    @staticmethod
    def get_many(merchant_id: str, receipt_numbers: Iterable[str]) -> dict[str, dict]:
        keys = [(merchant_id, n) for n in set(receipt_numbers)]
        if not keys:
            return {}
        return {item.receipt_number: _attrs(item) for item in ReceiptModel.batch_get(keys)}

    @staticmethod
    def get(merchant_id: str, receipt_number: str) -> dict | None:
        try:
            return _attrs(ReceiptModel.get(merchant_id, receipt_number))
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
            tx.update(item, actions=counters, condition=_same_activation(device) if final_sync is None
                      else _final_sync_open(*final_sync), refused=SlotRevoked())
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
        if pos_device_id:
            index, partition = ReceiptModel.device_created_index, ("pos_device_id", pos_device_id)
            filters = ReceiptModel.merchant_id == merchant_id
            if store_id:
                filters &= ReceiptModel.store_id == store_id
        elif store_id:
            index, partition = ReceiptModel.store_created_index, ("store_id", store_id)
            filters = ReceiptModel.merchant_id == merchant_id
        else:
            index, partition, filters = ReceiptModel.merchant_created_index, ("merchant_id", merchant_id), None
        start = decode_cursor(cursor, partition, {"merchant_id", "receipt_number", "created_sk", partition[0]},
                              merchant_id)
        range_condition = None
        if created_min and created_max:
            range_condition = ReceiptModel.created_sk.between(created_min, created_max + "\uffff")
        elif created_min:
            range_condition = ReceiptModel.created_sk >= created_min
        elif created_max:
            range_condition = ReceiptModel.created_sk <= created_max + "\uffff"
        for extra in _receipt_filters(receipt_number, employee_id, payment_type):
            filters = extra if filters is None else filters & extra
        result = index.query(partition[1], range_condition, filter_condition=filters, scan_index_forward=False,
                             limit=limit, last_evaluated_key=start)
        items, next_cursor = page(result, limit)
        return [_attrs(i, exclude=("created_sk",)) for i in items], next_cursor

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


@translate_all
class ShiftRepository:
    @staticmethod
    def get_many(merchant_id: str, shift_ids: Iterable[str]) -> dict[str, dict]:
        keys = [(merchant_id, sid) for sid in set(shift_ids)]
        return {item.id: _attrs(item) for item in ShiftModel.batch_get(keys)} if keys else {}

    @staticmethod
    def store(device: Device, shifts: list[dict], final_sync: tuple[str, str] | None = None) -> None:
        """Shift events of one slot, all or none, while the slot is still this activation's (the first item), or,
        with `final_sync` = (activation id, now), while that old installation's final-sync window is open.

        A shift is written only if it is new, or this slot's and still open: a closed shift is final and another
        slot's shift is never taken over. Raises SlotRevoked, else AlreadyStored (sort the shifts again)."""
        guard = _same_activation(device) if final_sync is None else _final_sync_open(*final_sync)
        with transaction() as tx:
            tx.condition_check(PosDeviceModel, device.merchant_id, device.id, condition=guard, refused=SlotRevoked())
            for shift in shifts:
                tx.save(ShiftModel(**shift), condition=ShiftModel.id.does_not_exist() | (
                    (ShiftModel.pos_device_id == device.id) & ShiftModel.closed_at.does_not_exist()),
                    refused=AlreadyStored())

    @staticmethod
    def flag_open_of_device(merchant_id: str, pos_device_id: str, at: str) -> list[dict]:
        """Mark the device's still-open shifts as orphaned (its slot was deactivated); returns them."""
        result = ShiftModel.device_opened_index.query(
            pos_device_id, filter_condition=(ShiftModel.merchant_id == merchant_id)
            & ShiftModel.closed_at.does_not_exist() & ShiftModel.orphaned_at.does_not_exist())
        flagged = []
        for item in result:  # one closed meanwhile by a late sync is not flagged
            if _update_if(item, [ShiftModel.orphaned_at.set(at)], ShiftModel.closed_at.does_not_exist()):
                flagged.append(_attrs(item, exclude=("opened_sk",)))
        return flagged

    @staticmethod
    def list(merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             store_id: str | None = None):
        if pos_device_id:
            index, partition = ShiftModel.device_opened_index, ("pos_device_id", pos_device_id)
            filters = ShiftModel.merchant_id == merchant_id
            if store_id:
                filters &= ShiftModel.store_id == store_id
        elif store_id:
            index, partition = ShiftModel.store_opened_index, ("store_id", store_id)
            filters = ShiftModel.merchant_id == merchant_id
        else:
            index, partition, filters = ShiftModel.merchant_opened_index, ("merchant_id", merchant_id), None
        start = decode_cursor(cursor, partition, {"merchant_id", "id", "opened_sk", partition[0]}, merchant_id)
        result = index.query(partition[1], filter_condition=filters, scan_index_forward=False, limit=limit,
                             last_evaluated_key=start)
        items, next_cursor = page(result, limit)
        return [_attrs(i, exclude=("opened_sk",)) for i in items], next_cursor


# ---------------------------------------------------------------- findings


def _finding_guard(merchant_id: str, device_id: str, type_: str) -> str:
    """A device has at most one open finding of a type: this key is claimed while it is open."""
    return f"finding#{merchant_id}#{device_id}#{type_}"


@translate_all
class FindingRepository:
    @staticmethod
    def open_in_shard(shard: str) -> list[dict]:
        """Every open finding indexed under one shard (with what the audit needs, no full reads)."""
        return [_attrs(item) for item in FindingModel.open_index.query(shard)]

    @staticmethod
    def open_for_merchant(merchant_id: str) -> list[dict]:
        result = FindingModel.merchant_seen_index.query(merchant_id,
                                                        filter_condition=FindingModel.resolved_at.does_not_exist())
        return [_attrs(item) for item in result]

    @staticmethod
    def open_ids_for_device(merchant_id: str, device_id: str) -> list[tuple[str, str]]:
        """(type, finding id) of the device's open findings, read consistently from their claims."""
        keys = [_finding_guard(merchant_id, device_id, type_) for type_ in audit_rules.FINDING_TYPES]
        found = {guard.pk: guard.owner_id for guard in GuardModel.batch_get(keys, consistent_read=True)}
        return [(type_, found[key]) for type_, key in zip(audit_rules.FINDING_TYPES, keys) if key in found]

    @staticmethod
    def raise_finding(finding: dict, activation_id: str | None) -> bool:
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
        except WriteRefused:
            return False
        return True

    @staticmethod
    def put(finding: dict) -> None:
        """A finding the audit does not raise or resolve (SHIFT_LEFT_OPEN): no claim, not in the shard index."""
        FindingModel(**finding).save(condition=FindingModel.id.does_not_exist())

    @staticmethod
    def refresh(merchant_id: str, finding_id: str, fields: dict) -> bool:
        """Update an open finding; False when it was resolved meanwhile (nothing written)."""
        actions = [getattr(FindingModel, name).remove() if value is None else getattr(FindingModel, name).set(value)
                   for name, value in fields.items()]
        return _update_if(FindingModel(merchant_id=merchant_id, id=finding_id), actions,
                          FindingModel.id.exists() & FindingModel.resolved_at.does_not_exist())

    @staticmethod
    def resolve(merchant_id: str, device_id: str, type_: str, finding_id: str, at: str) -> bool:
        """Resolve an open finding and free its claim together; False when it was already resolved."""
        try:
            with transaction() as tx:
                tx.update(FindingModel(merchant_id=merchant_id, id=finding_id),
                          actions=[FindingModel.resolved_at.set(at), FindingModel.open_shard.remove()],
                          condition=FindingModel.id.exists() & FindingModel.resolved_at.does_not_exist())
                tx.delete(GuardModel(pk=_finding_guard(merchant_id, device_id, type_)),
                          condition=(GuardModel.owner_id == finding_id) | GuardModel.pk.does_not_exist())
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
            start = decode_cursor(cursor, ("pos_device_id", pos_device_id),
                                  {"merchant_id", "id", "pos_device_id", "first_seen_at"}, merchant_id)
            merchant_only = FindingModel.merchant_id == merchant_id
            result = FindingModel.device_index.query(
                pos_device_id, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                filter_condition=merchant_only if condition is None else merchant_only & condition)
        else:
            start = decode_cursor(cursor, ("merchant_id", merchant_id), {"merchant_id", "id", "first_seen_at"})
            result = FindingModel.merchant_seen_index.query(merchant_id, scan_index_forward=False,
                                                            filter_condition=condition, limit=limit,
                                                            last_evaluated_key=start)
        items, next_cursor = page(result, limit)
        hidden = ("merchant_id", "missing_count", "open_shard", "checked_from", "checked_upto")
        return [_attrs(i, exclude=hidden) | {"missing_count": i.missing_count} for i in items], next_cursor

