"""The one registry of SafeDeletePosDevice's tasks (chalicelib/workflows/steps.py) and everyone who reads it.

The ASL is written by hand: its Task states and the registry must agree both ways, each route's happy path
through the ASL must run the steps the API announces as its `plan`, and the app must expose one Lambda handler
per task under the name `chalice package` points its Handler at.
"""
import json
from pathlib import Path

import pytest

import app
from chalicelib.domain.deletion import PLAN, Route, Step
from chalicelib.services import deletion
from chalicelib.workflows import asl, steps, tasks
from local import stack

ROOT = Path(__file__).resolve().parents[2]
ASL = json.loads((ROOT / "chalicelib" / "workflows" / "safe_delete_pos_device.asl.json").read_text())


def task_states() -> dict[str, str]:
    """ASL Task state -> the placeholder of its Resource."""
    found = {}
    for name, state in ASL["States"].items():
        if state["Type"] == "Task":
            resource = state["Resource"]
            assert resource.startswith("${"), (name, resource)
            assert resource.endswith("}"), (name, resource)
            found[name] = resource[2:-1]
    return found


def test_every_task_state_calls_a_registered_task_and_every_task_is_called():
    states = task_states()
    assert states == {state: task.placeholder for task in steps.TASKS for state in task.states}
    assert set(states.values()) == set(steps.PLACEHOLDER_FUNCTIONS)


def test_the_asl_files_retry_and_catch_blocks_are_the_ones_the_registry_writes():
    text = asl.ASL_PATH.read_text(encoding="utf-8")
    assert text == asl.dumps(asl.generated(ASL)), "run: python -m chalicelib.workflows.asl"
    # Written from the registry, not echoed: without any Retry/Catch the generator gives back the same file.
    bare = {**ASL, "States": {name: {k: v for k, v in state.items() if k not in ("Retry", "Catch")}
                              for name, state in ASL["States"].items()}}
    assert asl.dumps(asl.generated(bare)) == text
    assert asl.main(["--check"]) == 0


def test_the_generator_check_fails_on_a_hand_edited_retry(tmp_path):
    edited = json.loads(json.dumps(ASL))
    edited["States"]["Delete"]["Retry"][0]["MaxAttempts"] = 5
    path = tmp_path / "edited.asl.json"
    path.write_text(asl.dumps(edited), encoding="utf-8")
    assert asl.main(["--check", "--path", str(path)]) == 1
    assert asl.main(["--path", str(path)]) == 0
    assert json.loads(path.read_text(encoding="utf-8")) == ASL


def test_the_registrys_refusals_are_the_services_business_errors():
    assert set(steps.REFUSALS) == set(deletion.ERROR_CODES)
    assert "TransientError" in steps.TRANSIENT_ERRORS
    assert deletion.TransientError.__name__ == "TransientError"


def test_the_registry_has_no_duplicates():
    for field in ("name", "service", "function", "placeholder", "step"):
        values = [getattr(task, field) for task in steps.TASKS]
        assert len(values) == len(set(values)), field


def test_app_registers_one_lambda_per_task_reachable_by_its_packaged_handler():
    functions = {f.name: f for f in app.app.pure_lambda_functions}
    assert set(functions) == {task.function for task in steps.TASKS} | {"audit_shard", "audit_merchant"}
    for task in steps.TASKS:
        module, attribute = functions[task.function].handler_string.split(".")
        assert (module, attribute) == ("app", task.function)
        # The Lambda runtime imports app and calls app.<function>(event, context).
        assert app.app.handler_map[task.function] is getattr(app, attribute)


def test_each_task_runs_its_service_function():
    assert tasks.STEPS == {task.name: getattr(deletion, task.service) for task in steps.TASKS}
    assert all(callable(function) for function in tasks.STEPS.values())


def test_the_local_state_machine_has_every_placeholder_filled():
    text = stack.definition("us-east-1")
    assert "${" not in text
    for task in steps.TASKS:
        assert text.count(f":function:pos-backoffice-dev-{task.function}\"") == len(task.states), task


def happy_path(route: Route) -> list[str]:
    """The Task states an execution of `route` runs when every check passes at once."""
    execution_input = {"route": route.value, "sync": {"synced": True}}
    ran, name = [], ASL["StartAt"]
    while True:
        state = ASL["States"][name]
        if state["Type"] == "Succeed":
            return ran
        if state["Type"] == "Choice":
            name = next((choice["Next"] for choice in state["Choices"] if _matches(choice, execution_input)),
                        state["Default"])
            continue
        assert state["Type"] == "Task", (name, state["Type"])
        ran.append(name)
        name = state["Next"]


def _matches(choice: dict, data: dict) -> bool:
    value = data
    for part in choice["Variable"].removeprefix("$.").split("."):
        value = value[part]
    if "StringEquals" in choice:
        return value == choice["StringEquals"]
    return value is choice["BooleanEquals"]


@pytest.mark.parametrize("route", list(Route))
def test_each_routes_path_through_the_asl_records_its_plan(route):
    recorded = [steps.BY_STATE[state].step for state in happy_path(route)]
    assert recorded == list(PLAN[route])
    assert recorded[-1] == Step.DELETED
