"""POS device lifecycle: create, rename, activate from the POS app, switch user, deactivate."""
import dataclasses

from chalicelib import clock
from chalicelib.adapters.dynamo import WriteCancelled
from chalicelib.adapters.repositories import AccountRepository, DeviceRepository, StoreRepository, TokenRepository
from chalicelib.config import settings
from chalicelib.domain.devices import Action, Device, Status
from chalicelib.domain.roles import BACK_OFFICE_ROLES, POS_LOGIN_ROLES, require_role
from chalicelib.errors import (
    Conflict, DeviceDeactivated, DeviceDeleted, Forbidden, InvalidCredentials, InvalidInput, ServiceUnavailable,
)
from chalicelib.services import accounts, audit
from chalicelib.services.common import Principal, new_event, new_id, not_found
from chalicelib.services.security import new_token

MAX_CONFLICT_RETRIES = 8
# The owner's next action on a slot ends the display of a failed deletion (the activity log keeps it).
CLEARS_FAILED_DELETION = {"pos_device.renamed", "pos_device.moved", "pos_device.activated",
                          "pos_device.deactivated"}
# A revoked device token is kept this long so that the old device hears DEVICE_DEACTIVATED, not "unknown token".
REVOKED_TOKEN_KEEP_SECONDS = 90 * 24 * 3600


def get_device(principal: Principal, device_id: str) -> Device:
    device = DeviceRepository.get(principal.merchant_id, device_id)
    if not device:
        raise not_found("POS device")
    return device


def create_device(principal: Principal, name: str, store_id: str) -> Device:
    require_role(principal.role, BACK_OFFICE_ROLES, "create POS devices")
    if not StoreRepository.get(principal.merchant_id, store_id):
        raise InvalidInput(field="store_id", code="UNKNOWN_STORE")
    for _ in range(MAX_CONFLICT_RETRIES * 4):
        merchant = AccountRepository.get_merchant(principal.merchant_id)
        counter = int(merchant.get("pos_number_counter") or 0)
        now = clock.iso()
        device = Device(merchant_id=principal.merchant_id, id=new_id(), name=name, store_id=store_id,
                        number=counter + 1, created_at=now, updated_at=now)
        event = new_event(principal.merchant_id, "pos_device.created", principal.actor, device.id,
                          {"name": name, "store_id": store_id, "number": device.number})
        try:
            DeviceRepository.create(device, counter, event)
            return device
        except WriteCancelled as exc:
            # PynamoDB sends puts before updates, so the store's update (the last one) is the last item.
            if exc.codes and exc.codes[-1] == "ConditionalCheckFailed":
                raise InvalidInput(field="store_id", code="UNKNOWN_STORE") from None
            if not exc.condition_failed:
                raise
            # Another create took this number first: read the counter again and take the next one.
    raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.creating")


def list_devices(principal: Principal, **filters):
    return DeviceRepository.list(principal.merchant_id, **filters)


def change_device(principal: Principal | None, merchant_id: str, device_id: str, change, event_type: str | None,
                  actor: dict | None = None, token_writes=None, leaves_store=False):
    """Read, apply the domain change, write with a version check; re-read and retry if someone raced us.

    `change(device) -> (new_device, event_details)` raises a DomainError when the action is illegal."""
    for _ in range(MAX_CONFLICT_RETRIES):
        before = DeviceRepository.get(merchant_id, device_id)
        if not before:
            raise not_found("POS device")
        after, details = change(before)
        if event_type in CLEARS_FAILED_DELETION and (after.deletion or {}).get("status") == "FAILED":
            after = dataclasses.replace(after, deletion=None)  # the refusal was shown until this next action
        event = None
        if event_type:
            event = new_event(merchant_id, event_type, actor or principal.actor, device_id, details)
        try:
            DeviceRepository.save_transition(before, after, event, token_writes(before, after) if token_writes else (),
                                             leaves_store=leaves_store)
            return dataclasses.replace(after, version=before.version + 1), details
        except WriteCancelled as exc:
            if not exc.condition_failed:
                raise
    raise Conflict(code="EDIT_CONFLICT", key="EDIT_CONFLICT.retry")


def rename_device(principal: Principal, device_id: str, name: str) -> Device:
    require_role(principal.role, BACK_OFFICE_ROLES, "rename POS devices")

    def change(device: Device):
        device.check(Action.RENAME)
        return dataclasses.replace(device, name=name, updated_at=clock.iso()), {"from": device.name, "to": name}

    return change_device(principal, principal.merchant_id, device_id, change, "pos_device.renamed")[0]


def update_device(principal: Principal, device_id: str, name: str | None = None, store_id: str | None = None) -> Device:
    """PATCH: a new name (unique within the store) and/or another store (only while no app is bound)."""
    device = get_device(principal, device_id)
    if name is not None and name != device.name:
        device = rename_device(principal, device_id, name)
    if store_id is not None and store_id != device.store_id:
        device = move_device(principal, device_id, store_id)
    return device


def move_device(principal: Principal, device_id: str, store_id: str) -> Device:
    require_role(principal.role, BACK_OFFICE_ROLES, "move POS devices")
    if not StoreRepository.get(principal.merchant_id, store_id):
        raise InvalidInput(field="store_id", code="UNKNOWN_STORE")

    def change(device: Device):
        device.check(Action.MOVE_STORE)
        return (dataclasses.replace(device, store_id=store_id, updated_at=clock.iso()),
                {"from_store_id": device.store_id, "to_store_id": store_id})

    # A store deleted meanwhile fails the write's condition (the move retries, then answers EDIT_CONFLICT).
    return change_device(principal, principal.merchant_id, device_id, change, "pos_device.moved")[0]


def deactivate_device(principal: Principal, device_id: str, actor: dict | None = None) -> tuple[Device, int]:
    """Revoke the device at once; receipts it reported but never synced are written off as lost."""
    if principal is not None:
        require_role(principal.role, BACK_OFFICE_ROLES, "deactivate POS devices")
    merchant_id = principal.merchant_id

    def change(device: Device):
        after, lost_now = device.deactivated(clock.iso())
        details = {"lost_receipts": lost_now, "installation_id": device.installation_id}
        if lost_now:
            details["lost_receipt_seqs"] = [device.written_off_upto + 1, device.last_receipt_number]
        return after, details

    def revoke(before: Device, _after: Device):
        if not before.device_token_hash:
            return []
        record = TokenRepository.get(before.device_token_hash)
        if not record:
            return []
        return [record | {"expires_at_epoch": clock.epoch() + REVOKED_TOKEN_KEEP_SECONDS}]

    device, details = change_device(principal, merchant_id, device_id, change, "pos_device.deactivated",
                                    actor=actor, token_writes=revoke)
    audit.resolve_device_findings(merchant_id, device_id)
    audit.raise_left_open_shifts(device, deleted=bool(actor and actor.get("id") == "safe-deletion"))
    return device, details["lost_receipts"]


# ---------------------------------------------------------------- the POS app side


def pos_login(email: str, password: str) -> dict:
    employee = accounts.check_credentials(email, password, POS_LOGIN_ROLES)
    token, token_hash = new_token()
    TokenRepository.put(token_hash, kind="login", merchant_id=employee["merchant_id"], employee_id=employee["id"],
                        expires_at_epoch=clock.epoch() + settings().login_token_ttl_seconds)
    devices = _activatable_devices(employee["merchant_id"])
    stores = StoreRepository.get_many(employee["merchant_id"], [d.store_id for d in devices])
    return {"login_token": token, "employee": employee, "pos_devices": devices, "stores": stores}


def _activatable_devices(merchant_id: str) -> list[Device]:
    devices, cursor = [], None
    while True:
        page, cursor = DeviceRepository.list(merchant_id, limit=250, cursor=cursor)
        devices += [d for d in page if d.status in (Status.NOT_ACTIVATED, Status.INACTIVE) and not d.deleting]
        if not cursor:
            return devices


def activate_device(login_token: str, device_id: str, installation_id: str) -> dict:
    record = accounts.token_record(login_token, "login")
    merchant_id = record["merchant_id"]
    employee = AccountRepository.get_employee(merchant_id, record["employee_id"])
    if not employee:
        raise InvalidCredentials(key="INVALID_CREDENTIALS.login_gone")
    token, token_hash = new_token()
    activation_id = new_id()
    principal = Principal(merchant_id=merchant_id, employee_id=employee["id"], role=employee["role"])

    def change(device: Device):
        after = device.activated(installation_id, activation_id, token_hash, employee["id"], clock.iso())
        return after, {"installation_id": installation_id, "employee_id": employee["id"],
                       "next_receipt_seq": after.next_receipt_seq}

    def issue_token(_before: Device, after: Device):
        return [{"token_hash": token_hash, "kind": "device", "merchant_id": merchant_id,
                 "employee_id": employee["id"], "pos_device_id": after.id, "activation_id": activation_id}]

    device, _ = change_device(principal, merchant_id, device_id, change, "pos_device.activated",
                              token_writes=issue_token)
    return {"device_token": token, "pos_device": device, "next_receipt_seq": device.next_receipt_seq,
            "employee": employee}


def authenticate_device(token: str | None) -> tuple[Principal, Device]:
    """The slot behind a device token; a revoked or deleted slot answers 401 with its own code."""
    record = accounts.token_record(token, "device")
    device = DeviceRepository.get(record["merchant_id"], record["pos_device_id"])
    if not device or device.deleted_at:
        raise DeviceDeleted()
    if device.status != Status.ACTIVATED or device.activation_id != record["activation_id"]:
        raise DeviceDeactivated()
    return Principal(merchant_id=device.merchant_id, employee_id=device.current_employee_id,
                     pos_device_id=device.id, activation_id=device.activation_id), device


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
        return (dataclasses.replace(current, current_employee_id=employee["id"], updated_at=clock.iso()),
                {"from": current.current_employee_id, "to": employee["id"]})

    change_device(principal, device.merchant_id, device.id, change, "pos_device.user_switched")
    return employee


def _employee_by_pin(device: Device, employee_id: str, pin: str) -> dict:
    key = f"pin:{device.id}"
    accounts.ensure_not_locked_out(key, "TOO_MANY_ATTEMPTS.pin")
    employee = AccountRepository.find_employee_by_pin(device.merchant_id, pin)
    if not employee or employee["id"] != employee_id:
        AccountRepository.record_login_failure(key, clock.epoch(), accounts.LOGIN_WINDOW_SECONDS)
        raise InvalidCredentials(code="INVALID_PIN")
    return employee
