"""Merchants, employees, the guards that keep e-mails and PINs unique, and attempt windows."""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo import key_value, transaction, translate_all
from chalicelib.adapters.models import EmployeeModel, GuardModel, MerchantModel, StoreModel
from chalicelib.adapters.repositories._common import attrs, event_item, fill_defaults, list_page, update_if
from chalicelib.domain.devices import store_name_guard
from chalicelib.errors import Conflict
from chalicelib.ports import VersionConflict


@translate_all
class AccountRepository:
    """Merchants, employees and the guards that keep e-mails and PINs unique."""

    @staticmethod
    def create_merchant(merchant: dict, owner: dict, event: dict, store: dict | None = None) -> None:
        """Raises VersionConflict (the ids exist), or a 409 EMAIL_TAKEN naming the owner's e-mail. `store`: the
        merchant's first store, made in the same transaction."""
        with transaction() as tx:
            tx.save(MerchantModel(**merchant), condition=MerchantModel.id.does_not_exist())
            _employee_writes(tx, owner, old=None)
            tx.save(event_item(event))
            if store is not None:
                tx.save(StoreModel(**store), condition=StoreModel.id.does_not_exist())
                tx.save(GuardModel(pk=key_value(store_name_guard(merchant["id"], store["name"])), owner_id=store["id"]))

    @staticmethod
    def get_merchant(merchant_id: str) -> dict | None:
        try:
            return attrs(MerchantModel.get(merchant_id))
        except DoesNotExist:
            return None

    @staticmethod
    def get_employee(merchant_id: str, employee_id: str) -> dict | None:
        try:
            return fill_defaults(EmployeeModel, attrs(EmployeeModel.get(merchant_id, employee_id)))
        except DoesNotExist:
            return None

    @staticmethod
    def find_employee_by_email(email: str) -> dict | None:
        for item in EmployeeModel.email_index.query(key_value(email.lower()), limit=1):
            return fill_defaults(EmployeeModel, attrs(item))
        return None

    @staticmethod
    def find_employee_by_pin(merchant_id: str, pin_hash: str) -> dict | None:
        try:
            guard = GuardModel.get(key_value(f"pin#{merchant_id}#{pin_hash}"))
        except DoesNotExist:
            return None
        return AccountRepository.get_employee(merchant_id, guard.owner_id)

    @staticmethod
    def get_employees(merchant_id: str, employee_ids: Iterable[str]) -> dict[str, dict]:
        keys = [(merchant_id, eid) for eid in set(employee_ids)]
        return {item.id: attrs(item) for item in EmployeeModel.batch_get(keys)} if keys else {}

    @staticmethod
    def list_employees(merchant_id: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        items, next_cursor = list_page(EmployeeModel, merchant_id, limit, cursor, {"merchant_id", "id"})
        return [fill_defaults(EmployeeModel, attrs(i)) for i in items], next_cursor

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
        guard = GuardModel(pk=_attempts_key(key))
        expired = GuardModel.window_start_epoch <= now_epoch - window_seconds
        for _ in range(8):
            try:
                current = GuardModel.get(guard.pk, consistent_read=True)
            except DoesNotExist:
                current = None
            opens = current is None or current.window_start_epoch is None or \
                current.window_start_epoch <= now_epoch - window_seconds
            if not opens and (current.count or 0) >= limit:
                # Locked out: answered without a write (a transaction with no items sends nothing: DynamoDB
                # refuses an empty TransactWriteItems, which once made this a 500 instead of the 429).
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
        GuardModel(pk=_attempts_key(key)).delete()

    @staticmethod
    def release_attempt(key: str) -> None:
        """Give back one attempt counted by reserve_attempt (it turned out not to be a failure)."""
        update_if(GuardModel(pk=_attempts_key(key)), [GuardModel.count.add(-1)], GuardModel.count > 0)


def _attempts_key(key: str) -> str:
    """The guard item counting one attempt window (an e-mail's logins, a POS's or an employee's PINs)."""
    return key_value(f"login#{key.lower()}")


def _guard_keys(employee: dict) -> list[str]:
    keys = []
    if employee.get("email"):
        keys.append(key_value(f"email#{employee['email'].lower()}"))
    if employee.get("pin_hash"):
        keys.append(key_value(f"pin#{employee['merchant_id']}#{employee['pin_hash']}"))
    return keys


# The 409 a taken e-mail or PIN answers (a table, not an f-string: the OpenAPI document reads the codes from here).
TAKEN_CODES = {"email": "EMAIL_TAKEN", "pin": "PIN_TAKEN"}


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
                    refused=Conflict(field=field, code=TAKEN_CODES[field]))
    for pk in old_keys:
        if pk not in new_keys:
            tx.delete(GuardModel(pk=pk))
