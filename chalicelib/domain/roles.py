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
