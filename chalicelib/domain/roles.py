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


def require_role(role: str, allowed: set[Role], what: str) -> None:
    """403 unless `role` is allowed; `what` ("manage stores") has a catalog entry `action.<what>`."""
    if Role(role) not in allowed:
        key = "FORBIDDEN.owner_only" if allowed == {Role.OWNER} else "FORBIDDEN.role"
        names = [role.value.lower() + "s" for role in Role if role in allowed]  # in rank order
        roles = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        raise Forbidden(key=key, params={"roles": roles, "action": ref(f"action.{what}")})


# What a back-office route needs (chalicelib/api/http.py `endpoint(permission=...)`), and who has it. The store
# scope (a MANAGER's stores) is applied by the use cases from `Principal.store_ids`; this table says only whether
# the role may do the kind of thing at all. A route with auth="user" must name one of these (checked at import).
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
}
# Permissions that only read: an API token with read-only access (DESIGN.md 3.3) may use these and no other.
READ_PERMISSIONS = frozenset({"stores.read", "employees.read", "devices.read", "records.read"})


def require_permission(role: str | None, permission: str, read_only: bool = False) -> None:
    """403 FORBIDDEN unless `role` has `permission` (and, for a read-only caller, the permission only reads)."""
    allowed = PERMISSIONS[permission]
    if read_only and permission not in READ_PERMISSIONS and permission != "session":
        raise Forbidden(key="FORBIDDEN.read_only")
    if role is None or Role(role) not in allowed:
        if allowed == ADMIN_ROLES and permission in _ADMIN_ACTIONS:
            raise Forbidden(key="FORBIDDEN.admin_only", params={"action": ref(f"action.{_ADMIN_ACTIONS[permission]}")})
        raise Forbidden(key="FORBIDDEN.permission", params={"permission": permission})


_ADMIN_ACTIONS = {"stores.manage": "manage stores", "employees.read": "manage employees",
                  "employees.manage": "manage employees"}
