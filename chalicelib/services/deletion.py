"""Safe deletion of a POS: the request (API) and the steps the Step Functions workflow runs."""
import dataclasses
import json
import logging

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.domain.deletion import Deletion, DeletionStatus, Route, Step, choose_route
from chalicelib.domain.devices import Action, Device, Status
from chalicelib.domain.roles import BACK_OFFICE_ROLES, Role, require_role
from chalicelib.errors import Forbidden, NotFound, ServiceUnavailable
from chalicelib.i18n import ref
from chalicelib.ports import WriteRefused
from chalicelib.services.common import SYSTEM_SAFE_DELETION, Principal, new_event, new_id
from chalicelib.services.devices import get_device
from chalicelib.services.final_sync import close_for_deletion
from chalicelib.services.findings import raise_left_open_shifts, resolve_device_findings
from chalicelib.services.records import missing_receipt_numbers
from chalicelib.services.slot_writes import (
    MAX_CONFLICT_RETRIES, SlotChange, change_device, deactivation, revocation,
)
from chalicelib.wiring import adapters

log = logging.getLogger(__name__)

MAX_NUMBERS_IN_DETAILS = 20
# A deletion normally finishes in seconds, plus its sync waits; past this, GET checks the execution.
STALLED_CHECK_AFTER_SECONDS = 120
# Past the API function's 20 s timeout: the request that wrote a deletion has started its workflow or ended by then,
# so a deletion this old with no execution was never started (a younger one may be a racing request's, about to).
NEVER_STARTED_AFTER_SECONDS = 30


class DeletionBlocked(Exception):
    """A business reason the slot may not be deleted yet; its class name is the workflow's error name.

    Its message is JSON `{"key", "params"}` (a catalog message, rendered in the reader's language)."""

    code = "INTERNAL"

    def __init__(self, **params):
        super().__init__(json.dumps(ref(f"deletion.error.{self.code}", **params)))


class OpenTickets(DeletionBlocked):
    code = "OPEN_TICKETS"


class ShiftOpen(DeletionBlocked):
    code = "SHIFT_OPEN"


class ReceiptsNotSynced(DeletionBlocked):
    code = "RECEIPTS_NOT_SYNCED"


class TransientError(Exception):
    """Storage was briefly unavailable; the workflow retries the step with backoff."""


ERROR_CODES = {cls.__name__: cls.code for cls in (OpenTickets, ShiftOpen, ReceiptsNotSynced)}


def request_deletion(principal: Principal, device_id: str, force: bool) -> dict:
    require_role(principal.role, BACK_OFFICE_ROLES, "delete POS devices")
    if force and principal.role != Role.OWNER.value:
        raise Forbidden(field="force", code="FORCE_OWNER_ONLY")
    current = get_device(principal, device_id)  # 404 before anything else
    if _never_started(current):
        # Its request was written but the workflow never started (the answer was lost in between: a 503, or the
        # function stopped): asking again starts it, rather than 409 DELETION_IN_PROGRESS until the stall check.
        record = Deletion.from_dict(current.deletion)
        _start_workflow(current, record.id, record.route.value, record.force)
        return current.deletion
    deletion_id = new_id()

    def change(device: Device):
        device.check(Action.REQUEST_DELETION)
        route = choose_route(device.status == Status.ACTIVATED, device.final_sync_open, force)
        now = clock.iso()
        record = Deletion.start(deletion_id, route, force, now, _route_text(route))
        return SlotChange(dataclasses.replace(device, deletion=record.to_dict(), updated_at=now), {
            "deletion_id": deletion_id, "force": force, "route": route.value})

    written = change_device(principal, principal.merchant_id, device_id, change, "pos_device.deletion_requested")
    _start_workflow(written.device, deletion_id, written.details["route"], force)
    return written.device.deletion


def _never_started(device: Device) -> bool:
    """A RUNNING deletion, older than its request can be, that Step Functions has no execution of (one call, only
    on a slot being deleted)."""
    record = Deletion.from_dict(device.deletion) if device.deletion else None
    if not record or not record.running or _running_for(record) <= NEVER_STARTED_AFTER_SECONDS:
        return False
    return adapters().workflow.status(record.id) == "MISSING"


def _start_workflow(device: Device, deletion_id: str, route: str, force: bool) -> None:
    """The execution named after the deletion. Its input follows from the record and the settings alone, so a
    second start (a retried request racing the first) has the same name and input, which Step Functions answers
    with the execution already running."""
    cfg = settings()
    execution_input = {
        "merchant_id": device.merchant_id, "pos_device_id": device.id, "deletion_id": deletion_id,
        "route": route, "force": force, "wait_seconds": cfg.sync_wait_seconds,
        "max_attempts": cfg.sync_wait_attempts, "sync": {"waits": 0},
    }
    try:
        adapters().workflow.start(name=deletion_id, execution_input=execution_input)
        log.info("deletion %s started", deletion_id, extra={
            "event": "deletion_started", "deletion_id": deletion_id, "pos_device_id": device.id,
            "route": route, "force": force})
    except ServiceUnavailable:
        _finish(device.merchant_id, device.id, deletion_id, DeletionStatus.FAILED, Step.NOT_STARTED,
                {"code": "INTERNAL", **ref("deletion.error.not_started")})
        raise


def get_deletion(principal: Principal, device_id: str) -> dict:
    device = get_device(principal, device_id)
    if not device.deletion:
        raise NotFound(code="NO_DELETION")
    record = Deletion.from_dict(device.deletion)
    if record.running and _running_for(record) > STALLED_CHECK_AFTER_SECONDS:
        # The workflow records its own end; if its execution is over and nothing was recorded, it died.
        execution = adapters().workflow.status(record.id)
        if execution not in (None, "RUNNING"):
            _finish(device.merchant_id, device.id, record.id, DeletionStatus.FAILED, Step.STOPPED,
                    {"code": "INTERNAL", **ref("deletion.error.stopped")})
            return get_device(principal, device_id).deletion
    return device.deletion


def _running_for(record: Deletion) -> float:
    return (clock.now() - clock.parse(record.started_at)).total_seconds()


def _route_text(route: Route) -> dict:
    return ref(f"deletion.route.{route.value}")


# ---------------------------------------------------------------- workflow steps


def _record_step(event: dict, step: Step, message: dict) -> Device:
    """Show the step on the device's `deletion` (only for this deletion: a stale execution changes nothing)."""

    def change(device: Device):
        record = _current(device, event["deletion_id"]).with_step(step, clock.iso(), message)
        return SlotChange(dataclasses.replace(device, deletion=record.to_dict()), {})

    return _guarded(lambda: change_device(None, event["merchant_id"], event["pos_device_id"], change, None).device)


class _Stale(Exception):
    pass


def _current(device: Device, deletion_id: str) -> Deletion:
    """The device's deletion if it is still `deletion_id`; else this execution is stale (_Stale)."""
    if not device.deletion or device.deletion.get("id") != deletion_id:
        raise _Stale()
    return Deletion.from_dict(device.deletion)


def _guarded(operation):
    try:
        return operation()
    except ServiceUnavailable as exc:
        raise TransientError(str(exc)) from exc


def step_check_open_tickets(event: dict) -> None:
    device = _record_step(event, Step.CHECK_OPEN_TICKETS, ref("deletion.step.check_open_tickets"))
    if device.status == Status.ACTIVATED and device.open_tickets > 0:
        raise OpenTickets(count=device.open_tickets, name=device.name)


def step_check_shift_closed(event: dict) -> None:
    device = _record_step(event, Step.CHECK_SHIFT_CLOSED, ref("deletion.step.check_shift_closed"))
    if device.status == Status.ACTIVATED and device.shift_open:
        raise ShiftOpen(name=device.name)


def step_verify_receipts_synced(event: dict) -> dict:
    waits = int(event.get("sync", {}).get("waits", 0))
    device = _guarded(lambda: adapters().devices.get(event["merchant_id"], event["pos_device_id"]))
    missing = device.unsynced_receipts if device.status == Status.ACTIVATED or device.final_sync_open else 0
    if missing == 0:
        _record_step(event, Step.VERIFY_RECEIPTS_SYNCED, ref("deletion.step.all_synced"))
        return {"synced": True, "missing": 0, "waits": waits}
    if waits >= int(event["max_attempts"]):
        numbers = missing_receipt_numbers(device, MAX_NUMBERS_IN_DETAILS + 1)
        shown = ", ".join(numbers[:MAX_NUMBERS_IN_DETAILS]) + (" …" if len(numbers) > MAX_NUMBERS_IN_DETAILS else "")
        raise ReceiptsNotSynced(count=missing, numbers=shown, name=device.name)
    # `max_attempts` (POS_SYNC_WAIT_ATTEMPTS) is the number of waits; each wait is followed by a check.
    _record_step(event, Step.VERIFY_RECEIPTS_SYNCED, ref("deletion.step.waiting", count=missing, wait=waits + 1,
                                                     waits=int(event["max_attempts"])))
    return {"synced": False, "missing": missing, "waits": waits + 1}


def step_deactivate(event: dict) -> None:
    """Only the step's record: the token is revoked by step_delete, in the transaction that deletes the slot, so
    that a Delete failing for good leaves the slot exactly as it was (ACTIVATED, its token working)."""
    _record_step(event, Step.DEACTIVATE, ref("deletion.step.deactivate"))


def step_delete(event: dict) -> None:
    """Deactivate (if ACTIVATED) and soft-delete in one transaction: both events, the token's revocation and the
    store's count land together or not at all."""
    merchant_id, device_id = event["merchant_id"], event["pos_device_id"]
    for _ in range(MAX_CONFLICT_RETRIES):
        before = _guarded(lambda: adapters().devices.get(merchant_id, device_id))
        if before.deleted_at:
            after = before
            break  # a retried step after a write that did land
        record = _current(before, event["deletion_id"])
        now = clock.iso()
        device, events, token_writes = before, [], []
        if before.status == Status.ACTIVATED:
            deactivated = deactivation(before, clock.parse(now))
            device = deactivated.device
            events += [new_event(merchant_id, type_, SYSTEM_SAFE_DELETION, device_id, extra)
                       for type_, extra in deactivated.extra_events]
            events.append(new_event(merchant_id, "pos_device.deactivated", SYSTEM_SAFE_DELETION | {
                "deletion_id": event["deletion_id"], "forced": bool(event.get("force"))}, device_id,
                deactivated.details))
            token_writes = _guarded(lambda: revocation(before, device))
        deletion = record.finished(DeletionStatus.SUCCEEDED, Step.DELETED, now, message=ref("deletion.step.deleted"))
        device.check(Action.DELETE)
        device, closing = close_for_deletion(device)  # an open final-sync window closes with the slot
        events += [new_event(merchant_id, type_, SYSTEM_SAFE_DELETION, device_id, details)
                   for type_, details in closing]
        after = dataclasses.replace(device.deleted(now), deletion=deletion.to_dict())
        events.append(new_event(merchant_id, "pos_device.deleted", SYSTEM_SAFE_DELETION, device_id, {
            "deletion_id": event["deletion_id"], "forced": bool(event.get("force"))}))
        try:
            _guarded(lambda: adapters().devices.save_transition(before, after, events, token_writes, leaves_store=True))
            break
        except WriteRefused:
            pass  # the slot changed meanwhile (a sync, a rename): read it again
    else:
        raise TransientError("The POS changed several times meanwhile.")
    _guarded(lambda: resolve_device_findings(merchant_id, device_id))
    _guarded(lambda: raise_left_open_shifts(after, deleted=True))


def step_record_failure(event: dict) -> None:
    error = event.get("error") or {}
    name = error.get("Error", "")
    message = ref("deletion.error.failed")
    code = ERROR_CODES.get(name, "INTERNAL")
    if code != "INTERNAL":
        message = _blocked_message(error.get("Cause")) or message
    else:
        log.error("deletion %s failed: %s %s", event.get("deletion_id"), name, error.get("Cause"))
    _finish(event["merchant_id"], event["pos_device_id"], event["deletion_id"], DeletionStatus.FAILED, Step.FAILED,
            {"code": code, **message})


def _blocked_message(cause: str | None) -> dict | None:
    """The `{key, params}` a DeletionBlocked carried through Step Functions (its errorMessage)."""
    try:
        message = json.loads(json.loads(cause or "{}").get("errorMessage") or "")
    except (ValueError, AttributeError):
        return None
    if isinstance(message, dict) and isinstance(message.get("key"), str):
        return {"key": message["key"], "params": message.get("params") or {}}
    return None


def _finish(merchant_id: str, device_id: str, deletion_id: str, status: DeletionStatus, step: Step,
            error: dict | None) -> None:
    def change(device: Device):
        now = clock.iso()
        record = _current(device, deletion_id).finished(status, step, now, error)
        return SlotChange(dataclasses.replace(device, deletion=record.to_dict(), updated_at=now), {
            "deletion_id": deletion_id, "error": error})

    # Not _guarded: the API's paths (a deletion that did not start, a stalled one read) must answer 503 when
    # storage is briefly unavailable, and the workflow's step_record_failure runs inside run_step, whose
    # _guarded turns the same ServiceUnavailable into the TransientError the state machine retries.
    try:
        change_device(None, merchant_id, device_id, change, "pos_device.deletion_failed", actor=SYSTEM_SAFE_DELETION)
    except _Stale:
        log.warning("deletion %s is no longer current on %s; nothing recorded", deletion_id, device_id)


def run_step(step, event: dict):
    """Entry for the Lambda tasks: a stale execution (an older deletion) is a no-op, and storage that was briefly
    unavailable anywhere in a step is a TransientError, which the state machine retries."""
    try:
        return _guarded(lambda: step(event))
    except _Stale:
        log.warning("deletion %s is no longer current; step %s skipped", event.get("deletion_id"), step.__name__)
        return {"synced": True, "missing": 0, "waits": 0, "stale": True}
