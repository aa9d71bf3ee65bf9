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
_local = threading.local()


def _client():
    cfg = settings()
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "region", None) != cfg.region:
        client = boto3.session.Session().client(
            "stepfunctions", region_name=cfg.region, config=Config(retries={"mode": "standard", "max_attempts": 4}))
        _local.client, _local.region = client, cfg.region
    return client


class WorkflowStarter:
    @staticmethod
    def start(name: str, execution_input: dict) -> str:
        arn = settings().state_machine_arn
        if not arn:
            raise ServiceUnavailable("Deletion is not configured (STATE_MACHINE_ARN is not set).")
        try:
            response = _client().start_execution(stateMachineArn=arn, name=name, input=json.dumps(execution_input))
        except (ClientError, BotoCoreError) as exc:
            log.error("could not start the deletion workflow %s: %s", name, exc)
            raise ServiceUnavailable("The deletion could not be started; try again.") from exc
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
