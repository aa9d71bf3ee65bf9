"""Sign-up, login, stores and employees."""
from chalice import Blueprint

from chalicelib.api.http import ListOf, bearer_token, endpoint
from chalicelib.services import accounts, devices

bp = Blueprint(__name__)


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
          auth="user", tag="accounts", status=204, errors=(401, 403))
def logout(ctx):
    accounts.logout(bearer_token(bp.current_request))


# ---------------------------------------------------------------- stores

@endpoint(bp, "/v1/stores", "GET", summary="List stores", auth="user", tag="stores", query="Page",
          response=ListOf("stores", "StoreOut"), errors=(400, 401))
def list_stores(ctx):
    """The merchant's stores, a page at a time."""
    q = ctx.query
    items, cursor = accounts.list_stores(ctx.principal, q.limit, q.cursor)
    return {"stores": items, "cursor": cursor}


@endpoint(bp, "/v1/stores", "POST", summary="Create a store", auth="user", tag="stores", body="StoreIn",
          response="StoreOut", status=201, errors=(400, 401, 403, 409))
def create_store(ctx):
    """OWNER or MANAGER; a CASHIER gets 403 FORBIDDEN. A name another store of the merchant has (case, spacing and
    look-alike characters aside): 409 NAME_TAKEN."""
    return accounts.create_store(ctx.principal, ctx.body.name, ctx.body.address)


@endpoint(bp, "/v1/stores/{store_id}", "GET", summary="One store", auth="user", tag="stores",
          response="StoreOut", errors=(401, 404))
def get_store(ctx, store_id):
    """One store of the merchant; another merchant's id answers 404 as an unknown one does."""
    return accounts.get_store(ctx.principal, store_id)


@endpoint(bp, "/v1/stores/{store_id}", "PATCH", summary="Rename a store or change its address", auth="user",
          tag="stores", body="StorePatch", response="StoreOut", errors=(400, 401, 403, 404, 409))
def update_store(ctx, store_id):
    """Only the fields sent change; `address: null` clears the address. A store changed meanwhile: 409 EDIT_CONFLICT
    (read it again)."""
    changes = ctx.body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")
    return accounts.update_store(ctx.principal, store_id, changes)


@endpoint(bp, "/v1/stores/{store_id}", "DELETE", summary="Delete a store without POS devices", auth="user",
          tag="stores", status=204, errors=(401, 403, 404, 409))
def delete_store(ctx, store_id):
    """Only a store without POS devices (else 409 STORE_HAS_POS_DEVICES)."""
    accounts.delete_store(ctx.principal, store_id)


# ---------------------------------------------------------------- employees

@endpoint(bp, "/v1/employees", "GET", summary="List employees", auth="user", tag="employees", query="Page",
          response=ListOf("employees", "EmployeeOut"), errors=(400, 401))
def list_employees(ctx):
    """Everyone of the merchant, the OWNER included. PINs and passwords are never shown (`has_pin`)."""
    q = ctx.query
    items, cursor = accounts.list_employees(ctx.principal, q.limit, q.cursor)
    return {"employees": items, "cursor": cursor}


@endpoint(bp, "/v1/employees", "POST", summary="Add an employee (OWNER only)", auth="user", tag="employees",
          body="EmployeeIn", response="EmployeeOut", status=201, errors=(400, 401, 403, 409))
def create_employee(ctx):
    """A MANAGER or CASHIER (role OWNER is refused: 400 ONE_OWNER). E-mail and PIN are unique (409 EMAIL_TAKEN,
    PIN_TAKEN); store_ids must name the merchant's stores (400 UNKNOWN_STORE)."""
    return accounts.create_employee(ctx.principal, ctx.body.model_dump())


@endpoint(bp, "/v1/employees/{employee_id}", "PATCH", summary="Change an employee (OWNER only)", auth="user",
          tag="employees", body="EmployeePatch", response="EmployeeOut", errors=(400, 401, 403, 404, 409))
def update_employee(ctx, employee_id):
    """Only the fields sent change; an explicit null clears email, password or pin, and is refused for name, role and
    store_ids. The OWNER's role cannot change (409 OWNER_ROLE_FIXED), nobody can become OWNER (400 ONE_OWNER)."""
    changes = ctx.body.model_dump(exclude_unset=True)
    return accounts.update_employee(ctx.principal, employee_id, changes)


@endpoint(bp, "/v1/employees/{employee_id}", "DELETE", summary="Remove an employee (OWNER only)", auth="user",
          tag="employees", status=204, errors=(401, 403, 404, 409))
def delete_employee(ctx, employee_id):
    """The OWNER cannot be removed (409 OWNER_CANNOT_BE_DELETED). The employee's sessions end, on the POS devices
    where they are signed in too."""
    devices.remove_employee(ctx.principal, employee_id)
