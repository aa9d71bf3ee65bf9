"""Sign-up, login, stores and employees."""
from chalice import Blueprint

from chalicelib.api.http import ListOf, bearer_token, endpoint
from chalicelib.services import accounts

bp = Blueprint(__name__)


@endpoint(bp, "/v1/signup", "POST", summary="Create a merchant account; its first employee is the OWNER",
          auth=None, tag="accounts", body="SignupIn", response="SignupOut", status=201, errors=(400, 409))
def signup(ctx):
    body = ctx.body
    return accounts.signup(body.business_name, body.email, body.password, body.currency)


@endpoint(bp, "/v1/auth/login", "POST", summary="Log in to the back office", auth=None, tag="accounts",
          body="LoginIn", response="LoginOut", errors=(400, 401, 403, 429))
def login(ctx):
    return accounts.login(ctx.body.email, ctx.body.password)


@endpoint(bp, "/v1/auth/logout", "POST", summary="Log out: the caller's session (its token) ends at once",
          auth="user", tag="accounts", status=204, errors=(401, 403))
def logout(ctx):
    accounts.logout(bearer_token(bp.current_request))


# ---------------------------------------------------------------- stores

@endpoint(bp, "/v1/stores", "GET", summary="List stores", auth="user", tag="stores", query="Page",
          response=ListOf("stores", "StoreOut"), errors=(400, 401))
def list_stores(ctx):
    q = ctx.query
    items, cursor = accounts.list_stores(ctx.principal, q.limit, q.cursor)
    return {"stores": items, "cursor": cursor}


@endpoint(bp, "/v1/stores", "POST", summary="Create a store", auth="user", tag="stores", body="StoreIn",
          response="StoreOut", status=201, errors=(400, 401, 403))
def create_store(ctx):
    return accounts.create_store(ctx.principal, ctx.body.name, ctx.body.address)


@endpoint(bp, "/v1/stores/{store_id}", "GET", summary="One store", auth="user", tag="stores",
          response="StoreOut", errors=(401, 404))
def get_store(ctx, store_id):
    return accounts.get_store(ctx.principal, store_id)


@endpoint(bp, "/v1/stores/{store_id}", "PATCH", summary="Rename a store or change its address", auth="user",
          tag="stores", body="StorePatch", response="StoreOut", errors=(400, 401, 403, 404, 409))
def update_store(ctx, store_id):
    changes = ctx.body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")
    return accounts.update_store(ctx.principal, store_id, changes)


@endpoint(bp, "/v1/stores/{store_id}", "DELETE", summary="Delete a store without POS devices", auth="user",
          tag="stores", status=204, errors=(401, 403, 404, 409))
def delete_store(ctx, store_id):
    accounts.delete_store(ctx.principal, store_id)


# ---------------------------------------------------------------- employees

@endpoint(bp, "/v1/employees", "GET", summary="List employees", auth="user", tag="employees", query="Page",
          response=ListOf("employees", "EmployeeOut"), errors=(400, 401))
def list_employees(ctx):
    q = ctx.query
    items, cursor = accounts.list_employees(ctx.principal, q.limit, q.cursor)
    return {"employees": items, "cursor": cursor}


@endpoint(bp, "/v1/employees", "POST", summary="Add an employee (OWNER only)", auth="user", tag="employees",
          body="EmployeeIn", response="EmployeeOut", status=201, errors=(400, 401, 403, 409))
def create_employee(ctx):
    return accounts.create_employee(ctx.principal, ctx.body.model_dump())


@endpoint(bp, "/v1/employees/{employee_id}", "PATCH", summary="Change an employee (OWNER only)", auth="user",
          tag="employees", body="EmployeePatch", response="EmployeeOut", errors=(400, 401, 403, 404, 409))
def update_employee(ctx, employee_id):
    changes = ctx.body.model_dump(exclude_unset=True)
    return accounts.update_employee(ctx.principal, employee_id, changes)


@endpoint(bp, "/v1/employees/{employee_id}", "DELETE", summary="Remove an employee (OWNER only)", auth="user",
          tag="employees", status=204, errors=(401, 403, 404, 409))
def delete_employee(ctx, employee_id):
    accounts.delete_employee(ctx.principal, employee_id)
