"""The safe deletion of a POS as the domain sees it: its routes, its steps and its record.

The one registry of the workflow's step names: the workflow (`chalicelib/workflows/`) records them on the
device's `deletion` (`step`, `steps[].step`), the API returns them with the route's `plan`, and the SPA reads
them from there. Pure Python: no AWS imports. See docs/CONTRACT.md ("Safe-deletion workflow").
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum


class DeletionStatus(str, Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class Route(str, Enum):
    """Which steps a deletion runs: the state machine's ChooseRoute branches on it."""
    CHECKS = "CHECKS"          # an ACTIVATED slot (or one with an open final-sync window): every check first
    DEACTIVATE = "DEACTIVATE"  # force=true on an ACTIVATED slot: the checks are skipped
    DELETE = "DELETE"          # a slot that is not ACTIVATED: deleted at once


class Step(str, Enum):
    """The names recorded in `deletion.step` and `deletion.steps[].step`."""
    STARTED = "Started"
    CHECK_OPEN_TICKETS = "CheckOpenTickets"
    CHECK_SHIFT_CLOSED = "CheckShiftClosed"
    VERIFY_RECEIPTS_SYNCED = "VerifyReceiptsSynced"
    DEACTIVATE = "Deactivate"
    DELETED = "Deleted"
    # Endings of a deletion that did not succeed.
    FAILED = "Failed"            # a step failed or refused (the error's code says which)
    NOT_STARTED = "NotStarted"   # the workflow could not be started
    STOPPED = "Stopped"          # the execution ended without recording its end


# Per route, the ordered progress steps after Started (the ASL's Task states in the order they run).
PLAN: dict[Route, tuple[Step, ...]] = {
    Route.CHECKS: (Step.CHECK_OPEN_TICKETS, Step.CHECK_SHIFT_CLOSED, Step.VERIFY_RECEIPTS_SYNCED,
                   Step.DEACTIVATE, Step.DELETED),
    Route.DEACTIVATE: (Step.DEACTIVATE, Step.DELETED),
    Route.DELETE: (Step.DELETED,),
}

ENDINGS = (Step.DELETED, Step.FAILED, Step.NOT_STARTED, Step.STOPPED)


def choose_route(activated: bool, final_sync_open: bool, force: bool) -> Route:
    """An ACTIVATED slot is checked unless forced; an open final-sync window is checked like an activated slot
    (its missing receipts count as unsynced) and a forced deletion of an unactivated slot has nothing to skip."""
    if not (activated or final_sync_open):
        return Route.DELETE
    if force:
        return Route.DEACTIVATE if activated else Route.DELETE
    return Route.CHECKS


def plan_of(route: Route) -> list[str]:
    """The step names a deletion of this route runs, in order (what the API shows as `plan`)."""
    return [step.value for step in PLAN[route]]


@dataclass(frozen=True)
class StepRecord:
    step: Step
    at: str
    # A catalog message `{key, params}` (rendered in the reader's language), or nothing.
    message: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"step": self.step.value, "at": self.at, **self.message}

    @classmethod
    def from_dict(cls, data: dict) -> StepRecord:
        return cls(step=Step(data["step"]), at=data.get("at"),
                   message={k: v for k, v in data.items() if k not in ("step", "at")})


@dataclass(frozen=True)
class Deletion:
    """The record of one deletion, stored as `deletion` on the device item (see to_dict/from_dict)."""
    id: str
    route: Route
    force: bool
    started_at: str
    status: DeletionStatus = DeletionStatus.RUNNING
    step: Step = Step.STARTED
    steps: tuple[StepRecord, ...] = ()
    # `{code, key, params}`: the code is OPEN_TICKETS, SHIFT_OPEN, RECEIPTS_NOT_SYNCED or INTERNAL.
    error: dict | None = None
    finished_at: str | None = None

    @classmethod
    def start(cls, deletion_id: str, route: Route, force: bool, at: str, message: dict) -> Deletion:
        return cls(id=deletion_id, route=route, force=force, started_at=at,
                   steps=(StepRecord(Step.STARTED, at, message),))

    @property
    def running(self) -> bool:
        return self.status == DeletionStatus.RUNNING

    @property
    def plan(self) -> list[str]:
        return plan_of(self.route)

    def with_step(self, step: Step, at: str, message: dict | None = None) -> Deletion:
        """The deletion having reached `step` (still running)."""
        return replace(self, step=step, steps=self.steps + (StepRecord(step, at, dict(message or {})),))

    def finished(self, status: DeletionStatus, step: Step, at: str, error: dict | None = None,
                 message: dict | None = None) -> Deletion:
        """The deletion ended with `status` at `step`; a failure's step shows its error's sentence."""
        if message is None:
            message = {k: v for k, v in (error or {}).items() if k != "code"}
        return replace(self.with_step(step, at, message), status=status, error=error, finished_at=at)

    def to_dict(self) -> dict:
        return {"id": self.id, "status": self.status.value, "step": self.step.value, "force": self.force,
                "route": self.route.value, "steps": [s.to_dict() for s in self.steps], "error": self.error,
                "started_at": self.started_at, "finished_at": self.finished_at}

    @classmethod
    def from_dict(cls, data: dict) -> Deletion:
        steps = tuple(StepRecord.from_dict(s) for s in data.get("steps") or ())
        force = bool(data.get("force"))
        route = data.get("route")
        return cls(id=data["id"], route=Route(route) if route else _route_from_steps(steps), force=force,
                   started_at=data["started_at"], status=DeletionStatus(data["status"]),
                   step=Step(data.get("step") or Step.STARTED.value), steps=steps, error=data.get("error"),
                   finished_at=data.get("finished_at"))


def _route_from_steps(steps: tuple[StepRecord, ...]) -> Route:
    """A record without its route (none is known to exist; a guard for hand-made data): the steps it ran say."""
    ran = {s.step for s in steps}
    if ran & {Step.CHECK_OPEN_TICKETS, Step.CHECK_SHIFT_CLOSED, Step.VERIFY_RECEIPTS_SYNCED}:
        return Route.CHECKS
    return Route.DEACTIVATE if Step.DEACTIVATE in ran else Route.DELETE
