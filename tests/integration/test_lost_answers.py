"""A transaction whose answer is lost is retried by botocore with the same ClientRequestToken; DynamoDB applies
a token once and answers the retry as the first. So a lost answer never creates a second device, never turns an
applied activation into a 409, and never counts a failed login twice.

The fault: the first TransactWriteItems of the request is applied, then its answer is dropped (a closed
connection), so botocore sends it again. A `before-send` hook on the client the adapter uses records the
ClientRequestToken of every attempt. moto ignores the token (it would apply the retry as a second transaction):
`DynamoDBTokens` gives it DynamoDB's documented idempotency, so a retry with another token would still be
applied twice and fail these tests."""
import contextlib
import json

import botocore.exceptions
import pytest

from chalicelib.adapters import models
from chalicelib.adapters.models import GuardModel


def _body(request) -> dict:
    return json.loads(request.body.decode() if isinstance(request.body, bytes) else request.body or "{}")


class DynamoDBTokens:
    """DynamoDB's idempotency, which moto lacks: a TransactWriteItems whose ClientRequestToken was applied is
    answered as the first time, and not applied again."""

    def __init__(self):
        self.answers: dict[str, tuple] = {}

    @contextlib.contextmanager
    def installed(self):
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.process_request
        answers = self.answers

        def process_request(stubber, request):
            target = request.headers.get("X-Amz-Target", b"")
            if (target.decode() if isinstance(target, bytes) else target) != "DynamoDB_20120810.TransactWriteItems":
                return original(stubber, request)
            token = _body(request).get("ClientRequestToken")
            if token not in answers:
                answers[token] = original(stubber, request)
            return answers[token]

        BotocoreStubber.process_request = process_request
        try:
            yield self
        finally:
            BotocoreStubber.process_request = original


class DropFirstAnswer:
    """Has moto apply the first TransactWriteItems once armed, then pretends the connection closed; records the
    ClientRequestToken of every attempt."""

    def __init__(self):
        self.armed, self.dropped, self.tokens = False, 0, []

    def __call__(self, request, **_kwargs):
        from moto.core.models import botocore_stubber

        self.tokens.append(_body(request).get("ClientRequestToken"))
        if not self.armed:
            return None
        self.armed = False
        response = botocore_stubber("before-send.dynamodb.TransactWriteItems", request)
        assert response.status_code == 200, response.content  # applied
        self.dropped += 1
        raise botocore.exceptions.ConnectionClosedError(endpoint_url=request.url)

    def arm(self):
        self.armed, self.tokens = True, []

    def retried_with_one_token(self) -> bool:
        return len(self.tokens) == 2 and self.tokens[0] is not None and self.tokens[0] == self.tokens[1]


@pytest.fixture
def drop_first_answer(aws):
    events = models.connection().client.meta.events
    dropper = DropFirstAnswer()
    events.register_first("before-send.dynamodb.TransactWriteItems", dropper, unique_id="test-drop-answer")
    with DynamoDBTokens().installed():
        yield dropper
    events.unregister("before-send.dynamodb.TransactWriteItems", unique_id="test-drop-answer")


def _events(client, token, device_id, kind):
    status, body = client.get(f"/v1/events?pos_device_id={device_id}&limit=250", token=token)
    assert status == 200, body
    return [event for event in body["events"] if event["type"] == kind]


def test_a_lost_answer_to_create_activate_and_deactivate_is_harmless(client, drop_first_answer):
    m = client.signup()
    store = m.store()

    drop_first_answer.arm()
    status, device = client.post("/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]}, token=m.token)
    assert drop_first_answer.dropped == 1, drop_first_answer.tokens
    assert drop_first_answer.retried_with_one_token(), drop_first_answer.tokens
    assert status == 201, device
    status, listed = client.get("/v1/pos_devices", token=m.token)
    assert [(d["id"], d["number"]) for d in listed["pos_devices"]] == [(device["id"], 1)]
    assert len(_events(client, m.token, device["id"], "pos_device.created")) == 1
    status, stored_store = client.get(f"/v1/stores/{store['id']}", token=m.token)
    assert status == 200

    status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
    assert status == 200, login
    drop_first_answer.arm()
    status, activation = client.post("/v1/pos/activate", {
        "login_token": login["login_token"], "pos_device_id": device["id"], "installation_id": "install-1"})
    assert drop_first_answer.dropped == 2, drop_first_answer.tokens
    assert drop_first_answer.retried_with_one_token(), drop_first_answer.tokens
    assert status == 200, activation
    assert activation["pos_device"]["status"] == "ACTIVATED"
    status, me = client.get("/v1/pos/me", token=activation["device_token"])
    assert (status, me["status"]) == (200, "ACTIVATED"), me
    assert len(_events(client, m.token, device["id"], "pos_device.activated")) == 1

    drop_first_answer.arm()
    status, deactivated = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
    assert drop_first_answer.dropped == 3, drop_first_answer.tokens
    assert drop_first_answer.retried_with_one_token(), drop_first_answer.tokens
    assert status == 200, deactivated
    assert deactivated["status"] == "INACTIVE"
    assert len(_events(client, m.token, device["id"], "pos_device.deactivated")) == 1
    status, revoked = client.get("/v1/pos/me", token=activation["device_token"])
    assert (status, revoked["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED"), revoked
    status, device_now = client.get(f"/v1/pos_devices/{device['id']}", token=m.token)
    assert (device_now["status"], device_now["number"]) == ("INACTIVE", 1)


def test_a_lost_answer_to_a_counted_login_failure_counts_it_once(client, drop_first_answer):
    """A wrong password is counted in one transaction before it is checked: its answer lost and the request
    sent again, the window holds one failure, not two."""
    m = client.signup()
    drop_first_answer.arm()
    status, body = client.post("/v1/pos/login", {"email": m.email, "password": "wrong password"})
    assert status == 401, body
    assert drop_first_answer.dropped == 1, drop_first_answer.tokens
    assert drop_first_answer.retried_with_one_token(), drop_first_answer.tokens
    assert GuardModel.get(f"login#{m.email.lower()}", consistent_read=True).count == 1
