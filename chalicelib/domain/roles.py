"""Employee roles and what each may do."""
from enum import Enum

from chalicelib.errors import Forbidden
from chalicelib.i18n import ref


class Role(str, Enum):
    OWNER = "OWNER"
    ADMINISTRATOR = "ADMINISTRATOR"
    MANAGER = "MANAGER"
    CASHIER = "CASHIER"


BACK_OFFICE_ROLES = {Role.OWNER, Role.ADMINISTRATOR, Role.MANAGER}
# Who manages the whole merchant: stores, employees, API tokens, webhooks (DESIGN.md 3.2, 3.3).
ADMIN_ROLES = {Role.OWNER, Role.ADMINISTRATOR}
# Who may log a POS app in to activate a slot (docs/CONTRACT.md section 1: the owner or a manager).
POS_LOGIN_ROLES = {Role.OWNER, Role.ADMINISTRATOR, Role.MANAGER}


# What an API access token (a Principal without a role) may never do, whatever its access (DESIGN.md 3.3): it
# acts as the owner within its stores otherwise.
NOT_FOR_API_TOKENS = {"manage employees", "manage API tokens", "manage webhooks"}


def require_role(role: str | None, allowed: set[Role], what: str) -> None:
    """403 unless `role` is allowed; `what` ("manage stores") has a catalog entry `action.<what>`. `role` None is an
    API access token: allowed everything but NOT_FOR_API_TOKENS."""
    if role is None:
        if what in NOT_FOR_API_TOKENS:
            raise Forbidden(code="API_TOKEN_FORBIDDEN", params={"action": ref(f"action.{what}")})
        return
    if Role(role) not in allowed:
        key = "FORBIDDEN.owner_only" if allowed == {Role.OWNER} else "FORBIDDEN.role"
        names = [role.value.lower() + "s" for role in Role if role in allowed]  # in rank order
        roles = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        raise Forbidden(key=key, params={"roles": roles, "action": ref(f"action.{what}")})


# What a back-office route needs (chalicelib/api/auth.py `BackOffice`, `endpoint(permission=...)`), and who has it. The store
# scope (a MANAGER's stores) is applied by the use cases from `Principal.store_ids`; this table says only whether
# the role may do the kind of thing at all. A back-office route must name one of these (checked at import).
PERMISSIONS: dict[str, frozenset[Role]] = {
    "session": frozenset(BACK_OFFICE_ROLES),          # own session: log out
    "stores.read": frozenset(BACK_OFFICE_ROLES),      # a MANAGER sees only their stores
    "stores.manage": frozenset(ADMIN_ROLES),
    "employees.read": frozenset(BACK_OFFICE_ROLES),   # a MANAGER: the people of their stores (names on receipts)
    "employees.manage": frozenset(ADMIN_ROLES),
    "devices.read": frozenset(BACK_OFFICE_ROLES),
    "devices.write": frozenset(BACK_OFFICE_ROLES),
    "records.read": frozenset(BACK_OFFICE_ROLES),     # receipts, export, shifts, findings, events
    "audit.run": frozenset(BACK_OFFICE_ROLES),
    "integrations.manage": frozenset(ADMIN_ROLES),    # API tokens and webhooks (DESIGN.md 3.3)
}
# What an API access token may never do, whatever its access: the permission -> the action its 403 names. A
# token's own session is its revocation (DELETE /v1/api_tokens/{id}), not a logout.
_NOT_FOR_API_TOKENS = {"employees.manage": "manage employees", "integrations.manage": "manage webhooks",
                       "session": "log out"}


def require_permission(role: str | None, permission: str, *, writes: bool, read_only: bool = False,
                       api_token: bool = False, store_limited: bool = False) -> None:
    """403 unless the caller may use a route that needs `permission` (`writes`: the request changes something).

    A read-only caller (an API token with access READ, DESIGN.md 3.3: "GET only") may not write: 403
    API_TOKEN_READ_ONLY, whatever else the route needs (the one place this is checked). An API access token has no
    role: it acts as an ADMINISTRATOR, or as a MANAGER when limited to stores, except for what _NOT_FOR_API_TOKENS
    names (403 API_TOKEN_FORBIDDEN). Else 403 FORBIDDEN unless `role` has `permission`."""
    if read_only and writes:
        raise Forbidden(code="API_TOKEN_READ_ONLY")
    allowed = PERMISSIONS[permission]
    if api_token:
        if permission in _NOT_FOR_API_TOKENS:
            action = ref(f"action.{_NOT_FOR_API_TOKENS[permission]}")
            raise Forbidden(code="API_TOKEN_FORBIDDEN", params={"action": action})
        role = (Role.MANAGER if store_limited else Role.ADMINISTRATOR).value
    if role is None or Role(role) not in allowed:
        if allowed == ADMIN_ROLES and permission in _ADMIN_ACTIONS:
            raise Forbidden(key="FORBIDDEN.admin_only", params={"action": ref(f"action.{_ADMIN_ACTIONS[permission]}")})
        raise Forbidden(key="FORBIDDEN.permission", params={"permission": permission})


_ADMIN_ACTIONS = {"stores.manage": "manage stores", "employees.read": "manage employees",
                  "employees.manage": "manage employees"}
