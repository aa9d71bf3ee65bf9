"""Repositories: the use cases' only way to DynamoDB. They return plain dicts and domain objects."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.adapters.dynamo import (
    cancellation_codes, decode_cursor, is_condition_failure, page, transaction, translate_all,
)
from chalicelib.adapters.models import (
    EmployeeModel, EventModel, FindingModel, GuardModel, MerchantModel, PosDeviceModel,
    ReceiptModel, ShiftModel, StoreModel, TokenModel,
)
from chalicelib.domain.devices import Device, Status, name_key
from chalicelib.errors import Conflict

ACTIVATED_SHARD = "ACTIVATED"


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


def event_item(event: dict) -> EventModel:
    return EventModel(sk=f"{event['sort_at']}#{event['id']}", **{k: v for k, v in event.items() if k != "sort_at"})


# ---------------------------------------------------------------- accounts


@translate_all
class AccountRepository:
    """Merchants, employees and the guards that keep e-mails and PINs unique."""

    @staticmethod
    def create_merchant(merchant: dict, owner: dict, event: dict) -> None:
        def writes(tx):
            tx.save(MerchantModel(**merchant), condition=MerchantModel.id.does_not_exist())
            claimed = _employee_writes(tx, owner, old=None)
            tx.save(event_item(event))
            return [None, None] + claimed

        _run_claiming(writes)

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
    def find_employee_by_pin(merchant_id: str, pin: str) -> dict | None:
        try:
            guard = GuardModel.get(f"pin#{merchant_id}#{pin}")
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
        def writes(tx):
            claimed = _employee_writes(tx, employee, old)
            tx.save(event_item(event))
            return [None] + claimed

        _run_claiming(writes)

    @staticmethod
    def delete_employee(employee: dict, event: dict) -> None:
        with transaction() as tx:
            tx.delete(EmployeeModel(merchant_id=employee["merchant_id"], id=employee["id"]),
                      condition=EmployeeModel.id.exists())
            for pk in _guard_keys(employee):
                tx.delete(GuardModel(pk=pk))
            tx.save(event_item(event))

    # Login failures: one window per e-mail, counted atomically.
    @staticmethod
    def login_failures(email: str) -> dict | None:
        try:
            return _attrs(GuardModel.get(f"login#{email.lower()}"))
        except DoesNotExist:
            return None

    @staticmethod
    def record_login_failure(email: str, now_epoch: int, window_seconds: int) -> int:
        guard = GuardModel(pk=f"login#{email.lower()}")
        fresh = GuardModel.window_start_epoch > now_epoch - window_seconds
        try:
            guard.update(actions=[GuardModel.count.add(1)], condition=fresh)
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            guard.update(actions=[
                GuardModel.count.set(1), GuardModel.window_start_epoch.set(now_epoch),
                GuardModel.expires_at_epoch.set(now_epoch + window_seconds),
            ])
        return guard.count

    @staticmethod
    def clear_login_failures(email: str) -> None:
        GuardModel(pk=f"login#{email.lower()}").delete()


def _guard_keys(employee: dict) -> list[str]:
    keys = []
    if employee.get("email"):
        keys.append(f"email#{employee['email'].lower()}")
    if employee.get("pin"):
        keys.append(f"pin#{employee['merchant_id']}#{employee['pin']}")
    return keys


def _employee_writes(tx, employee: dict, old: dict | None) -> list[str]:
    """The employee item and its uniqueness guards; returns the field each new guard claims, in order."""
    new_keys, old_keys = _guard_keys(employee), _guard_keys(old or {})
    condition = EmployeeModel.id.does_not_exist() if old is None else EmployeeModel.updated_at == old["updated_at"]
    tx.save(EmployeeModel(**employee), condition=condition)
    claimed = []
    for pk in new_keys:
        if pk not in old_keys:
            tx.save(GuardModel(pk=pk, owner_id=employee["id"]), condition=GuardModel.pk.does_not_exist())
            claimed.append(pk.split("#", 1)[0])
    for pk in old_keys:
        if pk not in new_keys:
            tx.delete(GuardModel(pk=pk))
    return claimed


def _run_claiming(writes) -> None:
    """Run a transaction whose items claim unique e-mails/PINs; a taken one becomes a 409 naming the field."""
    fields: list = []
    try:
        with transaction() as tx:
            claimed = writes(tx)
            # PynamoDB sends condition checks, then deletes, then puts: `claimed` indexes the puts.
            fields = [None] * (len(tx._condition_check_items) + len(tx._delete_items)) + claimed
    except TransactWriteError as exc:
        codes = [r.code if r else None for r in exc.cancellation_reasons or []]
        for position, code in enumerate(codes):
            if code == "ConditionalCheckFailed":
                field = fields[position] if position < len(fields) else None
                if field == "email":
                    raise Conflict(field="email", code="EMAIL_TAKEN") from None
                if field == "pin":
                    raise Conflict(field="pin", code="PIN_TAKEN") from None
                raise Conflict(code="EDIT_CONFLICT") from None
        raise


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
        condition = (StoreModel.id.does_not_exist() if expected_updated_at is None
                     else StoreModel.updated_at == expected_updated_at)
        with transaction() as tx:
            tx.save(StoreModel(**store), condition=condition)
            tx.save(event_item(event))

    @staticmethod
    def delete(store: dict, event: dict) -> None:
        try:
            with transaction() as tx:
                tx.delete(StoreModel(merchant_id=store["merchant_id"], id=store["id"]),
                          condition=(StoreModel.device_count == 0) | StoreModel.device_count.does_not_exist())
                tx.save(event_item(event))
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise Conflict(code="STORE_HAS_POS_DEVICES") from None
            raise


# ---------------------------------------------------------------- devices


def _device(item: PosDeviceModel) -> Device:
    data = _attrs(item, exclude=("activated_shard",))
    fields = {f.name for f in dataclasses.fields(Device)}
    data = {k: v for k, v in data.items() if k in fields}
    data["status"] = Status(data["status"])
    return Device(**data)


def _device_item(device: Device) -> PosDeviceModel:
    data = dataclasses.asdict(device)
    data["status"] = device.status.value
    data["activated_shard"] = ACTIVATED_SHARD if device.status == Status.ACTIVATED and not device.deleted_at else None
    return PosDeviceModel(**data)


def _name_guard(device: Device) -> str | None:
    """The guard item that keeps POS names unique within a store (a deleted POS frees its name)."""
    if device.deleted_at:
        return None
    return f"posname#{device.merchant_id}#{device.store_id}#{name_key(device.name)}"


def _raise_if_name_taken(exc: TransactWriteError, position: int | None, device: Device) -> None:
    codes = cancellation_codes(exc)
    if position is not None and position < len(codes) and codes[position] == "ConditionalCheckFailed":
        raise Conflict(field="name", code="NAME_TAKEN", params={"name": device.name}) from None


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
    def list_activated(limit: int, cursor_key: dict | None) -> tuple[list[Device], dict | None]:
        """Every ACTIVATED slot of every merchant, through the sparse index (the audit's read)."""
        result = PosDeviceModel.activated_index.query(ACTIVATED_SHARD, limit=limit, last_evaluated_key=cursor_key)
        items = list(result)
        return [_device(i) for i in items], result.last_evaluated_key

    @staticmethod
    def scan_with_deletion_running() -> list[Device]:
        """Every slot of every merchant whose deletion is RUNNING. A full scan: only for the local
        server's start-up (after loading a snapshot), never on a request path."""
        return [device for device in map(_device, PosDeviceModel.scan(PosDeviceModel.deletion.exists()))
                if device.deleting]

    @staticmethod
    def create(device: Device, counter_was: int, event: dict) -> None:
        """Device, merchant number counter, store device count and log entry: all or nothing."""
        merchant = MerchantModel(id=device.merchant_id)
        store = StoreModel(merchant_id=device.merchant_id, id=device.store_id)
        try:
            with transaction() as tx:
                tx.update(merchant, actions=[MerchantModel.pos_number_counter.set(device.number)],
                          condition=MerchantModel.pos_number_counter == counter_was)
                tx.update(store, actions=[StoreModel.device_count.add(1)], condition=StoreModel.id.exists())
                tx.save(GuardModel(pk=_name_guard(device), owner_id=device.id),
                        condition=GuardModel.pk.does_not_exist())
                tx.save(_device_item(device), condition=PosDeviceModel.id.does_not_exist())
                tx.save(event_item(event))
        except TransactWriteError as exc:
            _raise_if_name_taken(exc, 0, device)  # puts come first in PynamoDB's order; the guard is put 0
            raise

    @staticmethod
    def save_transition(before: Device, after: Device, event: dict | None, token_writes: Iterable = (),
                        leaves_store: bool = False) -> None:
        """Write `after` only if nobody changed the slot since `before` was read (version check).

        A new name or store claims the name's guard (409 NAME_TAKEN) and frees the old one; a move to
        another store also moves the stores' device counts (the new store must exist)."""
        after = dataclasses.replace(after, version=before.version + 1)
        old_guard, new_guard = _name_guard(before), _name_guard(after)
        guard_position = None
        try:
            with transaction() as tx:
                if new_guard != old_guard:
                    if old_guard:
                        tx.delete(GuardModel(pk=old_guard))
                    if new_guard:
                        guard_position = len(tx._delete_items)  # deletes, then puts: the guard is the first put
                        tx.save(GuardModel(pk=new_guard, owner_id=after.id), condition=GuardModel.pk.does_not_exist())
                tx.save(_device_item(after), condition=PosDeviceModel.version == before.version)
                if event:
                    tx.save(event_item(event))
                for token in token_writes:
                    tx.save(TokenModel(**token))
                if leaves_store:
                    tx.update(StoreModel(merchant_id=after.merchant_id, id=after.store_id),
                              actions=[StoreModel.device_count.add(-1)])
                elif after.store_id != before.store_id:
                    tx.update(StoreModel(merchant_id=before.merchant_id, id=before.store_id),
                              actions=[StoreModel.device_count.add(-1)])
                    tx.update(StoreModel(merchant_id=after.merchant_id, id=after.store_id),
                              actions=[StoreModel.device_count.add(1)], condition=StoreModel.id.exists())
        except TransactWriteError as exc:
            _raise_if_name_taken(exc, guard_position, after)
            raise

    @staticmethod
    def record_sync_state(device: Device, state: dict, now: str) -> None:
        """The device's own report; last_receipt_number never goes down, even with racing syncs."""
        item = PosDeviceModel(merchant_id=device.merchant_id, id=device.id)
        same_activation = (PosDeviceModel.activation_id == device.activation_id) & (PosDeviceModel.status == "ACTIVATED")
        actions = [PosDeviceModel.last_sync_at.set(now), PosDeviceModel.updated_at.set(now),
                   PosDeviceModel.version.add(1)]
        for name in ("open_tickets", "shift_open", "open_shift_id", "shift_opened_at"):
            if name in state:
                attr = getattr(PosDeviceModel, name)
                actions.append(attr.set(state[name]) if state[name] is not None else attr.remove())
        last = state.get("last_receipt_number")
        if last is not None:
            try:
                item.update(actions=actions + [PosDeviceModel.last_receipt_number.set(last)],
                            condition=same_activation & (PosDeviceModel.last_receipt_number <= last))
                return
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise
        try:
            item.update(actions=actions, condition=same_activation)
        except UpdateError as exc:
            # Deactivated after this sync's receipts were stored (they stay stored and counted): the report of a
            # revoked device is void, and the answer shows the slot as it now is.
            if not is_condition_failure(exc):
                raise

    @staticmethod
    def device_still_active(device: Device) -> bool:
        current = DeviceRepository.get(device.merchant_id, device.id)
        return bool(current and current.activation_id == device.activation_id and current.status == Status.ACTIVATED)


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
    def store_batch(device: Device, receipts: list[dict]) -> None:
        """Up to 99 receipts and the slot's counter in one transaction: all land or none.

        Raises TransactWriteError on a taken number or a revoked slot; the caller sorts it out."""
        item = PosDeviceModel(merchant_id=device.merchant_id, id=device.id)
        with transaction() as tx:
            for receipt in receipts:
                tx.save(ReceiptModel(**receipt), condition=ReceiptModel.receipt_number.does_not_exist())
            tx.update(item, actions=[PosDeviceModel.synced_receipts.add(len(receipts)), PosDeviceModel.version.add(1)],
                      condition=(PosDeviceModel.activation_id == device.activation_id)
                      & (PosDeviceModel.status == "ACTIVATED"))

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
    def upsert(shift: dict) -> bool:
        """Store a shift event; a closed shift is final, so a stale 'open' copy never reopens it."""
        item = ShiftModel(**shift)
        try:
            if shift.get("closed_at"):
                item.save()
            else:
                item.save(condition=ShiftModel.closed_at.does_not_exist())
            return True
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise

    @staticmethod
    def flag_open_of_device(merchant_id: str, pos_device_id: str, at: str) -> list[dict]:
        """Mark the device's still-open shifts as orphaned (its slot was deactivated); returns them."""
        result = ShiftModel.device_opened_index.query(
            pos_device_id, filter_condition=(ShiftModel.merchant_id == merchant_id)
            & ShiftModel.closed_at.does_not_exist() & ShiftModel.orphaned_at.does_not_exist())
        flagged = []
        for item in result:
            try:
                item.update(actions=[ShiftModel.orphaned_at.set(at)], condition=ShiftModel.closed_at.does_not_exist())
                flagged.append(_attrs(item, exclude=("opened_sk",)))
            except UpdateError as exc:
                if not is_condition_failure(exc):  # closed meanwhile by a late sync: nothing to flag
                    raise
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


@translate_all
class FindingRepository:
    @staticmethod
    def open_for_device(merchant_id: str, pos_device_id: str) -> list[dict]:
        result = FindingModel.device_index.query(
            pos_device_id, filter_condition=(FindingModel.merchant_id == merchant_id)
            & FindingModel.resolved_at.does_not_exist())
        return [_attrs(i) for i in result]

    @staticmethod
    def put(finding: dict) -> None:
        FindingModel(**finding).save()

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
        return [_attrs(i, exclude=("merchant_id", "missing_count")) | {"missing_count": i.missing_count}
                for i in items], next_cursor

