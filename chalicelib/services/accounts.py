"""Sign-up, login with a failure limit, bearer tokens, stores and employees."""
import logging
from datetime import timedelta
from urllib.parse import quote

from chalicelib import clock, i18n
from chalicelib.config import settings
from chalicelib.domain.roles import ADMIN_ROLES, BACK_OFFICE_ROLES, Role, require_role
from chalicelib.errors import (Conflict, Forbidden, InvalidCredentials, InvalidInput, InvitationInvalid,
                               Unauthenticated, too_many_attempts)
from chalicelib.ports import MailNotSent, VersionConflict
from chalicelib.services import api_tokens
from chalicelib.services.common import Principal, new_event, new_id, not_found
from chalicelib.services.scope import scoped_page
from chalicelib.services.security import hash_password, hash_pin, hash_token, new_token, verify_password
from chalicelib.wiring import adapters

log = logging.getLogger(__name__)

LOGIN_FAILURE_LIMIT = 5
LOGIN_WINDOW_SECONDS = 15 * 60


# Without a choice at sign-up: the currency and the time zone that go with the caller's language.
DEFAULT_CURRENCY = {"pl": "PLN", "en": "EUR"}
DEFAULT_TIME_ZONE = {"pl": "Europe/Warsaw"}


def signup(business_name: str, email: str, password: str, currency: str | None = None,
           owner_name: str | None = None, time_zone: str | None = None) -> dict:
    """The merchant, its OWNER and its first store (named after the business, so that the back office's first
    screen is not a dead end), in one write."""
    now = clock.iso()
    currency = currency or DEFAULT_CURRENCY.get(i18n.current(), "EUR")
    time_zone = time_zone or DEFAULT_TIME_ZONE.get(i18n.current(), "UTC")
    merchant = {"id": new_id(), "business_name": business_name, "currency": currency, "time_zone": time_zone,
                "pos_number_counter": 0, "created_at": now}
    owner = {
        "merchant_id": merchant["id"], "id": new_id(), "name": owner_name or business_name, "email": email.lower(),
        "role": Role.OWNER.value, "store_ids": [], "pin_hash": None, "password_hash": hash_password(password),
        "created_at": now, "updated_at": now,
    }
    store = {"merchant_id": merchant["id"], "id": new_id(), "name": business_name, "address": None,
             "device_count": 0, "created_at": now, "updated_at": now}
    event = new_event(merchant["id"], "merchant.created", principal_of(owner).actor)
    _save_with_retry_hint(lambda: adapters().accounts.create_merchant(merchant, owner, event, store))
    token, expires_at = _issue_user_token(owner)
    return {"merchant": merchant, "employee": owner, "store": store, "token": token, "expires_at": expires_at}


def check_credentials(email: str, password: str, allowed_roles: set[Role]) -> dict:
    """The employee behind an e-mail and password; five failures in 15 minutes lock the e-mail out."""
    email = email.lower()
    reserve_attempt(email, "TOO_MANY_ATTEMPTS.login")
    employee = adapters().accounts.find_employee_by_email(email)
    if not verify_password(employee and employee.get("password_hash"), password):
        raise InvalidCredentials()  # the attempt reserved above is this failure
    clear_attempts(email)
    require_role(employee["role"], allowed_roles, "log in here")
    return employee


def reserve_attempt(key: str, what: str) -> None:
    """Count an attempt for `key` BEFORE checking the credentials (one conditional write), or answer 429.

    Check, verify and count used to be three steps, so racing requests all passed the check before any failure
    was counted. Now the first LOGIN_FAILURE_LIMIT attempts of a window are counted and checked, and every later
    one answers 429 until LOGIN_WINDOW_SECONDS after the window's first attempt. A successful check calls
    `clear_attempts`, so only failures stay counted. `what` is the message key of the 429's sentence (it gets
    `minutes`)."""
    now_epoch = clock.epoch()
    window_start = adapters().accounts.reserve_attempt(key, now_epoch, LOGIN_FAILURE_LIMIT, LOGIN_WINDOW_SECONDS)
    if window_start is not None:
        raise too_many_attempts(what, window_start + LOGIN_WINDOW_SECONDS - now_epoch)


def clear_attempts(key: str) -> None:
    adapters().accounts.clear_attempts(key)


def login(email: str, password: str) -> dict:
    # A CASHIER works on the POS app only and has no back-office session (DESIGN.md 3.2).
    employee = check_credentials(email, password, BACK_OFFICE_ROLES)
    token, expires_at = _issue_user_token(employee)
    return {"token": token, "expires_at": expires_at, "employee": employee,
            "merchant": adapters().accounts.get_merchant(employee["merchant_id"])}


def _issue_user_token(employee: dict) -> tuple[str, str]:
    token, token_hash = new_token()
    expires = clock.epoch() + settings().user_token_ttl_seconds
    adapters().tokens.put(token_hash, kind="user", merchant_id=employee["merchant_id"], employee_id=employee["id"],
                          expires_at_epoch=expires, session_epoch=session_epoch(employee))
    return token, clock.iso_from_epoch(expires)


def session_epoch(employee: dict) -> int:
    """The employee's session generation: raised when their password, e-mail, role or stores change. A user or
    POS login token records the value it was issued under and works only while it is still the employee's."""
    return int(employee.get("session_epoch") or 0)


def check_session(record: dict, employee: dict) -> None:
    """401 when the token was issued before the employee's password, e-mail, role or stores last changed."""
    if int(record.get("session_epoch") or 0) != session_epoch(employee):
        raise Unauthenticated(key="UNAUTHENTICATED.session_ended")


def logout(token: str | None) -> None:
    """The caller's session ends: its token record is deleted (the route has checked the token)."""
    if token:
        record = adapters().tokens.get(hash_token(token))
        if record and record.get("kind") == "user":  # an API token is revoked through DELETE /v1/api_tokens/{id}
            adapters().tokens.delete(hash_token(token))


def token_record(token: str | None, kind: str) -> dict:
    """The stored record of a live token of `kind`, or 401."""
    if not token:
        raise Unauthenticated()
    return _live(adapters().tokens.get(hash_token(token)), kind)


def _live(record: dict | None, kind: str) -> dict:
    """`record` when it is a live token of `kind`, else 401."""
    if not record or record["kind"] != kind:
        raise Unauthenticated()
    # DynamoDB's TTL deletes late (up to days), so expiry is checked here too.
    if record.get("expires_at_epoch") is not None and record["expires_at_epoch"] <= clock.epoch():
        raise Unauthenticated(code="TOKEN_EXPIRED")
    return record


def authenticate_user(token: str | None) -> Principal:
    """An employee's session token, or an API access token (DESIGN.md 3.3: the same bearer header)."""
    if not token:
        raise Unauthenticated()
    record = adapters().tokens.get(hash_token(token))
    if record and record.get("kind") == api_tokens.KIND:
        return api_tokens.principal_of(record)
    record = _live(record, "user")  # read once above: a session token is not read a second time
    employee = adapters().accounts.get_employee(record["merchant_id"], record["employee_id"])
    if not employee:
        raise Unauthenticated(key="UNAUTHENTICATED.account_gone")
    check_session(record, employee)
    if Role(employee["role"]) not in BACK_OFFICE_ROLES:  # a token from before a CASHIER lost the back office
        raise Forbidden(code="BACK_OFFICE_FORBIDDEN")
    return principal_of(employee)


def principal_of(employee: dict) -> Principal:
    """The back-office caller an employee is: a MANAGER scoped to their stores, OWNER and ADMINISTRATOR to all."""
    store_ids = None if Role(employee["role"]) in ADMIN_ROLES else frozenset(employee.get("store_ids") or [])
    return Principal(merchant_id=employee["merchant_id"], employee_id=employee["id"], role=employee["role"],
                     store_ids=store_ids, name=employee.get("name"))


# ---------------------------------------------------------------- stores


def create_store(principal: Principal, name: str, address: str | None) -> dict:
    require_role(principal.role, BACK_OFFICE_ROLES, "manage stores")
    now = clock.iso()
    store = {"merchant_id": principal.merchant_id, "id": new_id(), "name": name, "address": address,
             "device_count": 0, "created_at": now, "updated_at": now}
    adapters().stores.save(store, new_event(principal.merchant_id, "store.created", principal.actor,
                                            details={"store_id": store["id"], "name": name}))
    return store


def list_stores(principal: Principal, limit: int, cursor: str | None):
    return scoped_page(principal, lambda count, after, _store: adapters().stores.list(principal.merchant_id, count, after),
                       limit, cursor, in_scope=lambda items: [principal.sees_store(s["id"]) for s in items],
                       by_store=False)


def get_store(principal: Principal, store_id: str) -> dict:
    store = adapters().stores.get(principal.merchant_id, store_id)
    if not store or not principal.sees_store(store_id):
        raise not_found("store")
    return store


def update_store(principal: Principal, store_id: str, changes: dict) -> dict:
    require_role(principal.role, BACK_OFFICE_ROLES, "manage stores")
    store = get_store(principal, store_id)
    updated = store | changes | {"updated_at": clock.iso()}
    _save_with_retry_hint(lambda: adapters().stores.save(
        updated, new_event(principal.merchant_id, "store.updated", principal.actor,
                           details={"store_id": store_id, **changes}), expected_updated_at=store["updated_at"],
        previous_name=store["name"]))
    return updated


def delete_store(principal: Principal, store_id: str) -> None:
    require_role(principal.role, BACK_OFFICE_ROLES, "manage stores")
    store = get_store(principal, store_id)
    adapters().stores.delete(store, new_event(principal.merchant_id, "store.deleted", principal.actor,
                                              details={"store_id": store_id, "name": store["name"]}))


# ---------------------------------------------------------------- employees


def _check_store_ids(principal: Principal, store_ids: list[str]) -> None:
    found = adapters().stores.get_many(principal.merchant_id, store_ids)
    missing = sorted(set(store_ids) - set(found))
    if missing:
        raise InvalidInput(field="store_ids", code="UNKNOWN_STORE", key="UNKNOWN_STORE.ids",
                           params={"ids": ", ".join(missing)})


def create_employee(principal: Principal, data: dict) -> dict:
    require_role(principal.role, ADMIN_ROLES, "manage employees")
    if data["role"] == Role.OWNER.value:
        raise InvalidInput(field="role", code="ONE_OWNER")
    _check_grants(principal, data["role"])
    _check_store_ids(principal, data.get("store_ids") or [])
    now = clock.iso()
    employee = {
        "merchant_id": principal.merchant_id, "id": new_id(), "name": data["name"],
        "email": (data.get("email") or None) and data["email"].lower(), "role": data["role"],
        "store_ids": data.get("store_ids") or [],
        "pin_hash": hash_pin(principal.merchant_id, data["pin"]) if data.get("pin") else None,
        # Nobody sets another person's password: access comes with an invitation (create_invitation).
        "password_hash": None, "created_at": now, "updated_at": now,
    }
    _save_employee(principal, employee, None, "employee.created")
    return employee


def list_employees(principal: Principal, limit: int, cursor: str | None):
    """Everyone, for OWNER and ADMINISTRATOR; a MANAGER sees themselves, the people of their stores and the owner and
    administrators (whose names their receipts and POS devices show), never the staff of other stores only."""
    scope = principal.store_ids

    def in_scope(items):
        return [e["id"] == principal.employee_id or Role(e["role"]) in ADMIN_ROLES
                or bool(scope & set(e.get("store_ids") or [])) for e in items]

    return scoped_page(principal, lambda count, after, _store: adapters().accounts.list_employees(
        principal.merchant_id, count, after), limit, cursor, in_scope=in_scope, by_store=False)


def get_employee(principal: Principal, employee_id: str) -> dict:
    employee = adapters().accounts.get_employee(principal.merchant_id, employee_id)
    if not employee:
        raise not_found("employee")
    return employee


def update_employee(principal: Principal, employee_id: str, changes: dict) -> dict:
    require_role(principal.role, ADMIN_ROLES, "manage employees")
    old = get_employee(principal, employee_id)
    if changes.get("password") is not None and employee_id != principal.employee_id:
        raise InvalidInput(field="password", code="PASSWORD_NOT_YOURS")  # use an invitation
    _check_may_change(principal, old, changes)
    if "role" in changes:
        _check_grants(principal, changes["role"])
    if "store_ids" in changes:
        _check_store_ids(principal, changes["store_ids"] or [])
    if old["role"] == Role.OWNER.value and changes.get("role", Role.OWNER.value) != Role.OWNER.value:
        raise Conflict(field="role", code="OWNER_ROLE_FIXED")
    if changes.get("role") == Role.OWNER.value and old["role"] != Role.OWNER.value:
        raise InvalidInput(field="role", code="ONE_OWNER")
    if old["role"] == Role.OWNER.value:
        for name in ("email", "password"):  # without them nobody could log in to the merchant again
            if name in changes and not changes[name]:
                raise InvalidInput(field=name, code="OWNER_NEEDS_LOGIN")
    updated = dict(old)
    for key, value in changes.items():
        if key == "password":
            updated["password_hash"] = hash_password(value) if value else None
        elif key == "pin":
            updated["pin_hash"] = hash_pin(old["merchant_id"], value) if value else None
        elif key == "email":
            updated["email"] = value.lower() if value else None
        else:
            updated[key] = value
    if _ends_sessions(old, updated, changes):
        updated["session_epoch"] = session_epoch(old) + 1
    updated["updated_at"] = clock.iso()
    _save_employee(principal, updated, old, "employee.updated")
    return updated


def _ends_sessions(old: dict, new: dict, changes: dict) -> bool:
    """A new password (even the same one, as on a reset), e-mail, role or stores end the employee's sessions."""
    return ("password" in changes or (old.get("email") or None) != (new.get("email") or None)
            or old["role"] != new["role"] or sorted(old.get("store_ids") or []) != sorted(new.get("store_ids") or []))


def delete_employee(principal: Principal, employee_id: str) -> None:
    require_role(principal.role, ADMIN_ROLES, "manage employees")
    employee = get_employee(principal, employee_id)
    _check_may_change(principal, employee, None)
    if employee["role"] == Role.OWNER.value:
        raise Conflict(code="OWNER_CANNOT_BE_DELETED")
    event = new_event(principal.merchant_id, "employee.deleted", principal.actor,
                      details={"employee_id": employee_id, "name": employee["name"]})
    _save_with_retry_hint(lambda: adapters().accounts.delete_employee(employee, event))


# An ADMINISTRATOR may change themselves only in these (their name, their PIN, their own password).
ADMIN_SELF_FIELDS = {"name", "pin", "password"}


def _check_may_change(principal: Principal, target: dict, changes: dict | None) -> None:
    """403 ADMIN_PROTECTED when an ADMINISTRATOR changes, deletes or revokes the OWNER or an ADMINISTRATOR
    (`changes` None: a deletion or a revocation); the OWNER may change everybody."""
    if principal.role == Role.OWNER.value or Role(target["role"]) not in ADMIN_ROLES:
        return
    if changes is not None and target["id"] == principal.employee_id and set(changes) <= ADMIN_SELF_FIELDS:
        return
    raise Forbidden(code="ADMIN_PROTECTED")


def _check_grants(principal: Principal, role: str) -> None:
    """Only the OWNER makes somebody an ADMINISTRATOR (an administrator cannot create an untouchable peer)."""
    if role == Role.ADMINISTRATOR.value and principal.role != Role.OWNER.value:
        raise Forbidden(field="role", code="ADMIN_PROTECTED")


def access_state(employee: dict) -> str:
    """NONE (no back-office password, no live invitation), INVITED (a live invitation), ACTIVE (a password)."""
    if employee.get("password_hash"):
        return "ACTIVE"
    expires = employee.get("invitation_expires_at")
    return "INVITED" if expires and expires > clock.iso() else "NONE"


# ---------------------------------------------------------------- invitations (DESIGN.md 3.2)

INVITATION_TTL_SECONDS = 72 * 3600


def create_invitation(principal: Principal, employee_id: str, app_origin: str) -> dict:
    """A one-time link to `app_origin`'s invitation page that lets the employee set their own password: 72 h, stored
    only as a hash (a token record of kind "invitation" and the hash on the employee), single use; a new one voids
    the previous. With a mail sender configured the link goes to the employee's e-mail only (`sent_to`), so that the
    inviter never holds it; otherwise, or when the mail service refuses it, the link is returned to be handed over."""
    require_role(principal.role, ADMIN_ROLES, "manage employees")
    old = get_employee(principal, employee_id)
    _check_may_change(principal, old, None)
    if not old.get("email"):
        raise InvalidInput(field="email", code="INVITATION_NEEDS_EMAIL")
    if Role(old["role"]) not in BACK_OFFICE_ROLES:
        raise InvalidInput(field="role", code="INVITATION_NOT_FOR_CASHIER")
    if old.get("password_hash"):
        raise Conflict(code="ALREADY_HAS_ACCESS")  # revoke it first (DELETE .../access): no silent takeover
    token, token_hash = new_token()
    expires = clock.epoch() + INVITATION_TTL_SECONDS
    updated = old | {"invitation_hash": token_hash, "invitation_expires_at": clock.iso_from_epoch(expires),
                     "updated_at": _later(old)}
    adapters().tokens.put(token_hash, kind="invitation", merchant_id=old["merchant_id"], employee_id=old["id"],
                          expires_at_epoch=expires)
    event = new_event(principal.merchant_id, "employee.invited", principal.actor,
                      details={"employee_id": old["id"], "name": old["name"]})
    _save_with_retry_hint(lambda: adapters().accounts.save_employee(updated, old, event))
    if old.get("invitation_hash"):
        adapters().tokens.delete(old["invitation_hash"])  # the previous link stops working (the hash moved on too)
    url = f"{app_origin}/#/invitation?token={quote(token)}"
    invitation = {"expires_at": updated["invitation_expires_at"], "employee": updated}
    if _mail_invitation(updated, url):
        return invitation | {"token": None, "invitation_url": None, "sent_to": updated["email"]}
    return invitation | {"token": token, "invitation_url": url, "sent_to": None}


def _mail_invitation(employee: dict, url: str) -> bool:
    """E-mails the link in the inviter's language when a sender is configured; False when there is none or the mail
    service did not take it (then the link is shown instead: nothing is lost, the invitation stands)."""
    mailer = adapters().mailer
    if not mailer.sender():
        return False
    merchant = adapters().accounts.get_merchant(employee["merchant_id"]) or {}
    params = {"name": employee["name"], "business": merchant.get("business_name", ""), "url": url,
              "expires_at": employee["invitation_expires_at"]}
    try:
        mailer.send(employee["email"], i18n.render("mail.invitation.subject", params),
                    i18n.render("mail.invitation.body", params))
    except MailNotSent as exc:
        log.warning("invitation e-mail for employee %s not sent, the link is shown instead: %s", employee["id"], exc,
                    extra={"event": "invitation_mail_failed"})
        return False
    return True


def accept_invitation(token: str, password: str, source: str | None = None) -> dict:
    """The invited employee sets their password and gets a back-office session. A wrong, expired or used token:
    401 INVITATION_INVALID (one answer for all); failures are limited per source address like logins."""
    key = f"invitation#source#{source or 'unknown'}"
    reserve_attempt(key, "TOO_MANY_ATTEMPTS.login")
    token_hash = hash_token(token)
    record = adapters().tokens.get(token_hash)
    if not record or record.get("kind") != "invitation" or (record.get("expires_at_epoch") or 0) <= clock.epoch():
        raise InvitationInvalid()
    old = adapters().accounts.get_employee(record["merchant_id"], record["employee_id"])
    if (not old or old.get("invitation_hash") != token_hash or old.get("password_hash")
            or Role(old["role"]) not in BACK_OFFICE_ROLES or not old.get("email")):
        raise InvitationInvalid()
    updated = old | {"password_hash": hash_password(password), "invitation_hash": None,
                     "invitation_expires_at": None, "session_epoch": session_epoch(old) + 1,
                     "updated_at": _later(old)}
    event = new_event(old["merchant_id"], "employee.invitation_accepted", principal_of(old).actor,
                      details={"employee_id": old["id"], "name": old["name"]})
    try:  # conditional on the record as read: of two racing acceptances, one wins
        adapters().accounts.save_employee(updated, old, event)
    except VersionConflict:
        raise InvitationInvalid() from None
    adapters().accounts.release_attempt(key)
    adapters().tokens.delete(token_hash)
    session, expires_at = _issue_user_token(updated)
    return {"token": session, "expires_at": expires_at, "employee": updated}


def revoke_access(principal: Principal, employee_id: str) -> None:
    """The employee's back-office password and invitation are removed; their sessions and POS login tokens end at
    once (the session epoch moves on)."""
    require_role(principal.role, ADMIN_ROLES, "manage employees")
    old = get_employee(principal, employee_id)
    if old["role"] == Role.OWNER.value:
        raise Forbidden(code="ADMIN_PROTECTED") if principal.role != Role.OWNER.value else InvalidInput(
            code="OWNER_NEEDS_LOGIN")
    _check_may_change(principal, old, None)
    updated = old | {"password_hash": None, "invitation_hash": None, "invitation_expires_at": None,
                     "session_epoch": session_epoch(old) + 1, "updated_at": _later(old)}
    _save_employee(principal, updated, old, "employee.access_revoked")
    if old.get("invitation_hash"):
        adapters().tokens.delete(old["invitation_hash"])


def _later(old: dict) -> str:
    """A new `updated_at` that differs from the record's (the version the conditional writes compare)."""
    now = clock.iso()
    if now != old.get("updated_at"):
        return now
    return clock.iso(clock.parse(now) + timedelta(milliseconds=1))


def _save_employee(principal: Principal, employee: dict, old: dict | None, event_type: str) -> None:
    event = new_event(principal.merchant_id, event_type, principal.actor,
                      details={"employee_id": employee["id"], "name": employee["name"]})
    _save_with_retry_hint(lambda: adapters().accounts.save_employee(employee, old, event))


def _save_with_retry_hint(write) -> None:
    """The record changed since it was read (or is gone): 409 EDIT_CONFLICT, the caller reads it again."""
    try:
        write()
    except VersionConflict:
        raise Conflict(code="EDIT_CONFLICT") from None
