"""Employee roles and what each may do."""
from enum import Enum

from chalicelib.errors import Forbidden


class Role(str, Enum):
    OWNER = "OWNER"
    MANAGER = "MANAGER"
    CASHIER = "CASHIER"


BACK_OFFICE_ROLES = {Role.OWNER, Role.MANAGER}
# Who may log a POS app in to activate a slot (DESIGN.md: the owner or a manager).
POS_LOGIN_ROLES = {Role.OWNER, Role.MANAGER}


def require_role(role: str, allowed: set[Role], what: str) -> None:
    if Role(role) not in allowed:
        raise Forbidden(f"Only {' or '.join(sorted(r.value.lower() for r in allowed))}s may {what}.")
