"""Starts the safe-deletion state machine (the only Step Functions call the API makes)."""
import json
import logging

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters import aws_clients
from chalicelib.config import settings
from chalicelib.errors import ServiceUnavailable

log = logging.getLogger(__name__)
# The API's budget for the one Step Functions call (StartExecution), like a DynamoDB call's (chalicelib/config.py):
# 3 x (1 + 3) s + under 3 s of backoff = 15 s at worst, inside the API function's 20 s timeout.
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
MAX_ATTEMPTS = 3
_CONFIG = aws_clients.bounded(MAX_ATTEMPTS, CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)


def _client():
    return aws_clients.client("stepfunctions", _CONFIG)


class WorkflowStarter:
    @staticmethod
    def start(name: str, execution_input: dict) -> str:
        arn = settings().state_machine_arn
        if not arn:
            raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.no_workflow")
        try:
            response = _client().start_execution(stateMachineArn=arn, name=name, input=json.dumps(execution_input))
        except (ClientError, BotoCoreError) as exc:
            log.error("could not start the deletion workflow %s: %s", name, exc)
            raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.deletion_not_started") from exc
        return response["executionArn"]

    @staticmethod
    def status(name: str) -> str | None:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; MISSING when there is no such execution (it never
        started); None when it cannot be told right now."""
        arn = settings().state_machine_arn
        if not arn:
            return None
        execution_arn = arn.replace(":stateMachine:", ":execution:", 1) + ":" + name
        try:
            return _client().describe_execution(executionArn=execution_arn)["status"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return "MISSING"
            log.warning("could not describe deletion workflow %s: %s", name, exc)
        except BotoCoreError as exc:
            log.warning("could not describe deletion workflow %s: %s", name, exc)
        return None
