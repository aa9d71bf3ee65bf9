"""Who did what (DESIGN.md 3.2): the `actor` of an activity-log event.

    {"type": "EMPLOYEE", "id", "name", "role"}      a back-office user (or the owner at sign-up)
    {"type": "DEVICE", "id", "name", "employee_id"}  a POS app, with the employee signed in on it
    {"type": "API_TOKEN", "id", "name"}              an integration's API token
    {"type": "SYSTEM", "name": "AUDIT"|"WORKFLOW", "id"}  the system: which part in `id` (safe-deletion, final-sync)

Events written before contract v1.2 hold lowercase types ("employee", "pos_device", "system") and no names;
`normalize` reads them in the new shape (names and roles are filled in from the current records when the log is
read, see services/records.py)."""

EMPLOYEE, DEVICE, API_TOKEN, SYSTEM = "EMPLOYEE", "DEVICE", "API_TOKEN", "SYSTEM"
TYPES = (EMPLOYEE, DEVICE, API_TOKEN, SYSTEM)
SYSTEM_NAMES = ("AUDIT", "WORKFLOW")

# Which system part (the old `id`) is which system name.
_SYSTEM_PARTS = {"safe-deletion": "WORKFLOW", "final-sync": "AUDIT", "audit": "AUDIT"}

SAFE_DELETION = {"type": SYSTEM, "name": "WORKFLOW", "id": "safe-deletion"}
AUDIT = {"type": SYSTEM, "name": "AUDIT", "id": "audit"}  # a finding raised or resolved
FINAL_SYNC = {"type": SYSTEM, "name": "AUDIT", "id": "final-sync"}  # a window closed on its own (read or audit)

_OLD_TYPES = {"employee": EMPLOYEE, "pos_device": DEVICE, "system": SYSTEM, "api_token": API_TOKEN}


def employee(employee_id: str | None, name: str | None, role: str | None) -> dict:
    return {"type": EMPLOYEE, "id": employee_id, "name": name, "role": role}


def device(device_id: str, name: str | None, employee_id: str | None) -> dict:
    return {"type": DEVICE, "id": device_id, "name": name, "employee_id": employee_id}


def api_token(token_id: str, name: str | None) -> dict:
    return {"type": API_TOKEN, "id": token_id, "name": name}


def normalize(actor: dict | None) -> dict:
    """An event's actor in the v1.2 shape, whatever shape it was stored in (a copy; the input is not changed)."""
    actor = dict(actor or {})
    kind = _OLD_TYPES.get(actor.get("type"), actor.get("type"))
    if kind not in TYPES:
        kind = SYSTEM
    actor["type"] = kind
    if kind == SYSTEM:
        part = actor.get("id") or "safe-deletion"
        actor["id"] = part
        if actor.get("name") not in SYSTEM_NAMES:
            actor["name"] = _SYSTEM_PARTS.get(part, "WORKFLOW")
    return actor


def filter_ids(actor_id: str) -> tuple[str, ...]:
    """The stored `actor.id`s that GET /v1/events?actor_id= means: a system name (AUDIT, WORKFLOW) stands for every
    part of it (the audit's own events and the final-sync windows it closes); any other id for itself."""
    if actor_id in SYSTEM_NAMES:
        return tuple(part for part, name in _SYSTEM_PARTS.items() if name == actor_id)
    return (actor_id,)


def actor_id(actor: dict | None) -> str | None:
    return (actor or {}).get("id")
