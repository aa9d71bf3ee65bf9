"""Safe deletion of a POS (issue 4), end to end: DELETE /v1/pos_devices/{id}, then the real
SafeDeletePosDevice execution in moto's Step Functions interpreter, polled through
GET /v1/pos_devices/{id}/deletion.

Only AWS is faked. Faults are injected at the AWS boundary: a `before-call.lambda.Invoke` handler placed
ahead of the Lambda bridge answers chosen invocations with a Lambda fault (as the Lambda service would),
and a wrapper around botocore's `BaseClient._make_api_call` (the one method every botocore client, PynamoDB's
included, sends its operations through) answers chosen DynamoDB writes with a throttling error.
"""
import io
import json
import threading
import time
from collections import Counter
from urllib.parse import unquote

import boto3
import botocore.client
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from chalicelib import config
from chalicelib.workflows.steps import CHECK_FUNCTIONS
from tests.conftest import receipt



# ---------------------------------------------------------------- AWS-boundary hooks


def _invoked_function(params) -> str:
    """The Chalice function name of a serialized Lambda Invoke request (the name is in the URL)."""
    path = unquote(params["url_path"])
    arn = path.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    return arn.rsplit(":function:", 1)[-1].split(":")[0].removeprefix("pos-backoffice-dev-")


class LambdaService:
    """A `before-call.lambda.Invoke` handler registered ahead of the bridge.

    It sees every invocation the state machine makes (`invocations`), remembers which task runs on each
    thread (`running()`), may run a callback before an invocation, and answers the first `fail_times`
    invocations of `fail_function` with a FunctionError of `error_type`, so the bridge never runs them (with
    `run_first`, the function runs and then the fault is reported: work done, response lost)."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.invocations: Counter = Counter()
        self.fail_function: str | None = None
        self.fail_times = 0
        self.error_type = "Lambda.ServiceException"
        self.run_first = False  # run the function, then answer with the fault (its response was lost)
        self.before = None  # callback(function_name, nth_invocation)
        self._thread = threading.local()

    def fail(self, function: str | None, times: int, error_type: str = "Lambda.ServiceException",
             run_first: bool = False) -> "LambdaService":
        self.fail_function, self.fail_times, self.error_type = function, times, error_type
        self.run_first = run_first
        return self

    def running(self) -> str | None:
        return getattr(self._thread, "function", None)

    def __call__(self, params, **_kwargs):
        name = _invoked_function(params)
        self.invocations[name] += 1
        self._thread.function = name
        if self.before:
            self.before(name, self.invocations[name])
        if name == self.fail_function and self.invocations[name] <= self.fail_times:
            if self.run_first:
                self.bridge.invoke(name, json.loads(params["body"]))
            body = json.dumps({"errorType": self.error_type,
                               "errorMessage": f"injected fault {self.invocations[name]} of {self.fail_times}"})
            return AWSResponse(url=params["url_path"], status_code=200, headers={}, raw=None), {
                "StatusCode": 200, "FunctionError": "Unhandled", "ExecutedVersion": "$LATEST",
                "Payload": io.BytesIO(body.encode())}
        return None  # let the bridge run the real function


@pytest.fixture
def lambda_service(aws):
    service = LambdaService(aws)
    events = boto3.DEFAULT_SESSION.events
    events.register_first("before-call.lambda.Invoke", service, unique_id="test-lambda-service")
    yield service
    service.before = None
    events.unregister("before-call.lambda.Invoke", unique_id="test-lambda-service")


def executions(device_id=None):
    """(execution, history events) of every SafeDeletePosDevice execution, oldest first."""
    sfn = boto3.client("stepfunctions", region_name=config.settings().region)
    found = sfn.list_executions(stateMachineArn=config.settings().state_machine_arn)["executions"]
    result = []
    for execution in sorted(found, key=lambda e: e["startDate"]):
        history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
        if device_id is None or device_id in json.dumps(history[0].get("executionStartedEventDetails", {})):
            result.append((sfn.describe_execution(executionArn=execution["executionArn"]), history))
    return result


def finished_execution(device_id, timeout=30):
    """The device's only execution once it has stopped (a task may still run after the deletion is written)."""
    deadline = time.time() + timeout
    while True:
        [(execution, history)] = executions(device_id)
        if execution["status"] != "RUNNING":
            return execution, history
        assert time.time() < deadline, execution
        time.sleep(0.05)


def scheduled(history, function) -> int:
    """How many times the execution scheduled `function` (attempts, retries included)."""
    return sum(1 for e in history if e["type"] == "LambdaFunctionScheduled"
               and e["lambdaFunctionScheduledEventDetails"]["resource"].endswith(f"-{function}"))


# ---------------------------------------------------------------- helpers


def sync(client, token, last=0, open_tickets=0, shift_open=False, receipts=(), shifts=()):
    status, body = client.post("/v1/pos/sync", {
        "state": {"last_receipt_number": last, "open_tickets": open_tickets, "shift_open": shift_open},
        "receipts": list(receipts), "shifts": list(shifts)}, token=token)
    assert status == 200, body
    assert not body["rejected"], body
    return body


def delete(client, m, device_id, expect=202, query="", token=None):
    status, body = client.delete(f"/v1/pos_devices/{device_id}{query}", token=token or m.token)
    assert status == expect, body
    return body


def called(bridge) -> list[str]:
    return [name for name, _event in bridge.calls]


def device_of(client, m, device_id):
    status, body = client.get(f"/v1/pos_devices/{device_id}", token=m.token)
    assert status == 200, body
    return body


def listed_ids(client, m, query=""):
    status, body = client.get(f"/v1/pos_devices{query}", token=m.token)
    assert status == 200, body
    return {d["id"] for d in body["pos_devices"]}


def events_of(client, m, device_id):
    status, body = client.get(f"/v1/events?pos_device_id={device_id}&limit=250", token=m.token)
    assert status == 200, body
    return body["events"]


def assert_intact(client, m, device, token):
    """The slot is exactly as usable as before: ACTIVATED, not deleted, listed, its token still works."""
    now = device_of(client, m, device["id"])
    assert now["status"] == "ACTIVATED", now
    assert now["activated"] is True, now
    assert now["deleted_at"] is None, now
    assert now["installation_id"] == device["installation_id"], now
    assert device["id"] in listed_ids(client, m)
    status, me = client.get("/v1/pos/me", token=token)
    assert status == 200, me
    assert me["id"] == device["id"]
    assert not any(e["type"] in ("pos_device.deactivated", "pos_device.deleted")
                   for e in events_of(client, m, device["id"]))


def add_manager(client, m):
    email = f"manager-{m.email}"
    stores = [s["id"] for s in client.get("/v1/stores", token=m.token)[1]["stores"]]
    m.employee("Mia Manager", "MANAGER", email=email, password="manager pass 1", store_ids=stores)
    status, body = client.post("/v1/auth/login", {"email": email, "password": "manager pass 1"})
    assert status == 200, body
    return body["token"]


# ---------------------------------------------------------------- the routes of the workflow


def test_not_activated_slot_is_deleted_without_checks(client, aws):
    m = client.signup()
    store = m.store()
    keep = m.device("Till 1", store["id"])
    device = m.device("Till 2", store["id"])

    accepted = delete(client, m, device["id"])["deletion"]
    assert accepted["status"] == "RUNNING", accepted
    assert accepted["force"] is False, accepted
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "SUCCEEDED", deletion
    assert deletion["error"] is None, deletion
    assert deletion["finished_at"], deletion
    assert deletion["id"] == accepted["id"]
    assert called(aws) == ["deletion_delete"]
    after = device_of(client, m, device["id"])
    assert after["deleted_at"], after
    assert (after["name"], after["number"]) == ("Till 2", device["number"])
    assert after["deletion"]["status"] == "SUCCEEDED"
    assert listed_ids(client, m) == {keep["id"]}
    assert listed_ids(client, m, "?show_deleted=true") == {keep["id"], device["id"]}
    execution, _history = finished_execution(device["id"])
    assert execution["status"] == "SUCCEEDED"
    assert execution["name"] == accepted["id"]


PLANS = {
    "DELETE": ["Deleted"],
    "DEACTIVATE": ["Deactivate", "Deleted"],
    "CHECKS": ["CheckOpenTickets", "CheckShiftClosed", "VerifyReceiptsSynced", "Deactivate", "Deleted"],
}


@pytest.mark.parametrize("activated, query, route", [
    (False, "", "DELETE"), (True, "?force=true", "DEACTIVATE"), (True, "", "CHECKS")])
def test_the_deletion_shows_its_route_and_plan_and_runs_exactly_that_plan(client, aws, activated, query, route):
    m = client.signup()
    device = m.active_device()[0] if activated else m.device("Till 1")

    accepted = delete(client, m, device["id"], query=query)["deletion"]
    assert (accepted["route"], accepted["plan"]) == (route, PLANS[route]), accepted
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert (deletion["status"], deletion["step"]) == ("SUCCEEDED", "Deleted"), deletion
    assert (deletion["route"], deletion["plan"]) == (route, PLANS[route]), deletion
    assert device_of(client, m, device["id"])["deletion"]["plan"] == PLANS[route]
    assert [s["step"] for s in deletion["steps"]] == ["Started"] + PLANS[route], deletion["steps"]
    status, document = client.get("/v1/openapi.json")
    assert status == 200
    schema = document["components"]["schemas"]["DeletionOut"]
    assert {"route", "plan"} <= set(schema["required"]), schema
    named = document["components"]["schemas"]  # the enums are named components (DeletionRoute, DeletionStepName)
    assert set(PLANS) == set(named[schema["properties"]["route"]["$ref"].rsplit("/", 1)[1]]["enum"])
    assert set(PLANS["CHECKS"]) <= set(named[schema["properties"]["plan"]["items"]["$ref"].rsplit("/", 1)[1]]["enum"])


def test_open_tickets_fail_the_deletion_and_leave_the_device_intact(client, aws):
    m = client.signup()
    device, token = m.active_device("Till 1")
    sync(client, token, open_tickets=2)

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "FAILED", deletion
    assert deletion["error"]["code"] == "OPEN_TICKETS", deletion
    assert "Till 1" in deletion["error"]["details"], deletion
    assert "2 open ticket" in deletion["error"]["details"], deletion
    assert deletion["finished_at"]
    assert called(aws) == ["deletion_check_open_tickets", "deletion_record_failure"]
    assert_intact(client, m, device, token)
    execution, _history = finished_execution(device["id"])
    assert execution["status"] == "SUCCEEDED"  # a refusal is an outcome, not a fault (docs/CONTRACT.md section 5)


def test_open_shift_fails_the_deletion(client, aws):
    m = client.signup()
    device, token = m.active_device("Till 2")
    sync(client, token, shifts=[{"id": "5e0c1f6e-0000-4000-8000-000000000001", "opened_at": "2026-11-24T08:00:00Z",
                                 "starting_cash": 10000}], shift_open=True)

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "FAILED", deletion
    assert deletion["error"]["code"] == "SHIFT_OPEN", deletion
    assert deletion["error"]["details"].startswith("Close the shift on POS 'Till 2'"), deletion
    assert called(aws) == ["deletion_check_open_tickets", "deletion_check_shift_closed", "deletion_record_failure"]
    assert_intact(client, m, device, token)


def test_receipts_synced_during_the_wait_let_the_deletion_succeed(client, aws, lambda_service):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    sync(client, token, last=3, receipts=[receipt(n, 1)])  # 1-2 and 1-3 are still on the device

    reached, synced = threading.Event(), threading.Event()

    def before(function, nth):
        # The second check (after one Wait) holds until the test thread has synced through the API.
        if function == "deletion_verify_receipts_synced" and nth == 2:
            reached.set()
            synced.wait(20)

    lambda_service.before = before
    try:
        delete(client, m, device["id"])
        assert reached.wait(20), "the workflow never checked the receipts a second time"
        status, mid = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token)
        assert (status, mid["status"]) == (200, "RUNNING"), mid
        assert mid["steps"][-1]["details"].startswith("Waiting for 2 receipts to sync (wait 1 of "), mid
        sync(client, token, last=3, receipts=[receipt(n, 2), receipt(n, 3)])
    finally:
        synced.set()
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "SUCCEEDED", deletion
    assert called(aws).count("deletion_verify_receipts_synced") == 2
    assert called(aws)[-2:] == ["deletion_deactivate", "deletion_delete"]
    after = device_of(client, m, device["id"])
    assert after["deleted_at"], after
    assert (after["synced_receipts"], after["lost_receipts"]) == (3, 0), after
    _execution, history = finished_execution(device["id"])
    assert sum(1 for e in history if e["type"] == "WaitStateEntered") == 1


def test_receipts_never_synced_fail_with_their_numbers(client, aws):
    m = client.signup()
    device, token = m.active_device("Till 1")
    n = device["number"]
    sync(client, token, last=6, receipts=[receipt(n, s) for s in (1, 2, 3)])

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "FAILED", deletion
    assert deletion["error"]["code"] == "RECEIPTS_NOT_SYNCED", deletion
    assert f"3 receipts not synced: {n}-4, {n}-5, {n}-6." in deletion["error"]["details"], deletion
    assert "Till 1" in deletion["error"]["details"]
    # POS_SYNC_WAIT_ATTEMPTS=2: the first check and one after each of the two waits.
    assert called(aws).count("deletion_verify_receipts_synced") == 3
    assert "deletion_deactivate" not in called(aws)
    assert_intact(client, m, device, token)
    assert device_of(client, m, device["id"])["unsynced_receipts"] == 3


# ---------------------------------------------------------------- force


def test_owner_can_force_a_deletion_past_every_check(client, aws):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    sync(client, token, last=5, open_tickets=1, shift_open=True, receipts=[receipt(n, 1)])

    accepted = delete(client, m, device["id"], query="?force=true")["deletion"]
    assert accepted["force"] is True
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "SUCCEEDED", deletion
    assert deletion["force"] is True
    assert called(aws) == ["deletion_deactivate", "deletion_delete"]
    assert not CHECK_FUNCTIONS & set(called(aws))
    after = device_of(client, m, device["id"])
    assert after["deleted_at"], after
    assert after["status"] == "INACTIVE", after
    assert after["lost_receipts"] == 4, after  # written off by the forced deactivation
    events = {e["type"]: e for e in events_of(client, m, device["id"])}
    assert events["pos_device.deletion_requested"]["details"]["force"] is True
    assert events["pos_device.deletion_requested"]["actor"] == {"type": "EMPLOYEE", "id": m.owner["id"],
                                                                "name": m.owner["name"], "role": "OWNER"}
    assert events["pos_device.deleted"]["actor"] == {"type": "SYSTEM", "name": "WORKFLOW", "id": "safe-deletion"}
    assert events["pos_device.deactivated"]["actor"]["forced"] is True
    assert events["pos_device.deactivated"]["details"]["lost_receipts"] == 4
    assert events["pos_device.deleted"]["details"]["forced"] is True


def test_a_manager_cannot_force_but_may_delete(client, aws):
    m = client.signup()
    device, _token = m.active_device()
    manager = add_manager(client, m)

    refused = delete(client, m, device["id"], expect=403, query="?force=true", token=manager)
    assert refused["errors"][0]["code"] == "FORCE_OWNER_ONLY", refused
    assert device_of(client, m, device["id"])["deletion"] is None
    status, body = client.get(f"/v1/pos_devices/{device['id']}/deletion", token=m.token)
    assert (status, body["errors"][0]["code"]) == (404, "NO_DELETION"), body
    assert executions() == []

    delete(client, m, device["id"], token=manager)
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"
    assert CHECK_FUNCTIONS <= set(called(aws))


# ---------------------------------------------------------------- faults: Retry and Catch


def test_a_task_that_fails_twice_is_retried_and_the_deletion_succeeds(client, aws, lambda_service):
    lambda_service.fail("deletion_deactivate", times=2)
    m = client.signup()
    device, token = m.active_device()

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "SUCCEEDED", deletion
    assert lambda_service.invocations["deletion_deactivate"] == 3
    assert called(aws).count("deletion_deactivate") == 1  # the two faults never reached the function
    assert "deletion_record_failure" not in called(aws)
    execution, history = finished_execution(device["id"])
    assert execution["status"] == "SUCCEEDED"
    assert scheduled(history, "deletion_deactivate") == 3
    assert sum(1 for e in history if e["type"] == "LambdaFunctionFailed") == 2
    status, body = client.get("/v1/pos/me", token=token)
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DELETED"), body


def throttle_dynamodb(monkeypatch, refuse) -> list[str]:
    """DynamoDB calls for which `refuse(operation_name, refused so far)` holds answer as a throttled DynamoDB does;
    returns the list of refused operations."""
    refused: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def throttling(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb" and refuse(operation_name, refused):
            refused.append(operation_name)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                         "Message": "Rate of requests exceeds the allowed throughput."}},
                              operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttling)
    return refused


@pytest.mark.engine("moto")  # reads or counts what the DynamoDB adapter sends
def test_dynamodb_throttling_inside_a_task_is_retried(client, aws, lambda_service, monkeypatch):
    m = client.signup()
    device, _token = m.active_device()
    # The first two writes of CheckOpenTickets are refused, as DynamoDB does when throttling.
    throttled = throttle_dynamodb(monkeypatch, lambda operation, refused: (
        operation == "TransactWriteItems" and lambda_service.running() == "deletion_check_open_tickets"
        and len(refused) < 2))
    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert len(throttled) == 2
    assert deletion["status"] == "SUCCEEDED", deletion
    assert called(aws).count("deletion_check_open_tickets") == 3
    _execution, history = finished_execution(device["id"])
    failures = [e["lambdaFunctionFailedEventDetails"]["error"] for e in history if e["type"] == "LambdaFunctionFailed"]
    assert failures == ["TransientError", "TransientError"]


def test_a_task_that_keeps_failing_is_caught_and_leaves_the_device_intact(client, aws, lambda_service):
    lambda_service.fail("deletion_deactivate", times=99)
    m = client.signup()
    device, token = m.active_device()

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "FAILED", deletion
    assert deletion["error"]["code"] == "INTERNAL", deletion
    assert "left as it was" in deletion["error"]["details"]
    assert lambda_service.invocations["deletion_deactivate"] == 4  # the first try and 3 retries
    assert called(aws)[-1] == "deletion_record_failure"
    assert_intact(client, m, device, token)
    execution, history = finished_execution(device["id"])
    assert execution["status"] == "FAILED"
    assert scheduled(history, "deletion_deactivate") == 4

    # Once the fault clears, the owner deletes again and it goes through.
    lambda_service.fail(None, 0)
    delete(client, m, device["id"])
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"


def test_an_unretryable_lambda_error_is_caught_at_once(client, aws, lambda_service):
    lambda_service.fail("deletion_check_shift_closed", times=1, error_type="Lambda.Unknown")
    m = client.signup()
    device, token = m.active_device()

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", "INTERNAL"), deletion
    assert lambda_service.invocations["deletion_check_shift_closed"] == 1
    assert_intact(client, m, device, token)


def test_a_delete_whose_response_was_lost_is_not_applied_twice(client, aws, lambda_service):
    # Delete runs and writes, but the state machine hears a Lambda fault and retries it.
    lambda_service.fail("deletion_delete", times=1, run_first=True)
    m = client.signup()
    store = m.store()
    device = m.device("Till 1", store["id"])
    m.device("Till 2", store["id"])

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "SUCCEEDED", deletion
    execution, history = finished_execution(device["id"])
    assert execution["status"] == "SUCCEEDED"
    assert scheduled(history, "deletion_delete") == 2
    assert called(aws).count("deletion_delete") == 2
    assert [e["type"] for e in events_of(client, m, device["id"])].count("pos_device.deleted") == 1
    # The store still holds Till 2: its POS count went down once, not twice.
    status, body = client.delete(f"/v1/stores/{store['id']}", token=m.token)
    assert status == 409, body


def test_a_failure_after_deactivation_leaves_the_slot_exactly_as_it_was(client, aws, lambda_service):
    """docs/CONTRACT.md section 5: Deactivate and Delete are one transaction, so a Delete that fails for good leaves the slot
    ACTIVATED with its token working (it used to be left INACTIVE, its token revoked)."""
    lambda_service.fail("deletion_delete", times=1, error_type="Lambda.Unknown")  # not retried
    m = client.signup()
    device, token = m.active_device()

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", "INTERNAL"), deletion
    assert lambda_service.invocations["deletion_delete"] == 1
    assert called(aws)[-2:] == ["deletion_deactivate", "deletion_record_failure"]
    assert_intact(client, m, device, token)
    execution, _history = finished_execution(device["id"])
    assert execution["status"] == "FAILED"

    lambda_service.fail(None, 0)
    delete(client, m, device["id"])
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"
    assert called(aws)[-1] == "deletion_delete"
    after = device_of(client, m, device["id"])
    assert after["deleted_at"], after
    assert after["status"] == "INACTIVE", after
    status, body = client.get("/v1/pos/me", token=token)
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DELETED"), body


def test_deleting_twice_answers_409(client, aws, lambda_service):
    m = client.signup()
    device, _token = m.active_device()
    reached, go = threading.Event(), threading.Event()

    def before(function, _nth):
        if function == "deletion_check_open_tickets":
            reached.set()
            go.wait(20)

    lambda_service.before = before
    try:
        first = delete(client, m, device["id"])["deletion"]
        assert reached.wait(20)
        again = delete(client, m, device["id"], expect=409)
        assert again["errors"][0]["code"] == "DELETION_IN_PROGRESS", again
        forced = delete(client, m, device["id"], expect=409, query="?force=true")
        assert forced["errors"][0]["code"] == "DELETION_IN_PROGRESS", forced
    finally:
        go.set()
    deletion = client.wait_for_deletion(m.token, device["id"])
    assert (deletion["status"], deletion["id"]) == ("SUCCEEDED", first["id"]), deletion

    after = delete(client, m, device["id"], expect=409)
    assert after["errors"][0]["code"] == "DEVICE_DELETED", after
    assert len(executions(device["id"])) == 1


def test_a_slot_being_deleted_cannot_be_activated(client, aws, lambda_service):
    m = client.signup()
    device = m.device("Till 1")
    reached, go = threading.Event(), threading.Event()

    def before(function, _nth):
        if function == "deletion_delete":
            reached.set()
            go.wait(20)

    lambda_service.before = before
    try:
        delete(client, m, device["id"])
        assert reached.wait(20)
        status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
        assert status == 200, login
        assert device["id"] not in {d["id"] for d in login["pos_devices"]}
        status, body = client.post("/v1/pos/activate", {"login_token": login["login_token"],
                                                        "pos_device_id": device["id"], "installation_id": "x-1"})
        assert (status, body["errors"][0]["code"]) == (409, "DELETION_IN_PROGRESS"), body
    finally:
        go.set()
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"
    status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
    status, body = client.post("/v1/pos/activate", {"login_token": login["login_token"],
                                                    "pos_device_id": device["id"], "installation_id": "x-2"})
    assert (status, body["errors"][0]["code"]) == (409, "DEVICE_DELETED"), body


def test_after_deletion_token_is_refused_and_records_stay(client, aws):
    m = client.signup()
    device, token = m.active_device("Till 1")
    n = device["number"]
    shift_id = "5e0c1f6e-0000-4000-8000-000000000002"
    sync(client, token, last=2, receipts=[receipt(n, 1, shift_id=shift_id), receipt(n, 2, shift_id=shift_id)],
         shifts=[{"id": shift_id, "opened_at": "2026-11-24T08:00:00Z", "closed_at": "2026-11-24T16:00:00Z",
                  "starting_cash": 10000}])

    delete(client, m, device["id"])
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"

    for method, path in (("get", "/v1/pos/me"), ("post", "/v1/pos/sync")):
        status, body = getattr(client, method)(path, token=token, **({"body": {}} if method == "post" else {}))
        assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DELETED"), (path, body)

    status, body = client.get(f"/v1/receipts?pos_device_id={device['id']}", token=m.token)
    assert status == 200, body
    assert sorted(r["receipt_number"] for r in body["receipts"]) == [f"{n}-1", f"{n}-2"]
    assert {r["pos_device_name"] for r in body["receipts"]} == {"Till 1"}
    status, one = client.get(f"/v1/receipts/{n}-2", token=m.token)
    assert (status, one["pos_device_name"]) == (200, "Till 1"), one
    status, body = client.get(f"/v1/shifts?pos_device_id={device['id']}", token=m.token)
    assert (status, [s["id"] for s in body["shifts"]]) == (200, [shift_id]), body
    types = [e["type"] for e in events_of(client, m, device["id"])]
    for expected in ("pos_device.created", "pos_device.activated", "pos_device.deletion_requested",
                     "pos_device.deactivated", "pos_device.deleted"):
        assert expected in types, types
    created = next(e for e in events_of(client, m, device["id"]) if e["type"] == "pos_device.created")
    assert created["details"]["name"] == "Till 1"
    assert device_of(client, m, device["id"])["name"] == "Till 1"
    # A deleted slot cannot be changed any more.
    status, body = client.patch(f"/v1/pos_devices/{device['id']}", {"name": "Till 9"}, token=m.token)
    assert (status, body["errors"][0]["code"]) == (409, "DEVICE_DELETED"), body
    status, body = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
    assert (status, body["errors"][0]["code"]) == (409, "DEVICE_DELETED"), body


def test_number_of_a_deleted_pos_is_never_reused(client, aws):
    m = client.signup()
    store = m.store()
    first = m.device("Till 1", store["id"])
    last = m.device("Till 2", store["id"])
    assert last["number"] == first["number"] + 1

    delete(client, m, last["id"])
    assert client.wait_for_deletion(m.token, last["id"])["status"] == "SUCCEEDED"
    newer = m.device("Till 3", store["id"])

    assert newer["number"] == last["number"] + 1, newer
    numbers = [d["number"] for d in client.get("/v1/pos_devices?show_deleted=true", token=m.token)[1]["pos_devices"]]
    assert sorted(numbers) == [first["number"], last["number"], newer["number"]]


def test_an_inactive_slot_is_deleted_without_checks(client, aws):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    sync(client, token, last=4, open_tickets=3, shift_open=True, receipts=[receipt(n, 1)])
    status, body = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
    assert (status, body["status"], body["lost_receipts"]) == (200, "INACTIVE", 3), body

    delete(client, m, device["id"])
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert deletion["status"] == "SUCCEEDED", deletion
    assert called(aws) == ["deletion_delete"]
    after = device_of(client, m, device["id"])
    assert after["deleted_at"], after
    assert after["status"] == "INACTIVE", after
    status, body = client.get("/v1/pos/me", token=token)
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DELETED"), body


def test_store_can_be_deleted_once_its_only_pos_is_deleted(client, aws):
    m = client.signup()
    store = m.store("Corner shop")
    device = m.device("Till 1", store["id"])
    m.activate(device["id"])

    status, body = client.delete(f"/v1/stores/{store['id']}", token=m.token)
    assert status == 409, body

    delete(client, m, device["id"])
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"

    status, body = client.delete(f"/v1/stores/{store['id']}", token=m.token)
    assert status == 204, body
    status, body = client.get(f"/v1/stores/{store['id']}", token=m.token)
    assert status == 404, body
