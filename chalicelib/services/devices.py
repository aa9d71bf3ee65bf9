"""POS device lifecycle: create, rename, activate from the POS app, switch user, deactivate."""
import dataclasses

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.domain import final_sync
from chalicelib.domain.devices import Action, Device, Status
from chalicelib.domain.roles import BACK_OFFICE_ROLES, POS_LOGIN_ROLES, require_role
from chalicelib.errors import (
    DeviceDeactivated, DeviceDeleted, Forbidden, InvalidCredentials, InvalidInput, PairingCodeInvalid,
    ServiceUnavailable, Unauthenticated,
)
from chalicelib.ports import UnknownStore, VersionConflict
from chalicelib.services import accounts
from chalicelib.services.common import DevicePrincipal, Principal, new_event, new_id, not_found
from chalicelib.services.findings import raise_left_open_shifts, resolve_device_findings
from chalicelib.services.scope import scoped_page
from chalicelib.services.security import hash_pin, hash_token, new_token
from chalicelib.services.slot_writes import (
    MAX_CONFLICT_RETRIES, SlotChange, change_device, close_expired_final_sync, deactivation, revocation,
)
from chalicelib.wiring import adapters


def get_device(principal: Principal, device_id: str) -> Device:
    device = adapters().devices.get(principal.merchant_id, device_id)
    if not device or not principal.sees_store(device.store_id):  # outside the caller's stores: as a missing one
        raise not_found("POS device")
    return _closing_expired_window(device, clock.iso())


def _closing_expired_window(device: Device, now: str) -> Device:
    """The slot as read, or, when its final-sync window's time is up, as it is once that window is closed (a
    window closes when it is read, or by the scheduled audit)."""
    return close_expired_final_sync(device) if final_sync.expired(device, now) else device


def create_device(principal: Principal, name: str, store_id: str) -> Device:
    require_role(principal.role, BACK_OFFICE_ROLES, "create POS devices")
    if not principal.sees_store(store_id) or not adapters().stores.get(principal.merchant_id, store_id):
        raise InvalidInput(field="store_id", code="UNKNOWN_STORE")
    for _ in range(MAX_CONFLICT_RETRIES * 4):
        merchant = adapters().accounts.get_merchant(principal.merchant_id)
        counter = int(merchant.get("pos_number_counter") or 0)
        now = clock.iso()
        device = Device(merchant_id=principal.merchant_id, id=new_id(), name=name, store_id=store_id,
                        number=counter + 1, created_at=now, updated_at=now)
        event = new_event(principal.merchant_id, "pos_device.created", principal.actor, device.id,
                          {"name": name, "store_id": store_id, "number": device.number})
        try:
            adapters().devices.create(device, counter, event)
            return device
        except UnknownStore:
            raise InvalidInput(field="store_id", code="UNKNOWN_STORE") from None
        except VersionConflict:
            pass  # another create took this number first: read the counter again and take the next one
    raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.creating")


def list_devices(principal: Principal, limit: int, cursor: str | None, store_id: str | None = None, **filters):
    items, cursor = scoped_page(
        principal, lambda count, after, store: adapters().devices.list(principal.merchant_id, count, after,
                                                                        store_id=store, **filters),
        limit, cursor, store_id)
    now = clock.iso()
    return [_closing_expired_window(device, now) for device in items], cursor


def rename_device(principal: Principal, device_id: str, name: str) -> Device:
    require_role(principal.role, BACK_OFFICE_ROLES, "rename POS devices")

    def change(device: Device):
        device.check(Action.RENAME)
        return SlotChange(dataclasses.replace(device, name=name, updated_at=clock.iso()),
                          {"from": device.name, "to": name})

    return change_device(principal, principal.merchant_id, device_id, change, "pos_device.renamed").device


def update_device(principal: Principal, device_id: str, name: str | None = None, store_id: str | None = None) -> Device:
    """PATCH: a new name (unique within the store) and/or another store (only while no app is bound), in one
    write: a refused part (a taken name, a gone store, a slot still activated) leaves the slot as it was."""
    device = get_device(principal, device_id)
    renames = name is not None and name != device.name
    moves = store_id is not None and store_id != device.store_id
    if not moves:
        return rename_device(principal, device_id, name) if renames else device
    if not renames:
        return move_device(principal, device_id, store_id)
    require_role(principal.role, BACK_OFFICE_ROLES, "move POS devices")
    _check_store(principal, store_id)

    def change(current: Device):
        current.check(Action.RENAME)
        current.check(Action.MOVE_STORE)
        _check_store(principal, store_id)  # again on a retry: the store may have been deleted meanwhile
        after = dataclasses.replace(current, name=name, store_id=store_id, updated_at=clock.iso())
        return SlotChange(after, {"from": current.name, "to": name}, [
            ("pos_device.moved", {"from_store_id": current.store_id, "to_store_id": store_id})])

    return change_device(principal, principal.merchant_id, device_id, change, "pos_device.renamed").device


def _check_store(principal: Principal, store_id: str) -> None:
    # A MANAGER moves a POS only between their own stores: another store is unknown to them.
    if not principal.sees_store(store_id) or not adapters().stores.get(principal.merchant_id, store_id):
        raise InvalidInput(field="store_id", code="UNKNOWN_STORE")


def move_device(principal: Principal, device_id: str, store_id: str) -> Device:
    require_role(principal.role, BACK_OFFICE_ROLES, "move POS devices")
    _check_store(principal, store_id)

    def change(device: Device):
        device.check(Action.MOVE_STORE)
        _check_store(principal, store_id)  # again on a retry: the store may have been deleted meanwhile
        return SlotChange(dataclasses.replace(device, store_id=store_id, updated_at=clock.iso()),
                          {"from_store_id": device.store_id, "to_store_id": store_id})

    # A store deleted meanwhile fails the write's condition; the retry reads it again and answers UNKNOWN_STORE.
    return change_device(principal, principal.merchant_id, device_id, change, "pos_device.moved").device


def deactivate_device(principal: Principal, device_id: str, actor: dict | None = None,
                      final_sync_hours: int = 0) -> tuple[Device, int]:
    """Revoke the device; receipts it reported but never synced are written off as lost.

    With `final_sync_hours` > 0 the slot is INACTIVE at once (and can be activated again at once), but the
    old installation may still upload its own receipts until `final_sync_until` (domain/final_sync.py)."""
    require_role(principal.role, BACK_OFFICE_ROLES, "deactivate POS devices")
    merchant_id = principal.merchant_id

    closing: dict = {}

    def change(device: Device) -> SlotChange:
        closing["activation_id"] = device.final_sync_activation_id  # an earlier window closes on the way
        return deactivation(device, clock.now(), final_sync_hours)

    written = change_device(principal, merchant_id, device_id, change, "pos_device.deactivated",
                            actor=actor, token_writes=revocation)
    device = written.device
    resolve_device_findings(merchant_id, device_id)
    if not device.final_sync_open:
        raise_left_open_shifts(device, deleted=False)
    elif closing["activation_id"]:
        # A new window opened (its installation may still close its shift), and the earlier one closed.
        raise_left_open_shifts(device, deleted=False, activation_id=closing["activation_id"])
    return device, written.details["lost_receipts"]


# ---------------------------------------------------------------- the POS app side


def pos_login(email: str, password: str) -> dict:
    employee = accounts.check_credentials(email, password, POS_LOGIN_ROLES)
    token, token_hash = new_token()
    adapters().tokens.put(token_hash, kind="login", merchant_id=employee["merchant_id"], employee_id=employee["id"],
                          expires_at_epoch=clock.epoch() + settings().login_token_ttl_seconds,
                          session_epoch=accounts.session_epoch(employee))
    # A MANAGER's login offers only their stores' slots (and activates only those: activate_slot)
    principal = accounts.principal_of(employee)
    devices = [d for d in _activatable_devices(employee["merchant_id"]) if principal.sees_store(d.store_id)]
    stores = adapters().stores.get_many(employee["merchant_id"], [d.store_id for d in devices])
    return {"login_token": token, "employee": employee, "pos_devices": devices, "stores": stores}


def _activatable_devices(merchant_id: str) -> list[Device]:
    devices, cursor = [], None
    while True:
        page, cursor = adapters().devices.list(merchant_id, limit=250, cursor=cursor)
        devices += [d for d in page if d.status in (Status.NOT_ACTIVATED, Status.INACTIVE) and not d.deleting]
        if not cursor:
            return devices


def activate_device(login_token: str, device_id: str, installation_id: str) -> dict:
    """A login token activates one slot: it is used up in the activation's transaction. What stays is a record
    that lets the same installation retry the same slot with it (an answer lost on the way: issue 22.21)."""
    login_hash = hash_token(login_token or "")
    try:
        record = accounts.token_record(login_token, "login")
        retry_only = False
    except Unauthenticated:
        record = adapters().tokens.get(_login_retry_hash(login_hash, device_id))
        if not record or record.get("kind") != "login_retry" or record.get("expires_at_epoch", 0) <= clock.epoch():
            raise
        retry_only = True
    merchant_id = record["merchant_id"]
    employee = adapters().accounts.get_employee(merchant_id, record["employee_id"])
    if not employee:
        raise InvalidCredentials(key="INVALID_CREDENTIALS.login_gone")
    accounts.check_session(record, employee)  # password, e-mail, role or stores changed since the login
    require_role(employee["role"], POS_LOGIN_ROLES, "log in here")
    login = {"hash": login_hash, "retry_only": retry_only, "expires_at_epoch": record.get("expires_at_epoch"),
             "session_epoch": record.get("session_epoch")}
    return activate_slot(merchant_id, employee, device_id, installation_id, "LOGIN", login=login)


def _login_retry_hash(login_hash: str, device_id: str) -> str:
    return hash_token(f"{login_hash}:{device_id}")


def pairing_retry_hash(code_hash: str) -> str:
    """The key of the record a used pairing code leaves (only who knows the code can name it)."""
    return hash_token(f"{code_hash}:pairing_retry")


def activate_slot(merchant_id: str, employee: dict, device_id: str, installation_id: str, method: str,
                  pairing_code_hash: str | None = None, login: dict | None = None,
                  pairing_retry: dict | None = None) -> dict:
    """Bind a slot to an installation; by e-mail+password (LOGIN) or by a pairing code (PAIRING_CODE).

    Both lead to the same state and the same `pos_device.activated` event; a pairing code, or the login token,
    is used up in the same transaction (its record must still exist), so it works once. As a login token leaves a
    `login_retry` record, a pairing code leaves a `pairing_retry` one (`pairing_retry` = {"hash", "expires_at_epoch"}
    when the code is used): with it the same installation may pair the same slot again with the same code while
    the code would have lived (its answer was lost: issue 22.21). `pairing_retry` = {"activation_id"} is such a
    retry: it succeeds only while the slot is still that installation's, in that activation."""
    token, token_hash = new_token()
    new_activation_id = new_id()
    # A MANAGER's e-mail and password activate only their stores' slots: another store's answers 404 as a missing
    # one (DESIGN.md 3.2; the POS API's shapes are unchanged). A pairing code was made in its maker's scope.
    principal = Principal(merchant_id=merchant_id, employee_id=employee["id"], role=employee["role"],
                          name=employee.get("name"),
                          store_ids=accounts.principal_of(employee).store_ids if method == "LOGIN" else None)
    chosen: dict = {}

    def change(device: Device):
        now = clock.iso()
        if pairing_code_hash is not None and (
                device.pairing_code_hash != pairing_code_hash
                or (device.pairing_code_expires_at or "") <= now or device.deleted_at):
            raise PairingCodeInvalid()
        chosen.update(activation_id=new_activation_id, closed_window=None, retry=False)
        again = _same_installation_again(device, installation_id)
        if pairing_retry is not None and "activation_id" in pairing_retry and not (
                again and device.activation_id == pairing_retry["activation_id"]):
            raise PairingCodeInvalid()  # the code was used, and the slot is no longer that pairing's
        if login is not None and not again:
            device.check(Action.ACTIVATE)  # a slot taken meanwhile answers SLOT_TAKEN, whatever the login did
            if login["retry_only"] or not adapters().tokens.get(login["hash"]):
                # The login token activated a slot (now, or in a request that raced this one): if it was this
                # one, SLOT_TAKEN says so (the slot as read above may predate that activation).
                now_there = adapters().devices.get(device.merchant_id, device.id)
                if now_there is not None:
                    now_there.check(Action.ACTIVATE)
                raise InvalidCredentials(key="INVALID_CREDENTIALS.login_used")
        if again:
            # A retry whose first answer was lost: the activation stands; this answer carries a new token for
            # it (the previous token, which the device never received, is revoked in the same write).
            chosen.update(activation_id=device.activation_id, retry=True, old_token_hash=device.device_token_hash)
            after = dataclasses.replace(device, device_token_hash=token_hash, updated_at=now)
            return SlotChange(after, None)  # no second `pos_device.activated`
        extra = []
        if final_sync.expired(device, now):
            chosen["closed_window"] = device.final_sync_activation_id
            device, closed_details = final_sync.closed(device, now, final_sync.EXPIRED)
            extra.append(("pos_device.final_sync_closed", closed_details))
        after = device.activated(installation_id, new_activation_id, token_hash, employee["id"], now)
        return SlotChange(after, {"installation_id": installation_id, "employee_id": employee["id"],
                                  "next_receipt_seq": after.next_receipt_seq, "method": method}, extra)

    def issue_token(_before: Device, after: Device):
        written = [{"token_hash": token_hash, "kind": "device", "merchant_id": merchant_id,
                    "employee_id": employee["id"], "pos_device_id": after.id, "activation_id": chosen["activation_id"]}]
        if login is not None and not chosen["retry"]:
            written.append({"token_hash": _login_retry_hash(login["hash"], after.id), "kind": "login_retry",
                            "merchant_id": merchant_id, "employee_id": employee["id"], "pos_device_id": after.id,
                            "expires_at_epoch": login["expires_at_epoch"], "session_epoch": login["session_epoch"]})
        if pairing_retry is not None and "hash" in pairing_retry and not chosen["retry"]:
            written.append({"token_hash": pairing_retry_hash(pairing_retry["hash"]), "kind": "pairing_retry",
                            "merchant_id": merchant_id, "employee_id": employee["id"], "pos_device_id": after.id,
                            "activation_id": chosen["activation_id"],
                            "expires_at_epoch": pairing_retry["expires_at_epoch"]})
        return written

    def use_code(before: Device, _after: Device):
        if chosen["retry"]:
            return [(chosen["old_token_hash"], False)] if chosen.get("old_token_hash") else []
        used = [(login["hash"], True)] if login is not None else []  # a login token activates one slot
        if not before.pairing_code_hash:
            return used
        return [*used, (before.pairing_code_hash, pairing_code_hash is not None)]

    device = change_device(principal, merchant_id, device_id, change, "pos_device.activated",
                           token_writes=issue_token, token_deletes=use_code).device
    if chosen["closed_window"]:  # its old installation can no longer close its shifts
        raise_left_open_shifts(device, deleted=False, activation_id=chosen["closed_window"])
    return {"device_token": token, "pos_device": device, "next_receipt_seq": device.next_receipt_seq,
            "employee": employee}


def _same_installation_again(device: Device, installation_id: str) -> bool:
    """The slot is already this installation's (an activation whose answer was lost, sent again)."""
    return (device.status == Status.ACTIVATED and not device.deleted_at and not device.deleting
            and device.installation_id == installation_id and bool(device.activation_id))


def authenticate_device(token: str | None, allow_final_sync: bool = False) -> DevicePrincipal:
    """The slot behind a device token; a revoked or deleted slot answers 401 with its own code. `allow_final_sync`
    (sync and me only): also the old installation of an open final-sync window."""
    record = accounts.token_record(token, "device")
    device = adapters().devices.get(record["merchant_id"], record["pos_device_id"])
    if not device or device.deleted_at:
        raise DeviceDeleted()
    if device.status == Status.ACTIVATED and device.activation_id == record["activation_id"]:
        return DevicePrincipal(merchant_id=device.merchant_id, employee_id=device.current_employee_id,
                               pos_device_id=device.id, activation_id=device.activation_id, device=device)
    if device.final_sync_open and device.final_sync_activation_id == record["activation_id"]:
        if final_sync.expired(device, clock.iso()):
            close_expired_final_sync(device)
        elif allow_final_sync:
            return DevicePrincipal(merchant_id=device.merchant_id, employee_id=record.get("employee_id"),
                                   pos_device_id=device.id, activation_id=record["activation_id"], final_sync=True,
                                   device=device)
    raise DeviceDeactivated()


def remove_employee(principal: Principal, employee_id: str) -> None:
    """Delete an employee, and end their session on every POS where they are the signed-in user: the POS then
    has no current user until somebody switches in, and a receipt it sends without `employee_id` names nobody
    (it named the deleted employee before). One listing of the merchant's POS devices: an owner's action."""
    accounts.delete_employee(principal, employee_id)
    cursor = None
    while True:
        page, cursor = adapters().devices.list(principal.merchant_id, 250, cursor, show_deleted=False)
        for device in page:
            if device.current_employee_id == employee_id:
                change_device(principal, principal.merchant_id, device.id, _signed_out(employee_id), None)
        if not cursor:
            return


def _signed_out(employee_id: str):
    def change(device: Device):
        if device.current_employee_id != employee_id:  # somebody switched in meanwhile
            return SlotChange(device, None)
        return SlotChange(dataclasses.replace(device, current_employee_id=None, updated_at=clock.iso()), None)
    return change


def switch_user(principal: Principal, device: Device, credentials: dict) -> dict:
    if "pin" in credentials:
        employee = _employee_by_pin(device, credentials["employee_id"], credentials["pin"])
    else:
        employee = accounts.check_credentials(credentials["email"], credentials["password"], set(accounts.Role))
        if employee["merchant_id"] != device.merchant_id:
            raise InvalidCredentials()
    if employee.get("store_ids") and device.store_id not in employee["store_ids"]:
        raise Forbidden(code="WRONG_STORE")

    def change(current: Device):
        current.check(Action.SWITCH_USER)
        if current.activation_id != device.activation_id:
            raise DeviceDeactivated()
        return SlotChange(dataclasses.replace(current, current_employee_id=employee["id"], updated_at=clock.iso()),
                          {"from": current.current_employee_id, "to": employee["id"]})

    change_device(principal, device.merchant_id, device.id, change, "pos_device.user_switched")
    return employee


def _employee_by_pin(device: Device, employee_id: str, pin: str) -> dict:
    """Five wrong PINs in 15 minutes lock this POS, and also the employee on every POS of the merchant: each
    attempt is counted on both before the PIN is checked."""
    device_key, employee_key = f"pin:{device.id}", f"pin-employee:{device.merchant_id}:{employee_id}"
    accounts.reserve_attempt(device_key, "TOO_MANY_ATTEMPTS.pin")
    accounts.reserve_attempt(employee_key, "TOO_MANY_ATTEMPTS.pin_employee")
    employee = adapters().accounts.find_employee_by_pin(device.merchant_id, hash_pin(device.merchant_id, pin))
    if not employee or employee["id"] != employee_id:
        raise InvalidCredentials(code="INVALID_PIN")
    accounts.clear_attempts(device_key)
    accounts.clear_attempts(employee_key)
    return employee
