"""The one table of SafeDeletePosDevice's Lambda tasks, read by everyone who names them.

Per task: its name in `tasks.run`, the service function it runs (in chalicelib/services/deletion.py), the
Chalice `@app.lambda_function` name (app.py registers one per row), the ASL placeholder of its ARN
(`${...Arn}`, filled by DefinitionSubstitutions: infra/build_template.py on AWS, local/stack.py locally),
the ASL Task states that call it, and the deletion step it records (chalicelib/domain/deletion.py). Also the
one retry policy and the refusals every Task state shares: chalicelib/workflows/asl.py writes the ASL's
Retry/Catch blocks from them.

Pure data (no imports beyond the domain): infra/build_template.py reads it without the app's dependencies.
tests/infra/test_workflow_registry.py checks the ASL, app.py, infra/functions.yml and the plans against it.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.deletion import Step


@dataclass(frozen=True)
class Task:
    name: str                 # tasks.run(name, event)
    service: str              # the function of chalicelib.services.deletion it runs
    function: str             # the Chalice @app.lambda_function name (the Lambda is <stack>-<function>)
    placeholder: str          # ${placeholder} in the ASL's Resource
    states: tuple[str, ...]   # the ASL Task states whose Resource it is
    step: Step                # the step it records on the device's deletion

    @property
    def logical_id(self) -> str:
        """Chalice's CloudFormation logical id of the function (deletion_delete -> DeletionDelete)."""
        return "".join(part.capitalize() for part in self.function.split("_"))


TASKS: tuple[Task, ...] = (
    Task("check_open_tickets", "step_check_open_tickets", "deletion_check_open_tickets", "CheckOpenTicketsArn",
         ("CheckOpenTickets",), Step.CHECK_OPEN_TICKETS),
    Task("check_shift_closed", "step_check_shift_closed", "deletion_check_shift_closed", "CheckShiftClosedArn",
         ("CheckShiftClosed",), Step.CHECK_SHIFT_CLOSED),
    Task("verify_receipts_synced", "step_verify_receipts_synced", "deletion_verify_receipts_synced",
         "VerifyReceiptsSyncedArn", ("VerifyReceiptsSynced",), Step.VERIFY_RECEIPTS_SYNCED),
    Task("deactivate", "step_deactivate", "deletion_deactivate", "DeactivateArn", ("Deactivate",), Step.DEACTIVATE),
    Task("delete", "step_delete", "deletion_delete", "DeleteArn", ("Delete",), Step.DELETED),
    # A refusal and a fault are recorded by the same function, from two states (the refusal ends in Succeed).
    Task("record_failure", "step_record_failure", "deletion_record_failure", "RecordFailureArn",
         ("RecordFailure", "RecordRefusal"), Step.FAILED),
)

# What every Task state retries with backoff: services.deletion.TransientError (storage briefly unavailable)
# and the Lambda service's own faults. Business refusals and States.ALL are never retried.
TRANSIENT_ERRORS: tuple[str, ...] = (
    "TransientError", "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException", "Lambda.ClientExecutionTimeoutException")
RETRY_INTERVAL_SECONDS = 1
RETRY_MAX_ATTEMPTS = 3      # retries after the first try: 4 tries in all
RETRY_BACKOFF_RATE = 2
# The business refusals (the names of services.deletion.DeletionBlocked's subclasses): a check state catches
# them into RecordRefusal, which ends in the Succeed state DeletionRefused.
REFUSALS: tuple[str, ...] = ("OpenTickets", "ShiftOpen", "ReceiptsNotSynced")

BY_NAME = {task.name: task for task in TASKS}
BY_FUNCTION = {task.function: task for task in TASKS}
BY_STATE = {state: task for task in TASKS for state in task.states}
# ${placeholder} -> Chalice function name: what the state machine's DefinitionSubstitutions point at.
PLACEHOLDER_FUNCTIONS = {task.placeholder: task.function for task in TASKS}
# The deletion's check tasks (skipped by a forced deletion and for a slot that is not activated).
CHECK_FUNCTIONS = frozenset(task.function for task in TASKS
                            if task.step in (Step.CHECK_OPEN_TICKETS, Step.CHECK_SHIFT_CLOSED,
                                             Step.VERIFY_RECEIPTS_SYNCED))
