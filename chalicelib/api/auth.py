"""Who may call a route: the authenticators `endpoint(auth=...)` takes (chalicelib/api/http.py).

An authenticator turns the bearer token into the caller (a Principal) and then decides whether that caller may use
the route; the rules are the use cases' and the domain's (services/accounts.py, services/devices.py,
domain/roles.py), so the HTTP layer imports neither. `scheme` names it in the OpenAPI document and in the route
table (`Operation.auth`: "user" or "device")."""
from chalicelib.domain.roles import PERMISSIONS, require_permission
from chalicelib.services.accounts import authenticate_user
from chalicelib.services.devices import authenticate_device


class BackOffice:
    """A back-office caller: an employee's session or an API access token (the same bearer header). Every route
    names a permission of domain.roles.PERMISSIONS, checked right after authentication and before anything is read
    or written; a MANAGER's (or a store-limited token's) store scope is then applied by the use cases from
    `principal.store_ids`."""

    scheme = "user"
    errors = (403,)  # any back-office route answers 403 to a CASHIER's session (no back office) and to a READ token

    def declare(self, method: str, path: str, permission: str | None) -> None:
        if permission not in PERMISSIONS:
            raise ValueError(f"{method} {path}: a back-office route must declare a permission of domain.roles."
                             f"PERMISSIONS (got {permission!r})")

    def authenticate(self, token: str | None):
        return authenticate_user(token)

    def authorize(self, principal, permission: str, writes: bool) -> None:
        require_permission(principal.role, permission, writes=writes, read_only=principal.read_only,
                           api_token=bool(principal.api_token_id), store_limited=principal.store_ids is not None)


class Device:
    """A POS app's device token: the slot, with its signed-in employee. `final_sync`: also the old installation of
    an open final-sync window (only sync and me take it)."""

    scheme = "device"
    errors = ()

    def __init__(self, final_sync: bool = False):
        self.final_sync = final_sync

    def declare(self, method: str, path: str, permission: str | None) -> None:
        if permission is not None:
            raise ValueError(f"{method} {path}: only back-office routes take a permission")

    def authenticate(self, token: str | None):
        return authenticate_device(token, allow_final_sync=self.final_sync)

    def authorize(self, principal, permission: str | None, writes: bool) -> None:
        """A valid device token may use every POS route (the slot's state is checked by the use cases)."""


BACK_OFFICE = BackOffice()
DEVICE = Device()
DEVICE_OR_FINAL_SYNC = Device(final_sync=True)
