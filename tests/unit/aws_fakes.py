"""Fakes of the AWS services the use cases call besides storage: Step Functions (the SafeDeletePosDevice workflow),
the audit's Lambda fan-out and Secrets Manager. Storage in the unit tests is the real SQLite adapter on an in-memory database
(`sqlite_adapters`), so no hand-written storage fake can drift from the adapters.

    with wiring.use(sqlite_adapters()) as adapters: ...   # adapters.workflow.drive(deletion_id) runs the workflow
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable

from chalicelib import ports, wiring
from chalicelib.adapters import sqlite
from chalicelib.errors import ServiceUnavailable


def _copy(record):
    return copy.deepcopy(record)


# ---------------------------------------------------------------- AWS services


class FakeWorkflow:
    """Records the executions started (name -> input); `drive(name)` runs the SafeDeletePosDevice state machine's
    route in process by calling the services' step functions, as the Lambda tasks do."""

    def __init__(self):
        self.executions: dict[str, dict] = {}
        self.statuses: dict[str, str] = {}
        self.unavailable = False  # True: starting fails (Step Functions unreachable)

    def start(self, name: str, execution_input: dict) -> str:
        if self.unavailable:
            raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.deletion_not_started")
        self.executions[name] = _copy(execution_input)
        self.statuses[name] = "RUNNING"
        return f"arn:aws:states:us-east-1:123456789012:execution:SafeDeletePosDevice:{name}"

    def status(self, name: str) -> str | None:
        return self.statuses.get(name, "ABORTED")

    def drive(self, name: str, on_wait: Callable[[dict], None] | None = None) -> list[str]:
        """Run the execution's states until it ends; returns the states it went through. `on_wait(state)` is
        called at each WaitForLateSync (a test's late sync goes there)."""
        from chalicelib.services import deletion

        state = _copy(self.executions[name])
        states: list[str] = []

        def task(label: str, step, result_path: str | None = "last_step_result"):
            states.append(label)
            for attempt in range(4):  # the state machine's Retry: TransientError, 3 more attempts
                try:
                    result = deletion.run_step(step, state)
                    break
                except deletion.TransientError:
                    if attempt == 3:
                        raise
            if result_path:
                state[result_path] = result

        try:
            if state["route"] == "CHECKS":
                task("CheckOpenTickets", deletion.step_check_open_tickets)
                task("CheckShiftClosed", deletion.step_check_shift_closed)
                while True:
                    task("VerifyReceiptsSynced", deletion.step_verify_receipts_synced, "sync")
                    if state["sync"]["synced"]:
                        break
                    states.append("WaitForLateSync")
                    if on_wait:
                        on_wait(state)
            if state["route"] in ("CHECKS", "DEACTIVATE"):
                task("Deactivate", deletion.step_deactivate)
            task("Delete", deletion.step_delete)
            self.statuses[name] = "SUCCEEDED"
        except Exception as exc:  # noqa: BLE001 - what the state machine's Catch does
            error_name = type(exc).__name__
            refused = error_name in deletion.ERROR_CODES
            state["error"] = {"Error": error_name,
                              "Cause": json.dumps({"errorMessage": str(exc), "errorType": error_name})}
            task("RecordRefusal" if refused else "RecordFailure", deletion.step_record_failure,
                 "recorded" if refused else "last_step_result")
            self.statuses[name] = "SUCCEEDED" if refused else "FAILED"
        return states


class FakeFanout:
    """Runs an audit shard in process (what the `audit_shard` function does); `failing` shards raise ShardFailed."""

    def __init__(self):
        self.failing: set[str] = set()
        self.invoked: list[str] = []
        self.started_runs: list[dict] = []

    def invoke(self, shard: str) -> dict:
        from chalicelib.services import audit

        self.invoked.append(shard)
        if shard in self.failing:
            raise ports.ShardFailed(f"RuntimeError: shard {shard} made to fail")
        try:
            return audit.run_shard(shard)
        except Exception as exc:
            raise ports.ShardFailed(f"{type(exc).__name__}: {exc}") from exc


    def start_run(self, event: dict) -> None:
        """Runs the merchant's audit run in process, before answering (what `audit_merchant` does, later)."""
        from chalicelib.services import audit

        self.started_runs.append(event)
        audit.run_merchant_job(event)


class FakeSecrets:
    """Secrets Manager in memory: `values` by secret id; a missing one is unavailable (503), as a failed read."""

    def __init__(self):
        self.values: dict[str, str] = {}
        self.reads: list[str] = []

    def secret_value(self, secret_id: str) -> str:
        self.reads.append(secret_id)
        if secret_id not in self.values:
            raise ServiceUnavailable()
        return self.values[secret_id]


def sqlite_adapters() -> wiring.Adapters:
    """The storage ports on a fresh in-memory SQLite database, with the fakes of the AWS services."""
    return wiring.Adapters(**sqlite.repositories(sqlite.Database(sqlite.MEMORY)), workflow=FakeWorkflow(),
                           fanout=FakeFanout(), secrets=FakeSecrets())
