"""The safe deletion (services/deletion.py) on the in-memory fakes: the request, and each workflow step, driven
the way the state machine drives them (FakeWorkflow.drive)."""
import pytest

from chalicelib.domain import audit as audit_rules
from chalicelib.domain.devices import Status
from chalicelib.errors import DeviceDeleted, Forbidden, IllegalTransition, ServiceUnavailable
from chalicelib.services import accounts, deletion, devices, sync
from chalicelib.services.common import Principal
from tests.unit.conftest import later, sale, shift_in, state


def request(shop, device_id: str, force: bool = False) -> dict:
    record = deletion.request_deletion(shop.owner, device_id, force)
    assert record["status"] == "RUNNING"
    return record


def test_a_slot_no_app_is_bound_to_is_deleted_at_once(shop):
    till = shop.device()
    record = request(shop, till.id)
    assert record["route"] == "DELETE"
    started = shop.adapters.workflow.executions[record["id"]]
    assert started | {"sync": None} == {
        "merchant_id": shop.merchant_id, "pos_device_id": till.id, "deletion_id": record["id"], "route": "DELETE",
        "force": False, "wait_seconds": 0, "max_attempts": 2, "sync": None}
    later(seconds=1)
    assert shop.adapters.workflow.drive(record["id"]) == ["Delete"]
    gone = shop.slot(till.id)
    assert (gone.deleted_at is not None, gone.deletion["status"], gone.deletion["step"]) == (True, "SUCCEEDED",
                                                                                             "Deleted")
    assert shop.adapters.stores.get(shop.merchant_id, shop.store_id)["device_count"] == 0
    types = shop.event_types(till.id)
    assert (types[0], sorted(types[1:])) == (
        "pos_device.deleted", ["pos_device.created", "pos_device.deletion_requested"])
    assert shop.device("Till 1").number == 2  # its name is free; numbers are never reused


def test_an_activated_slot_goes_through_the_checks(shop):
    principal, device, token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1)], [], [], state(1))
    record = request(shop, device.id)
    assert record["route"] == "CHECKS"
    other = accounts.create_store(shop.owner, "Other", None)
    with pytest.raises(IllegalTransition) as caught:  # nothing but the workflow's own steps meanwhile
        devices.update_device(shop.owner, device.id, store_id=other["id"])
    assert caught.value.code == "DELETION_IN_PROGRESS"
    assert devices.rename_device(shop.owner, device.id, "Renamed").name == "Renamed"  # allowed while deleting
    states = shop.adapters.workflow.drive(record["id"])
    assert states == ["CheckOpenTickets", "CheckShiftClosed", "VerifyReceiptsSynced", "Deactivate", "Delete"]
    gone = shop.slot(device.id)
    assert [s["step"] for s in gone.deletion["steps"]] == [
        "Started", "CheckOpenTickets", "CheckShiftClosed", "VerifyReceiptsSynced", "Deactivate", "Deleted"]
    assert gone.status == Status.INACTIVE
    assert gone.deleted_at
    with pytest.raises(DeviceDeleted):
        devices.authenticate_device(token)
    assert shop.adapters.workflow.status(record["id"]) == "SUCCEEDED"


def test_open_tickets_refuse_the_deletion(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [], [], [], state(0, open_tickets=3))
    record = request(shop, device.id)
    assert shop.adapters.workflow.drive(record["id"]) == ["CheckOpenTickets", "RecordRefusal"]
    slot = shop.slot(device.id)
    assert (slot.deleted_at, slot.status, slot.deletion["status"], slot.deletion["error"]["code"]) == (
        None, Status.ACTIVATED, "FAILED", "OPEN_TICKETS")
    assert slot.deletion["error"]["key"] == "deletion.error.OPEN_TICKETS"
    assert slot.deletion["error"]["params"]["count"] == 3
    # The refusal is shown until the owner's next action on the slot.
    renamed = devices.rename_device(shop.owner, device.id, "Again")
    assert renamed.deletion is None


def test_an_open_shift_refuses_the_deletion(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [], [], [shift_in()], state(0, shift_open=True))
    record = request(shop, device.id)
    assert shop.adapters.workflow.drive(record["id"])[-2:] == ["CheckShiftClosed", "RecordRefusal"]
    assert shop.slot(device.id).deletion["error"]["code"] == "SHIFT_OPEN"


def test_receipts_not_synced_after_the_waits(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1)], [], [], state(3))
    record = request(shop, device.id)
    waits = []
    states = shop.adapters.workflow.drive(record["id"], on_wait=waits.append)
    assert states == ["CheckOpenTickets", "CheckShiftClosed", "VerifyReceiptsSynced", "WaitForLateSync",
                      "VerifyReceiptsSynced", "WaitForLateSync", "VerifyReceiptsSynced", "RecordRefusal"]
    slot = shop.slot(device.id)
    assert slot.deletion["error"]["code"] == "RECEIPTS_NOT_SYNCED"
    assert slot.deletion["error"]["params"]["numbers"] == "1-2, 1-3"
    assert slot.deleted_at is None
    assert slot.status == Status.ACTIVATED


def test_a_late_sync_during_the_wait_lets_it_finish(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1)], [], [], state(2))
    record = request(shop, device.id)

    def late_sync(_state):
        sync.sync_batch(principal, shop.slot(device.id), [sale(1, 2)], [], [], state(2))

    states = shop.adapters.workflow.drive(record["id"], on_wait=late_sync)
    assert states[-4:] == ["WaitForLateSync", "VerifyReceiptsSynced", "Deactivate", "Delete"]
    assert shop.slot(device.id).deleted_at


def test_forced_deletion_deactivates_and_flags_the_open_shift(shop):
    principal, device, token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1)], [], [shift_in()], state(4, open_tickets=1, shift_open=True))
    record = request(shop, device.id, force=True)
    assert record["route"] == "DEACTIVATE"
    later(seconds=1)
    assert shop.adapters.workflow.drive(record["id"]) == ["Deactivate", "Delete"]
    gone = shop.slot(device.id)
    assert (gone.lost_receipts, gone.status, bool(gone.deleted_at)) == (3, Status.INACTIVE, True)
    # written together, at one moment: in no particular order (the open shift's audit.finding_raised, issue 24,
    # is written with its finding just after)
    types = [t for t in shop.event_types(device.id) if not t.startswith("audit.")]
    assert sorted(types[:2]) == ["pos_device.deactivated", "pos_device.deleted"]
    assert "audit.finding_raised" in shop.event_types(device.id)
    open_findings = shop.adapters.findings.open_for_merchant(shop.merchant_id)
    assert [f["type"] for f in open_findings] == [audit_rules.SHIFT_LEFT_OPEN]


def test_only_the_owner_may_force(shop):
    manager_data = accounts.create_employee(shop.owner, {"name": "Max", "role": "MANAGER", "email": "max@example.com",
                                                         "password": "correct horse 2"})
    manager = Principal(merchant_id=shop.merchant_id, employee_id=manager_data["id"], role="MANAGER")
    cashier = Principal(merchant_id=shop.merchant_id, employee_id="c", role="CASHIER")
    till = shop.device()
    with pytest.raises(Forbidden) as caught:
        deletion.request_deletion(manager, till.id, True)
    assert caught.value.code == "FORCE_OWNER_ONLY"
    with pytest.raises(Forbidden):
        deletion.request_deletion(cashier, till.id, False)
    assert deletion.request_deletion(manager, till.id, False)["status"] == "RUNNING"


def test_a_workflow_that_cannot_start_fails_the_deletion(shop):
    till = shop.device()
    shop.adapters.workflow.unavailable = True
    with pytest.raises(ServiceUnavailable):
        deletion.request_deletion(shop.owner, till.id, False)
    slot = shop.slot(till.id)
    assert (slot.deletion["status"], slot.deletion["step"], slot.deleted_at) == ("FAILED", "NotStarted", None)
    shop.adapters.workflow.unavailable = False
    request(shop, till.id)  # a failed deletion may be requested again


def test_a_second_request_while_running_is_refused(shop):
    till = shop.device()
    request(shop, till.id)
    with pytest.raises(IllegalTransition) as caught:
        deletion.request_deletion(shop.owner, till.id, False)
    assert caught.value.code == "DELETION_IN_PROGRESS"


def test_a_stalled_execution_is_recorded_as_stopped(shop):
    till = shop.device()
    record = request(shop, till.id)
    assert deletion.get_deletion(shop.owner, till.id)["status"] == "RUNNING"
    shop.adapters.workflow.statuses[record["id"]] = "FAILED"
    assert deletion.get_deletion(shop.owner, till.id)["status"] == "RUNNING"  # not stalled yet: not even asked
    later(seconds=deletion.STALLED_CHECK_AFTER_SECONDS + 1)
    stopped = deletion.get_deletion(shop.owner, till.id)
    assert (stopped["status"], stopped["step"], stopped["error"]["code"]) == ("FAILED", "Stopped", "INTERNAL")


def test_a_stale_execution_changes_nothing(shop):
    till = shop.device()
    old = request(shop, till.id)
    event = dict(shop.adapters.workflow.executions[old["id"]])
    shop.adapters.workflow.drive(old["id"])
    before = shop.slot(till.id)
    # The same step run again (a retried Lambda) after the slot was deleted: a no-op.
    deletion.run_step(deletion.step_delete, event)
    assert shop.slot(till.id) == before
    stale = event | {"deletion_id": "another"}
    assert deletion.run_step(deletion.step_check_open_tickets, stale)["stale"] is True
    assert shop.slot(till.id) == before


def test_each_step_on_its_own(shop):
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1)], [], [], state(1, open_tickets=1))
    record = request(shop, device.id)
    event = dict(shop.adapters.workflow.executions[record["id"]])
    with pytest.raises(deletion.OpenTickets):
        deletion.step_check_open_tickets(event)
    sync.sync_batch(principal, shop.slot(device.id), [], [], [], state(1, open_tickets=0))
    deletion.step_check_open_tickets(event)
    deletion.step_check_shift_closed(event)
    assert deletion.step_verify_receipts_synced(event) == {"synced": True, "missing": 0, "waits": 0}
    deletion.step_deactivate(event)
    assert shop.slot(device.id).status == Status.ACTIVATED  # Deactivate only records: Delete does both at once
    deletion.step_delete(event)
    assert shop.slot(device.id).deleted_at
    assert shop.slot(device.id).deletion["step"] == "Deleted"


def test_a_delete_that_fails_for_good_leaves_the_slot_as_it_was(shop, monkeypatch):
    principal, device, token = shop.active_device()
    record = request(shop, device.id, force=True)
    original = shop.adapters.devices.save_transition

    def broken_delete(before, after, *args, **kwargs):
        if kwargs.get("leaves_store"):
            raise RuntimeError("storage broke")
        return original(before, after, *args, **kwargs)

    monkeypatch.setattr(shop.adapters.devices, "save_transition", broken_delete)
    assert shop.adapters.workflow.drive(record["id"]) == ["Deactivate", "Delete", "RecordFailure"]
    slot = shop.slot(device.id)
    assert (slot.status, slot.deleted_at, slot.deletion["status"], slot.deletion["error"]["code"]) == (
        Status.ACTIVATED, None, "FAILED", "INTERNAL")
    assert devices.authenticate_device(token).device.id == device.id  # its token still works
    assert shop.adapters.workflow.status(record["id"]) == "FAILED"


def test_storage_briefly_unavailable_is_retried_by_the_workflow(shop, monkeypatch):
    till = shop.device()
    record = request(shop, till.id)
    original, faults = shop.adapters.devices.get, []

    def flaky(merchant_id, device_id):
        if len(faults) < 2:  # the first two reads fail (throttled), the state machine retries the step
            faults.append(device_id)
            raise ServiceUnavailable()
        return original(merchant_id, device_id)

    monkeypatch.setattr(shop.adapters.devices, "get", flaky)
    assert shop.adapters.workflow.drive(record["id"]) == ["Delete"]
    assert len(faults) == 2
    assert shop.slot(till.id).deletion["status"] == "SUCCEEDED"


def test_a_step_still_failing_after_the_asls_retries_fails_the_deletion(shop, monkeypatch):
    till = shop.device()
    record = request(shop, till.id)
    tries = []

    def always_transient(event):
        tries.append(event["deletion_id"])
        raise deletion.TransientError("storage still unavailable")

    monkeypatch.setattr(deletion, "step_delete", always_transient)
    assert shop.adapters.workflow.drive(record["id"]) == ["Delete", "RecordFailure"]
    assert len(tries) == 4  # the first try and the ASL's Retry MaxAttempts (3), read from the state machine
    slot = shop.slot(till.id)
    assert (slot.deletion["status"], slot.deletion["error"]["code"], slot.deleted_at) == ("FAILED", "INTERNAL", None)
    assert shop.adapters.workflow.status(record["id"]) == "FAILED"


def test_storage_unavailable_while_naming_the_missing_receipts_is_retried_not_a_failure(shop, monkeypatch):
    # Seen under injected faults (tests/robustness/test_faults.py): the refusal's read of the missing numbers
    # failed once, and the deletion ended INTERNAL instead of RECEIPTS_NOT_SYNCED.
    principal, device, _token = shop.active_device()
    sync.sync_batch(principal, device, [sale(1, 1)], [], [], state(3))
    record = request(shop, device.id)
    original, faults = shop.adapters.receipts.seqs_of_device, []

    def flaky(merchant_id, pos_number):
        if not faults:
            faults.append(pos_number)
            raise ServiceUnavailable()
        return original(merchant_id, pos_number)

    monkeypatch.setattr(shop.adapters.receipts, "seqs_of_device", flaky)
    assert shop.adapters.workflow.drive(record["id"])[-1] == "RecordRefusal"
    assert faults
    assert shop.slot(device.id).deletion["error"]["code"] == "RECEIPTS_NOT_SYNCED"


def test_a_deletion_whose_workflow_never_started_starts_when_asked_again(shop, monkeypatch):
    """The request's write landed but the function stopped before starting the workflow (or its answer was lost
    between the two, a 503): the deletion shows RUNNING with no execution. Asked again once that request cannot
    still be running, that same deletion starts (instead of 409 DELETION_IN_PROGRESS until the stall check);
    asking once more while it runs is refused as before."""
    _principal, device, _token = shop.active_device()
    workflow = shop.adapters.workflow
    start = workflow.start

    def stopped(name, execution_input):
        raise TimeoutError("the function timed out")

    monkeypatch.setattr(workflow, "start", stopped)
    with pytest.raises(TimeoutError):
        deletion.request_deletion(shop.owner, device.id, True)
    written = shop.slot(device.id).deletion
    assert (written["status"], workflow.status(written["id"])) == ("RUNNING", "MISSING")
    monkeypatch.setattr(workflow, "start", start)
    # While the request that wrote it could still be about to start it: refused as any running deletion.
    later(seconds=deletion.NEVER_STARTED_AFTER_SECONDS)
    with pytest.raises(IllegalTransition) as caught:
        deletion.request_deletion(shop.owner, device.id, False)
    assert (caught.value.code, workflow.executions) == ("DELETION_IN_PROGRESS", {})
    later(seconds=1)

    again = deletion.request_deletion(shop.owner, device.id, False)
    assert (again["id"], again["status"], again["route"], again["force"]) == (written["id"], "RUNNING", "DEACTIVATE",
                                                                            True)
    assert workflow.executions[written["id"]] | {"sync": None} == {
        "merchant_id": shop.merchant_id, "pos_device_id": device.id, "deletion_id": written["id"],
        "route": "DEACTIVATE", "force": True, "wait_seconds": 0, "max_attempts": 2, "sync": None}
    with pytest.raises(IllegalTransition) as caught:
        deletion.request_deletion(shop.owner, device.id, False)
    assert caught.value.code == "DELETION_IN_PROGRESS"
    assert workflow.drive(written["id"]) == ["Deactivate", "Delete"]
    assert (shop.slot(device.id).deletion["status"], shop.event_types(device.id).count(
        "pos_device.deletion_requested")) == ("SUCCEEDED", 1)
