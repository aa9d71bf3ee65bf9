"""A deletion whose workflow died without recording its end is reported FAILED, not RUNNING forever."""
import io
import json
import time
from datetime import timedelta

import boto3
from botocore.awsrequest import AWSResponse

from chalicelib import clock


def _lambda_always_fails(function_suffixes):
    """An AWS-side fault: Lambda answers these functions with a service error, every time."""

    def handler(params, **_):
        path = params["url_path"]
        if any(suffix in path for suffix in function_suffixes):
            body = json.dumps({"errorType": "Lambda.Unknown", "errorMessage": "injected"}).encode()
            return (AWSResponse(url=path, status_code=200, headers={}, raw=None),
                    {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(body)})
        return None

    return handler


def test_dead_workflow_is_reported_failed_after_a_while(client, aws):
    m = client.signup()
    device, _token = m.active_device()
    handler = _lambda_always_fails(["deletion_check_open_tickets", "deletion_record_failure"])
    boto3.DEFAULT_SESSION.events.register_first("before-call.lambda.Invoke", handler, unique_id="fault")
    try:
        status, body = client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)
        assert status == 202, body
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        deadline = time.time() + 30
        while time.time() < deadline:
            executions = sfn.list_executions(stateMachineArn=arn)["executions"]
            if executions and executions[0]["status"] != "RUNNING":
                break
            time.sleep(0.1)
        assert executions[0]["status"] == "FAILED"
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-call.lambda.Invoke", unique_id="fault")

    status, deletion = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token)
    assert (status, deletion["status"]) == (200, "RUNNING")  # too early to call it dead

    clock.set_now(clock.now() + timedelta(minutes=3))
    status, deletion = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token)
    assert status == 200
    assert deletion["status"] == "FAILED"
    assert deletion["error"]["code"] == "INTERNAL"
    status, after = client.get(f"/v1/pos_devices/{device['id']}", token=m.token)
    assert after["status"] == "ACTIVATED"
    assert after["deleted_at"] is None
    # And it can be deleted again.
    status, body = client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)
    assert status == 202, body
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"
