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
        raise Forbidden(key=key, params={"roles": " or ".join(sorted(r.value.lower() + "s" for r in allowed)),
                                         "action": ref(f"action.{what}")})
