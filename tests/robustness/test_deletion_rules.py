"""Issue 12.9: the two rules of docs/CONTRACT.md section 5, through real executions in moto's Step Functions interpreter.

- A failed deletion leaves the slot exactly as it was: Deactivate and Delete are written in one transaction (in
  the Delete task), so a Delete that fails for good leaves the slot ACTIVATED with its token working. (Before,
  Deactivate had already revoked the token: the slot was left INACTIVE and not deleted.)
- A refusal is an outcome, not a fault: OPEN_TICKETS, SHIFT_OPEN and RECEIPTS_NOT_SYNCED end the execution in a
  Succeed state (the deletion is FAILED with the code), so that ExecutionsFailed counts only real faults."""
import uuid
from collections import Counter

import pytest

from tests.conftest import receipt
from tests.functional.test_deletion import (  # noqa: F401  (lambda_service is a fixture)
    assert_intact, delete, device_of, events_of, finished_execution, lambda_service, sync, throttle_dynamodb,
)

FIGURES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    print(f"\n[deletion rules] {dict(FIGURES)}")


def _entered(history) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


@pytest.fixture
def throttle_deletes(lambda_service, monkeypatch):
    """Every DynamoDB write made by the Delete task is refused (throttled) on every attempt: it fails for good."""
    return throttle_dynamodb(monkeypatch, lambda operation, _refused: (
        operation in ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem")
        and lambda_service.running() == "deletion_delete"))


@pytest.mark.parametrize("force", [False, True], ids=["checked", "forced"])
def test_a_delete_that_fails_for_good_leaves_the_slot_activated_with_its_token(client, aws, lambda_service,
                                                                              throttle_deletes, force):
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=2, receipts=[receipt(device["number"], s) for s in (1, 2)])

    delete(client, m, device["id"], query="?force=true" if force else "")
    deletion = client.wait_for_deletion(m.token, device["id"])

    assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", "INTERNAL"), deletion
    assert lambda_service.invocations["deletion_delete"] == 4, lambda_service.invocations  # 1 + 3 retries
    assert throttle_deletes, "the Delete task wrote nothing at all"
    assert_intact(client, m, device, token)  # ACTIVATED, same installation, listed, token works, no events
    now = device_of(client, m, device["id"])
    assert (now["synced_receipts"], now["lost_receipts"], now["unsynced_receipts"]) == (2, 0, 0), now
    status, body = client.post("/v1/pos/sync", {"receipts": [receipt(device["number"], 3)]}, token=token)
    assert (status, body["accepted"]) == (200, 1), body  # the device keeps selling and syncing
    execution, history = finished_execution(device["id"])
    assert execution["status"] == "FAILED"
    assert "DeletionFailed" in _entered(history)
    FIGURES["deletions failing in Delete"] += 1


def test_a_deletion_that_succeeds_writes_deactivation_and_deletion_together(client, aws):
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=0)
    delete(client, m, device["id"])
    assert client.wait_for_deletion(m.token, device["id"])["status"] == "SUCCEEDED"
    after = device_of(client, m, device["id"])
    assert after["deleted_at"], after
    assert after["status"] == "INACTIVE", after
    assert after["installation_id"] is None, after
    types = [e["type"] for e in events_of(client, m, device["id"])]
    assert (types.count("pos_device.deactivated"), types.count("pos_device.deleted")) == (1, 1), types
    status, body = client.get("/v1/pos/me", token=token)
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DELETED"), body


def _refusal_cases(client, m):
    """device id -> expected code, one per refusal."""
    cases = {}
    device, token = m.active_device("Tickets")
    sync(client, token, open_tickets=1)
    cases[device["id"]] = ("OPEN_TICKETS", device, token)
    device, token = m.active_device("Shift")
    sync(client, token, shift_open=True, shifts=[{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T08:00:00Z"}])
    cases[device["id"]] = ("SHIFT_OPEN", device, token)
    device, token = m.active_device("Missing")
    sync(client, token, last=3)
    cases[device["id"]] = ("RECEIPTS_NOT_SYNCED", device, token)
    return cases


def test_refusals_end_in_a_succeed_state_and_only_faults_count_as_failed_executions(client, aws, lambda_service):
    m = client.signup()
    cases = _refusal_cases(client, m)
    faulty, faulty_token = m.active_device("Fault")
    lambda_service.fail("deletion_check_shift_closed", times=1, error_type="Lambda.Unknown")
    delete(client, m, faulty["id"])  # first and alone, so that the fault hits this one
    assert client.wait_for_deletion(m.token, faulty["id"])["status"] == "FAILED"
    for device_id in cases:
        delete(client, m, device_id)
    statuses = Counter()
    for device_id, (code, device, token) in cases.items():
        deletion = client.wait_for_deletion(m.token, device_id)
        assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", code), deletion
        assert_intact(client, m, device, token)
        execution, history = finished_execution(device_id)
        statuses[execution["status"]] += 1
        assert execution["status"] == "SUCCEEDED", (code, execution["status"])
        assert _entered(history)[-2:] == ["RecordRefusal", "DeletionRefused"], _entered(history)
    deletion = client.wait_for_deletion(m.token, faulty["id"])
    assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", "INTERNAL"), deletion
    execution, history = finished_execution(faulty["id"])
    statuses[execution["status"]] += 1
    assert (execution["status"], _entered(history)[-2:]) == ("FAILED", ["RecordFailure", "DeletionFailed"])
    assert statuses == {"SUCCEEDED": 3, "FAILED": 1}  # ExecutionsFailed would count the fault only
    FIGURES["executions"] += 4
