"""The Retry/Catch blocks of SafeDeletePosDevice's Task states, written from the registry (workflows/steps.py).

safe_delete_pos_device.asl.json is the one definition of the workflow's states and transitions (infra/template.yml
inlines it, local/stack.py loads it into moto, tests/unit/aws_fakes.py's FakeWorkflow follows it). Its Task
states' Retry and Catch blocks are not written by hand: every Task retries the same transient errors with the
same backoff, a check catches the business refusals into RecordRefusal, any other failure goes to
RecordFailure, and a failure to record goes to DeletionFailed. After changing the registry or the ASL, run

    python -m chalicelib.workflows.asl          # rewrites the file's Retry/Catch blocks
    python -m chalicelib.workflows.asl --check  # exits 1 if the file differs (tests/infra checks the same)

Pure data (standard library + the registry): infra/build_template.py's environment can run it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chalicelib.domain.deletion import Step
from chalicelib.workflows import steps

ASL_PATH = Path(__file__).resolve().parent / "safe_delete_pos_device.asl.json"
RECORD_FAILURE = "RecordFailure"
RECORD_REFUSAL = "RecordRefusal"
DELETION_FAILED = "DeletionFailed"
# A compact JSON object or list at least this deep is written on one line when it is this short.
_INLINE_DEPTH = 4
_INLINE_WIDTH = 120


def retry() -> list[dict]:
    return [{"ErrorEquals": list(steps.TRANSIENT_ERRORS), "IntervalSeconds": steps.RETRY_INTERVAL_SECONDS,
             "MaxAttempts": steps.RETRY_MAX_ATTEMPTS, "BackoffRate": steps.RETRY_BACKOFF_RATE}]


def catch(state: str) -> list[dict]:
    """Where a failure of Task `state` goes: a refusal of a check to RecordRefusal, anything else to RecordFailure;
    a failure of the recording itself ends the execution in DeletionFailed."""
    task = steps.BY_STATE[state]
    if task.step == Step.FAILED:
        return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.record_failure_error", "Next": DELETION_FAILED}]
    refusals = []
    if task.function in steps.CHECK_FUNCTIONS:
        refusals = [{"ErrorEquals": list(steps.REFUSALS), "ResultPath": "$.error", "Next": RECORD_REFUSAL}]
    return refusals + [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": RECORD_FAILURE}]


def generated(definition: dict) -> dict:
    """`definition` with every Task state's Retry and Catch written from the registry (placed before its Next,
    every other key kept where it is)."""
    states = {}
    for name, state in definition["States"].items():
        if state.get("Type") == "Task":
            kept = {key: value for key, value in state.items() if key not in ("Retry", "Catch", "Next", "End")}
            ending = {key: state[key] for key in ("Next", "End") if key in state}
            state = {**kept, "Retry": retry(), "Catch": catch(name), **ending}
        states[name] = state
    return {**definition, "States": states}


def dumps(definition: dict) -> str:
    """The file's layout: one key per line, except short lists and objects deep inside a state (a choice, a
    catcher, a list of error names), which stay on one line."""
    return _dump(definition, 0) + "\n"


def _dump(value, depth: int) -> str:
    compact = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value:
        return compact
    if isinstance(value, list) and not any(isinstance(item, (dict, list)) for item in value):
        return compact
    if depth >= _INLINE_DEPTH and len(compact) <= _INLINE_WIDTH:
        return compact
    pad = "  " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(key)}: {_dump(item, depth + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    items = [f"{pad}{_dump(item, depth + 1)}" for item in value]
    return "[\n" + ",\n".join(items) + "\n" + "  " * depth + "]"


def load(path: Path = ASL_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not as generated")
    parser.add_argument("--path", type=Path, default=ASL_PATH)
    args = parser.parse_args(argv)
    current = args.path.read_text(encoding="utf-8")
    wanted = dumps(generated(json.loads(current)))
    if current == wanted:
        return 0
    if args.check:
        print(f"{args.path}: Retry/Catch not as generated; run python -m chalicelib.workflows.asl", file=sys.stderr)
        return 1
    args.path.write_text(wanted, encoding="utf-8")
    print(f"rewrote {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
