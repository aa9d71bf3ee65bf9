"""Starts the safe-deletion state machine (the only Step Functions call the API makes)."""
import json
import logging
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.config import settings
from chalicelib.errors import ServiceUnavailable

log = logging.getLogger(__name__)
_shared = type("ProcessWide", (), {"client": None, "region": None})()
_lock = threading.Lock()
# The API's budget for the one Step Functions call (StartExecution), like a DynamoDB call's (chalicelib/config.py):
# 3 x (1 + 3) s + under 3 s of backoff = 15 s at worst, inside the API function's 20 s timeout.
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
MAX_ATTEMPTS = 3


def _client():
    """One client per process, shared by all threads (thread-safe once made; making one is the costly part)."""
    cfg = settings()
    with _lock:
        if _shared.client is None or _shared.region != cfg.region:
            _shared.client = boto3.session.Session().client(
                "stepfunctions", region_name=cfg.region,
                config=Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
                              connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS))
            _shared.region = cfg.region
        return _shared.client


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
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; None when it cannot be told right now."""
        arn = settings().state_machine_arn
        if not arn:
            return None
        execution_arn = arn.replace(":stateMachine:", ":execution:", 1) + ":" + name
        try:
            return _client().describe_execution(executionArn=execution_arn)["status"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return "ABORTED"
            log.warning("could not describe deletion workflow %s: %s", name, exc)
        except BotoCoreError as exc:
            log.warning("could not describe deletion workflow %s: %s", name, exc)
        return None
