"""Pairing codes: activate a POS without typing the owner's password on it (docs/FINAL_SYNC.md).

A code is 8 characters from a 31-character alphabet without look-alikes (no 0/O, 1/I/L), shown as
`K7QM-4XRT` and read case-insensitively with or without the dash. Only its SHA-256 hash is stored, as
the key of a token record (kind "pairing") that `POST /v1/pos/pair` looks up; the slot keeps the same
hash, so a new code replaces the previous one and DELETE revokes it at once. The record is deleted in
the activation's transaction with a must-exist condition, so a code works once.

Guessing: 31**8 ≈ 8.5e11 codes (≈ 40 bits). There is no account to lock, so failures are counted twice:
per installation_id (PAIR_INSTALLATION_LIMIT per window: an honest device mistyping a code is stopped
briefly) and per source address (PAIR_SOURCE_LIMIT per window: an attacker who invents a new
installation_id for every guess still gets at most that many guesses from one address). With 20 guesses
per 10 minutes, 2,880 a day per address, and even 100,000 codes live at once, the chance of hitting any
code is about 2,880 * 1e5 / 8.5e11 ≈ 0.03 % per address and day, and a code lives 10 minutes by default.
There is no service-wide limit any more: one attacker could keep it full and deny pairing to every
merchant (issue 22, item 11); an attacker now blocks only their own address. The source is API Gateway's
`identity.sourceIp`, never a header a client could forge; behind the stack's CloudFront that is the edge's
address, so callers of one edge share a window (the POS app may call the API's own endpoint instead).
"""
import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta

from chalicelib import clock
from chalicelib.domain.devices import Action, Device
from chalicelib.domain.roles import BACK_OFFICE_ROLES, POS_LOGIN_ROLES, Role, require_role
from chalicelib.errors import Conflict, PairingCodeInvalid, TooManyRequests, too_many_attempts
from chalicelib.services import devices
from chalicelib.services.common import Principal
from chalicelib.services.slot_writes import SlotChange, change_device
from chalicelib.wiring import adapters

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
DEFAULT_EXPIRES_IN = 600
MIN_EXPIRES_IN, MAX_EXPIRES_IN = 60, 86400
PAIR_WINDOW_SECONDS = 10 * 60
PAIR_INSTALLATION_LIMIT = 5
PAIR_SOURCE_LIMIT = 20


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize(text: str) -> str | None:
    """The code as stored (upper case, no dash or spaces), or None when it cannot be a code at all."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def code_hash(code: str) -> str:
    return hashlib.sha256(f"pairing:{code}".encode()).hexdigest()


def create_code(principal: Principal, device_id: str, expires_in_seconds: int | None) -> dict:
    require_role(principal.role, BACK_OFFICE_ROLES, "create pairing codes")
    seconds = DEFAULT_EXPIRES_IN if expires_in_seconds is None else expires_in_seconds
    code = new_code()
    hashed = code_hash(code)
    expires = clock.now().replace(microsecond=0) + timedelta(seconds=seconds)
    expires_at = clock.iso(expires)

    def change(device: Device):
        device.check(Action.ACTIVATE)  # 409 SLOT_TAKEN while ACTIVATED, DELETION_IN_PROGRESS, DEVICE_DELETED
        return SlotChange(
            replace(device, pairing_code_hash=hashed, pairing_code_expires_at=expires_at, updated_at=clock.iso()),
            {"expires_at": expires_at, "replaced": bool(device.pairing_code_hash)})

    def record(_before: Device, after: Device):
        return [{"token_hash": hashed, "kind": "pairing", "merchant_id": after.merchant_id,
                 "employee_id": principal.employee_id, "pos_device_id": after.id,
                 "expires_at_epoch": clock.epoch(expires)}]

    def drop_previous(before: Device, _after: Device):
        return [(before.pairing_code_hash, False)] if before.pairing_code_hash else []

    devices.get_device(principal, device_id)
    change_device(principal, principal.merchant_id, device_id, change, "pos_device.pairing_code_created",
                  token_writes=record, token_deletes=drop_previous)
    return {"code": display(code), "expires_at": expires_at, "pos_device_id": device_id}


def revoke_code(principal: Principal, device_id: str) -> None:
    require_role(principal.role, BACK_OFFICE_ROLES, "revoke pairing codes")
    device = devices.get_device(principal, device_id)
    if not device.pairing_code_hash:
        return

    def change(current: Device):
        return SlotChange(replace(current, pairing_code_hash=None, pairing_code_expires_at=None,
                                  updated_at=clock.iso()), {})

    def drop(before: Device, _after: Device):
        return [(before.pairing_code_hash, False)] if before.pairing_code_hash else []

    change_device(principal, principal.merchant_id, device_id, change, "pos_device.pairing_code_revoked",
                  token_deletes=drop)


def pair(code_text: str, installation_id: str, source: str | None = None) -> dict:
    """The POS app's side: a wrong, expired or used code are one answer (401); repeated failures 429.

    Each attempt is counted BEFORE the code is checked (one conditional write per key, as for logins), so racing
    guesses cannot all pass the check before any failure is counted; a success gives its attempts back."""
    installation_key = f"pair#installation#{installation_id}"
    source_key = f"pair#source#{source or 'unknown'}"
    _reserve(installation_key, PAIR_INSTALLATION_LIMIT)
    try:
        _reserve(source_key, PAIR_SOURCE_LIMIT)
    except TooManyRequests:
        adapters().accounts.release_attempt(installation_key)
        raise
    result = _pair(code_text, installation_id)  # PairingCodeInvalid keeps both attempts counted
    adapters().accounts.clear_attempts(installation_key)
    adapters().accounts.release_attempt(source_key)
    return result


def _pair(code_text: str, installation_id: str) -> dict:
    code = normalize(code_text)
    if code is None:
        raise PairingCodeInvalid()
    hashed = code_hash(code)
    record = adapters().tokens.get(hashed)
    if not record:  # used already: by this installation, whose answer was lost? (issue 22.21)
        return _pair_again(hashed, installation_id)
    if record.get("kind") != "pairing" or (record.get("expires_at_epoch") or 0) <= clock.epoch():
        raise PairingCodeInvalid()
    merchant_id = record["merchant_id"]
    employee = adapters().accounts.get_employee(merchant_id, record.get("employee_id") or "")
    device = adapters().devices.get(merchant_id, record["pos_device_id"])
    if not employee or not device or device.pairing_code_hash != hashed:
        raise PairingCodeInvalid()
    if Role(employee["role"]) not in POS_LOGIN_ROLES:  # its creator was demoted since: the code died with it
        raise PairingCodeInvalid()
    try:
        return devices.activate_slot(merchant_id, employee, device.id, installation_id, "PAIRING_CODE",
                                     pairing_code_hash=hashed,
                                     pairing_retry={"hash": hashed, "expires_at_epoch": record["expires_at_epoch"]})
    except Conflict:  # the slot was taken or is being deleted meanwhile: the code no longer works
        raise PairingCodeInvalid() from None


def _pair_again(hashed: str, installation_id: str) -> dict:
    """A used code sent again: a success (a new device token for the same activation, the one the lost answer
    carried revoked) only from the installation it paired, while that slot is still its own and the code would
    still have lived; anything else is the same 401 as a wrong code."""
    retry = adapters().tokens.get(devices.pairing_retry_hash(hashed))
    if not retry or retry.get("kind") != "pairing_retry" or (retry.get("expires_at_epoch") or 0) <= clock.epoch():
        raise PairingCodeInvalid()
    merchant_id = retry["merchant_id"]
    employee = adapters().accounts.get_employee(merchant_id, retry.get("employee_id") or "")
    if not employee or Role(employee["role"]) not in POS_LOGIN_ROLES:
        raise PairingCodeInvalid()
    try:
        return devices.activate_slot(merchant_id, employee, retry["pos_device_id"], installation_id, "PAIRING_CODE",
                                     pairing_retry={"activation_id": retry["activation_id"]})
    except Conflict:
        raise PairingCodeInvalid() from None


def _reserve(key: str, limit: int) -> None:
    now = clock.epoch()
    window_start = adapters().accounts.reserve_attempt(key, now, limit, PAIR_WINDOW_SECONDS)
    if window_start is not None:  # Retry-After: what is left of this 10-minute window, not a fixed 900
        raise too_many_attempts("TOO_MANY_ATTEMPTS.pairing", window_start + PAIR_WINDOW_SECONDS - now)
