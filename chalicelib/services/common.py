"""Small things every use case needs: ids, the acting principal, activity-log entries."""
import uuid
from dataclasses import dataclass, field

from chalicelib import clock
from chalicelib.domain.devices import Device
from chalicelib.errors import NotFound


@dataclass(frozen=True)
class Principal:
    """Who is calling: a back-office employee or a POS device (then `pos_device_id` is set)."""

    merchant_id: str
    employee_id: str | None
    role: str | None = None
    pos_device_id: str | None = None
    activation_id: str | None = None
    # A deactivated installation uploading during its final-sync window (only sync and me accept it).
    final_sync: bool = False
    # The stores the caller may see and change: None for every store of the merchant (OWNER, ADMINISTRATOR), the
    # employee's store_ids for a MANAGER, the token's for a store-limited API token (DESIGN.md 3.2, 3.3).
    store_ids: frozenset[str] | None = None
    read_only: bool = False  # an API token with access READ: GET only
    api_token_id: str | None = None  # set when the caller is an API token (then employee_id is None)
    name: str | None = None  # the employee's or the API token's name, for the events' actor

    def sees_store(self, store_id: str | None) -> bool:
        return self.store_ids is None or store_id in self.store_ids

    @property
    def actor(self) -> dict:
        if self.api_token_id:
            return {"type": "API_TOKEN", "id": self.api_token_id, "name": self.name}
        if self.pos_device_id:
            return {"type": "pos_device", "id": self.pos_device_id, "employee_id": self.employee_id}
        return {"type": "employee", "id": self.employee_id}


@dataclass(frozen=True, kw_only=True)
class DevicePrincipal(Principal):
    """A POS device's token: the slot (`device`, as read when the token was checked) acting with its signed-in
    employee; `pos_device_id` and `activation_id` are always set."""

    device: Device = field(compare=False)


SYSTEM_SAFE_DELETION = {"type": "system", "id": "safe-deletion"}


def new_id() -> str:
    return str(uuid.uuid4())


def new_event(merchant_id: str, type_: str, actor: dict, pos_device_id: str | None = None,
              details: dict | None = None) -> dict:
    moment = clock.now()
    return {
        "id": new_id(), "merchant_id": merchant_id, "pos_device_id": pos_device_id, "type": type_,
        "actor": actor, "at": clock.iso(moment), "sort_at": clock.sort_key(moment), "details": details or {},
    }


def not_found(what: str) -> NotFound:
    """404 for a `what` of NOT_FOUND_KEYS ("store", "employee", "POS device")."""
    return NotFound(key=NOT_FOUND_KEYS[what])


NOT_FOUND_KEYS = {"store": "NOT_FOUND.store", "employee": "NOT_FOUND.employee", "POS device": "NOT_FOUND.pos_device"}
