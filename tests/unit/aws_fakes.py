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
from chalicelib.workflows import asl, steps


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
        return self.statuses.get(name, "MISSING")

    def drive(self, name: str, on_wait: Callable[[dict], None] | None = None) -> list[str]:
        """Run the execution through the ASL's own states (chalicelib/workflows/safe_delete_pos_device.asl.json:
        Choice, Task with its Retry and Catch, Wait, Succeed, Fail) until it ends; returns the Task and Wait states
        it went through. A Task calls the services' step function the registry names for it, as its Lambda does.
        `on_wait(state)` is called at each Wait state (a test's late sync goes there)."""
        from chalicelib.services import deletion

        definition = asl.load()
        data = _copy(self.executions[name])
        visited: list[str] = []
        current = definition["StartAt"]
        while True:
            state = definition["States"][current]
            kind = state["Type"]
            if kind == "Succeed":
                self.statuses[name] = "SUCCEEDED"
                return visited
            if kind == "Fail":
                self.statuses[name] = "FAILED"
                return visited
            if kind == "Choice":
                current = next((choice["Next"] for choice in state["Choices"] if _chosen(choice, data)),
                               state["Default"])
                continue
            visited.append(current)
            if kind == "Wait":
                if on_wait:
                    on_wait(data)
                current = state["Next"]
                continue
            assert kind == "Task", (current, kind)
            step = getattr(deletion, steps.BY_STATE[current].service)
            try:
                result = _with_retries(state.get("Retry", []), deletion.run_step, step, data)
            except Exception as exc:  # noqa: BLE001 - what the state's Catch does
                error = type(exc).__name__
                catcher = next(c for c in state.get("Catch", []) if _matches(c["ErrorEquals"], error))
                _put(data, catcher["ResultPath"], {
                    "Error": error, "Cause": json.dumps({"errorMessage": str(exc), "errorType": error})})
                current = catcher["Next"]
                continue
            _put(data, state["ResultPath"], result)
            current = state["Next"]


def _matches(error_equals: list[str], error: str) -> bool:
    return error in error_equals or "States.ALL" in error_equals


def _with_retries(retriers: list[dict], call: Callable, *args):
    """A Task's Retry: an error a retrier names is tried again, MaxAttempts times at most (no waiting here)."""
    attempts: dict[int, int] = {}
    while True:
        try:
            return call(*args)
        except Exception as exc:
            index = next((i for i, r in enumerate(retriers) if _matches(r["ErrorEquals"], type(exc).__name__)), None)
            if index is None or attempts.get(index, 0) >= retriers[index].get("MaxAttempts", 3):
                raise
            attempts[index] = attempts.get(index, 0) + 1


def _path(path: str) -> list[str]:
    assert path.startswith("$."), path
    return path[2:].split(".")


def _chosen(choice: dict, data: dict) -> bool:
    value = data
    for part in _path(choice["Variable"]):
        value = value[part]
    if "StringEquals" in choice:
        return value == choice["StringEquals"]
    if "BooleanEquals" in choice:
        return value is choice["BooleanEquals"]
    raise AssertionError(f"FakeWorkflow does not know this Choice rule: {choice}")


def _put(data: dict, path: str, value) -> None:
    *parents, last = _path(path)
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


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


class NoMailer:
    """No sender configured: as `make run` without INVITATION_SENDER."""

    @staticmethod
    def sender():
        return None

    @staticmethod
    def send(to: str, subject: str, text: str) -> None:
        raise AssertionError("nothing is sent without a sender")


def sqlite_adapters() -> wiring.Adapters:
    """The storage ports on a fresh in-memory SQLite database, with the fakes of the AWS services."""
    return wiring.Adapters(**sqlite.repositories(sqlite.Database(sqlite.MEMORY)), workflow=FakeWorkflow(),
                           fanout=FakeFanout(), secrets=FakeSecrets(), mailer=NoMailer())
