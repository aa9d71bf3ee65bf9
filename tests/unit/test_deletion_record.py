"""The deletion record as a domain object (chalicelib/domain/deletion.py): its steps, its ending, its storage."""
import pytest

from chalicelib.domain.deletion import (
    PLAN, Deletion, DeletionStatus, Route, Step, StepRecord, choose_route, plan_of,
)

T0, T1, T2 = "2026-11-24T10:00:00Z", "2026-11-24T10:00:01Z", "2026-11-24T10:00:02Z"
ROUTE_TEXT = {"key": "deletion.route.CHECKS", "params": {}}


def started(route=Route.CHECKS, force=False) -> Deletion:
    return Deletion.start("d1", route, force, T0, ROUTE_TEXT)


@pytest.mark.parametrize("activated, final_sync_open, force, route", [
    (True, False, False, Route.CHECKS),
    (True, False, True, Route.DEACTIVATE),
    (False, False, False, Route.DELETE),
    (False, False, True, Route.DELETE),       # nothing to skip on a slot that is not activated
    (False, True, False, Route.CHECKS),       # an open final-sync window is checked like an activated slot
    (False, True, True, Route.DELETE),        # forced: nothing to deactivate, the window closes with the slot
    (True, True, True, Route.DEACTIVATE),
])
def test_the_route_follows_the_slot_and_force(activated, final_sync_open, force, route):
    assert choose_route(activated, final_sync_open, force) == route


def test_every_route_ends_with_deleted_and_checks_run_before_deactivate():
    assert plan_of(Route.CHECKS) == ["CheckOpenTickets", "CheckShiftClosed", "VerifyReceiptsSynced",
                                     "Deactivate", "Deleted"]
    assert plan_of(Route.DEACTIVATE) == ["Deactivate", "Deleted"]
    assert plan_of(Route.DELETE) == ["Deleted"]
    assert set(PLAN) == set(Route)
    assert not {Step.STARTED, Step.FAILED, Step.NOT_STARTED, Step.STOPPED} & {s for p in PLAN.values() for s in p}


def test_a_started_deletion_runs_at_its_first_step():
    record = started()
    assert (record.status, record.step, record.error, record.finished_at) == \
        (DeletionStatus.RUNNING, Step.STARTED, None, None)
    assert record.running
    assert record.plan == plan_of(Route.CHECKS)
    assert record.steps == (StepRecord(Step.STARTED, T0, ROUTE_TEXT),)


def test_with_step_appends_and_moves_the_current_step_without_touching_the_original():
    record = started()
    waiting = {"key": "deletion.step.waiting", "params": {"count": 2, "wait": 1, "waits": 3}}
    after = record.with_step(Step.CHECK_OPEN_TICKETS, T1).with_step(Step.VERIFY_RECEIPTS_SYNCED, T2, waiting)
    assert after.step == Step.VERIFY_RECEIPTS_SYNCED
    assert after.running
    assert [s.step for s in after.steps] == [Step.STARTED, Step.CHECK_OPEN_TICKETS, Step.VERIFY_RECEIPTS_SYNCED]
    assert (after.steps[-1].message, after.steps[1].message) == (waiting, {})
    assert record.steps == (StepRecord(Step.STARTED, T0, ROUTE_TEXT),)  # frozen: nothing changed in place


def test_a_failure_records_its_error_and_shows_its_sentence_as_the_last_step():
    error = {"code": "SHIFT_OPEN", "key": "deletion.error.SHIFT_OPEN", "params": {"name": "Till 1"}}
    record = started().with_step(Step.CHECK_SHIFT_CLOSED, T1).finished(DeletionStatus.FAILED, Step.FAILED, T2, error)
    assert (record.status, record.step, record.error, record.finished_at) == \
        (DeletionStatus.FAILED, Step.FAILED, error, T2)
    assert not record.running
    assert record.steps[-1] == StepRecord(Step.FAILED, T2, {"key": "deletion.error.SHIFT_OPEN",
                                                            "params": {"name": "Till 1"}})


def test_a_success_ends_at_deleted_with_its_own_sentence():
    deleted = {"key": "deletion.step.deleted", "params": {}}
    record = started(Route.DELETE).finished(DeletionStatus.SUCCEEDED, Step.DELETED, T1, message=deleted)
    assert (record.status, record.step, record.error) == (DeletionStatus.SUCCEEDED, Step.DELETED, None)
    assert record.steps[-1] == StepRecord(Step.DELETED, T1, deleted)


def test_the_stored_form_is_the_one_the_device_item_always_had():
    record = started(Route.DEACTIVATE, force=True).with_step(Step.DEACTIVATE, T1, {"key": "k", "params": {}})
    assert record.to_dict() == {
        "id": "d1", "status": "RUNNING", "step": "Deactivate", "force": True, "route": "DEACTIVATE",
        "steps": [{"step": "Started", "at": T0, **ROUTE_TEXT}, {"step": "Deactivate", "at": T1, "key": "k",
                                                                "params": {}}],
        "error": None, "started_at": T0, "finished_at": None}
    assert Deletion.from_dict(record.to_dict()) == record


def test_an_old_record_with_english_sentences_still_loads_and_stores_back_unchanged():
    stored = {"id": "d1", "status": "FAILED", "step": "Failed", "force": False, "route": "CHECKS",
              "started_at": T0, "finished_at": T1,
              "steps": [{"step": "Started", "at": T0, "details": "Old sentence."},
                        {"step": "Failed", "at": T1, "details": "Close the shift (old record)."}],
              "error": {"code": "SHIFT_OPEN", "details": "Close the shift (old record)."}}
    record = Deletion.from_dict(stored)
    assert (record.status, record.step, record.route) == (DeletionStatus.FAILED, Step.FAILED, Route.CHECKS)
    assert record.steps[0].message == {"details": "Old sentence."}
    assert record.to_dict() == stored


@pytest.mark.parametrize("steps, route", [
    (["Started", "CheckOpenTickets"], Route.CHECKS),
    (["Started", "Deactivate", "Deleted"], Route.DEACTIVATE),
    (["Started", "Deleted"], Route.DELETE),
])
def test_a_record_without_its_route_is_given_the_one_its_steps_ran(steps, route):
    stored = {"id": "d1", "status": "RUNNING", "step": steps[-1], "force": False, "started_at": T0,
              "steps": [{"step": s, "at": T0} for s in steps]}
    assert Deletion.from_dict(stored).route == route
