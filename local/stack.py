"""Bootstrap shared by `make run` and the tests: settings, tables, the state machine, the bridge."""
import contextlib
import os
from pathlib import Path

import boto3
from moto import mock_aws

from chalicelib import clock, config
from chalicelib.adapters import models
from local.bridge import LambdaBridge, function_arn

ASL_PATH = Path(__file__).resolve().parent.parent / "chalicelib" / "workflows" / "safe_delete_pos_device.asl.json"
PLACEHOLDER_FUNCTIONS = {
    "CheckOpenTicketsArn": "deletion_check_open_tickets",
    "CheckShiftClosedArn": "deletion_check_shift_closed",
    "VerifyReceiptsSyncedArn": "deletion_verify_receipts_synced",
    "DeactivateArn": "deletion_deactivate",
    "DeleteArn": "deletion_delete",
    "RecordFailureArn": "deletion_record_failure",
}
STATE_MACHINE_NAME = "SafeDeletePosDevice"


def local_environment(endpoint: str | None = None) -> None:
    """Fake credentials and a region, so nothing ever reaches a real AWS account."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        os.environ["DYNAMODB_HOST"] = endpoint
        # The local engine answers a burst of requests one at a time, so a call may wait seconds in its queue:
        # a longer read timeout, and no retry (a retried call would only queue twice and may apply twice).
        # Worst case per call 1 x (1 + 20) s, still inside the 29 s the API has on AWS.
        os.environ.setdefault("DYNAMODB_READ_TIMEOUT_SECONDS", "20")
        os.environ.setdefault("DYNAMODB_MAX_ATTEMPTS", "1")
    config.reload()


def definition(region: str) -> str:
    text = ASL_PATH.read_text()
    for placeholder, function in PLACEHOLDER_FUNCTIONS.items():
        text = text.replace("${" + placeholder + "}", function_arn(function, region))
    return text


def create_state_machine() -> str:
    region = config.settings().region
    client = boto3.client("stepfunctions", region_name=region)
    for machine in client.list_state_machines()["stateMachines"]:
        if machine["name"] == STATE_MACHINE_NAME:
            client.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition(region))
            arn = machine["stateMachineArn"]
            break
    else:
        arn = client.create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition(region),
            roleArn=f"arn:aws:iam::123456789012:role/{STATE_MACHINE_NAME}-role")["stateMachineArn"]
    os.environ["STATE_MACHINE_ARN"] = arn
    config.reload()
    return arn


def bootstrap(chalice_app) -> LambdaBridge:
    """Tables, state machine and bridge, on whatever moto is running (in-process mock or server)."""
    config.reload()
    models.bind()
    models.create_tables()
    create_state_machine()
    return LambdaBridge(chalice_app).register()


@contextlib.contextmanager
def local_aws():
    """A fresh, empty AWS (moto, Step Functions executing) with tables, state machine and Lambda bridge."""
    from app import app as chalice_app

    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            config.reload()
            bridge = bootstrap(chalice_app)
            try:
                yield bridge
            finally:
                bridge.unregister()
    finally:
        clock.set_now(None)
        config.reload()
