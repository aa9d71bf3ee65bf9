"""Sign-up, login, stores, employees and their invitations."""
import logging

from chalice import Blueprint

from chalicelib.api.auth import BACK_OFFICE
from chalicelib.api.http import ListOf, bearer_token, endpoint
from chalicelib.services import accounts, devices

bp = Blueprint(__name__)
log = logging.getLogger(__name__)


@endpoint(bp, "/v1/signup", "POST", summary="Create a merchant account; its first employee is the OWNER",
          auth=None, tag="accounts", body="SignupIn", response="SignupOut", status=201, errors=(400, 409))
def signup(ctx):
    """Makes the merchant, its OWNER (the e-mail and password given; named `owner_name`, else the business name),
    its first store (named after the business) and a back-office token. `currency` is fixed for the account; left
    out, it is PLN for Accept-Language pl, else EUR. `time_zone` (IANA) decides what a day of the sales summary
    is; left out, Europe/Warsaw for Accept-Language pl, else UTC. An e-mail already used by any employee: 409
    EMAIL_TAKEN."""
    body = ctx.body
    return accounts.signup(body.business_name, body.email, body.password, body.currency, body.owner_name,
                           body.time_zone)


@endpoint(bp, "/v1/auth/login", "POST", summary="Log in to the back office", auth=None, tag="accounts",
          body="LoginIn", response="LoginOut", errors=(400, 401, 403, 429))
def login(ctx):
    """A back-office token and who it belongs to. Failed attempts are limited: then 429 TOO_MANY_ATTEMPTS with
    Retry-After."""
    return accounts.login(ctx.body.email, ctx.body.password)


@endpoint(bp, "/v1/auth/logout", "POST", summary="Log out: the caller's session (its token) ends at once",
          auth=BACK_OFFICE, tag="accounts", status=204, errors=(401, 403), permission="session")
def logout(ctx):
    accounts.logout(bearer_token(bp.current_request))


# ---------------------------------------------------------------- stores

@endpoint(bp, "/v1/stores", "GET", summary="List stores", auth=BACK_OFFICE, tag="stores", query="Page",
          response=ListOf("stores", "StoreOut"), errors=(400, 401), permission="stores.read")
def list_stores(ctx):
    """The merchant's stores, a page at a time."""
    q = ctx.query
    items, cursor = accounts.list_stores(ctx.principal, q.limit, q.cursor)
    return {"stores": items, "cursor": cursor}


@endpoint(bp, "/v1/stores", "POST", summary="Create a store", auth=BACK_OFFICE, tag="stores", body="StoreIn",
          response="StoreOut", status=201, errors=(400, 401, 403, 409), permission="stores.manage")
def create_store(ctx):
    """OWNER or MANAGER; a CASHIER gets 403 FORBIDDEN. A name another store of the merchant has (case, spacing and
    look-alike characters aside): 409 NAME_TAKEN."""
    return accounts.create_store(ctx.principal, ctx.body.name, ctx.body.address)


@endpoint(bp, "/v1/stores/{store_id}", "GET", summary="One store", auth=BACK_OFFICE, tag="stores",
          response="StoreOut", errors=(401, 404), permission="stores.read")
def get_store(ctx, store_id):
    """One store of the merchant; another merchant's id answers 404 as an unknown one does."""
    return accounts.get_store(ctx.principal, store_id)


@endpoint(bp, "/v1/stores/{store_id}", "PATCH", summary="Rename a store or change its address", auth=BACK_OFFICE,
          tag="stores", body="StorePatch", response="StoreOut", errors=(400, 401, 403, 404, 409), permission="stores.manage")
def update_store(ctx, store_id):
    """Only the fields sent change; `address: null` clears the address. A store changed meanwhile: 409 EDIT_CONFLICT
    (read it again)."""
    changes = ctx.body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")
    return accounts.update_store(ctx.principal, store_id, changes)


@endpoint(bp, "/v1/stores/{store_id}", "DELETE", summary="Delete a store without POS devices", auth=BACK_OFFICE,
          tag="stores", status=204, errors=(401, 403, 404, 409), permission="stores.manage")
def delete_store(ctx, store_id):
    """Only a store without POS devices (else 409 STORE_HAS_POS_DEVICES)."""
    accounts.delete_store(ctx.principal, store_id)


# ---------------------------------------------------------------- employees

@endpoint(bp, "/v1/employees", "GET", summary="List employees", auth=BACK_OFFICE, tag="employees", query="Page",
          response=ListOf("employees", "EmployeeOut"), errors=(400, 401), permission="employees.read")
def list_employees(ctx):
    """Everyone of the merchant, the OWNER included. PINs and passwords are never shown (`has_pin`)."""
    q = ctx.query
    items, cursor = accounts.list_employees(ctx.principal, q.limit, q.cursor)
    return {"employees": items, "cursor": cursor}


@endpoint(bp, "/v1/employees", "POST", summary="Add an employee (OWNER or ADMINISTRATOR)", auth=BACK_OFFICE, tag="employees",
          body="EmployeeIn", response="EmployeeOut", status=201, errors=(400, 401, 403, 409), permission="employees.manage")
def create_employee(ctx):
    """A MANAGER or CASHIER (role OWNER is refused: 400 ONE_OWNER). E-mail and PIN are unique (409 EMAIL_TAKEN,
    PIN_TAKEN); store_ids must name the merchant's stores (400 UNKNOWN_STORE)."""
    return accounts.create_employee(ctx.principal, ctx.body.model_dump())


@endpoint(bp, "/v1/employees/{employee_id}", "PATCH", summary="Change an employee (OWNER or ADMINISTRATOR)", auth=BACK_OFFICE,
          tag="employees", body="EmployeePatch", response="EmployeeOut", errors=(400, 401, 403, 404, 409), permission="employees.manage")
def update_employee(ctx, employee_id):
    """Only the fields sent change; an explicit null clears email, password or pin, and is refused for name, role and
    store_ids. The OWNER's role cannot change (409 OWNER_ROLE_FIXED), nobody can become OWNER (400 ONE_OWNER)."""
    changes = ctx.body.model_dump(exclude_unset=True)
    return accounts.update_employee(ctx.principal, employee_id, changes)


@endpoint(bp, "/v1/employees/{employee_id}", "DELETE", summary="Remove an employee (OWNER or ADMINISTRATOR)", auth=BACK_OFFICE,
          tag="employees", status=204, errors=(401, 403, 404, 409), permission="employees.manage")
def delete_employee(ctx, employee_id):
    """The OWNER cannot be removed (409 OWNER_CANNOT_BE_DELETED). The employee's sessions end, on the POS devices
    where they are signed in too."""
    devices.remove_employee(ctx.principal, employee_id)


@endpoint(bp, "/v1/employees/{employee_id}/invitation", "POST",
          summary="Invite an employee to the back office: a one-time link that sets their own password (72 h)",
          auth=BACK_OFFICE, tag="employees", response="InvitationOut", status=201, errors=(400, 401, 403, 404, 409),
          permission="employees.manage")
def create_invitation(ctx, employee_id):
    """OWNER or ADMINISTRATOR. The employee needs an e-mail (400 INVITATION_NEEDS_EMAIL) and a role other than
    CASHIER (400 INVITATION_NOT_FOR_CASHIER), and no access yet (409 ALREADY_HAS_ACCESS: revoke it first). The link
    works once, for 72 hours; a new invitation voids the previous one. Only its hash is stored. With a mail sender
    configured (INVITATION_SENDER, SES) the link is e-mailed to the employee and not returned (`sent_to` names the
    address); otherwise it is returned once to be handed over (`make run` prints it too)."""
    invitation = accounts.create_invitation(ctx.principal, employee_id, _app_origin(bp.current_request))
    # Never the link itself: a log is no place for a credential (`make run` prints it, local/server.py).
    log.info("invitation for employee %s %s", employee_id, "e-mailed" if invitation["sent_to"] else "returned",
             extra={"event": "invitation_created"})
    return invitation


def _app_origin(request) -> str:
    """Where the SPA is: APP_URL, else the origin the request came to (the SPA and the API share it)."""
    from chalicelib.config import settings

    if settings().app_url:
        return settings().app_url
    headers = request.headers or {}
    host = headers.get("host") or "127.0.0.1:8000"
    scheme = headers.get("x-forwarded-proto") or ("http" if host.startswith(("127.", "localhost")) else "https")
    return f"{scheme}://{host}"


@endpoint(bp, "/v1/invitations/accept", "POST", summary="Accept an invitation: set your password, get a session",
          auth=None, tag="employees", body="InvitationAcceptIn", response="InvitationAcceptOut",
          errors=(400, 401, 429))
def accept_invitation(ctx):
    """No auth: the token of the link is the proof. A wrong, expired or used token: 401 INVITATION_INVALID (one
    answer for all); repeated failures from one address answer 429 TOO_MANY_ATTEMPTS."""
    return accounts.accept_invitation(ctx.body.token, ctx.body.password, ctx.source_ip)


@endpoint(bp, "/v1/employees/{employee_id}/access", "DELETE",
          summary="Revoke an employee's back-office access: password and invitation removed, sessions end at once",
          auth=BACK_OFFICE, tag="employees", status=204, errors=(400, 401, 403, 404, 409), permission="employees.manage")
def revoke_access(ctx, employee_id):
    """OWNER or ADMINISTRATOR (an ADMINISTRATOR cannot revoke the OWNER or another administrator: 403
    ADMIN_PROTECTED). The employee's sessions and POS login tokens end at once; their PIN stays."""
    accounts.revoke_access(ctx.principal, employee_id)
