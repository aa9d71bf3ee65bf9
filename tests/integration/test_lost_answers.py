"""A transaction whose answer is lost is retried by botocore with the same ClientRequestToken; DynamoDB
(and DynamoDB Local) apply it once and answer the retry as the first. So a lost answer never creates a
second device or turns an applied activation into a 409.

The fault: the first TransactWriteItems of the request is sent to DynamoDB for real, then its answer is
dropped (a closed connection), so botocore sends it again.

Runs on DynamoDB Local only: moto ignores ClientRequestToken, so there the retry is a second
transaction (its condition fails: a 409 for an activation that was applied, or a second device number)."""
import botocore.exceptions
import pytest
from botocore.httpsession import URLLib3Session

from chalicelib.adapters import models

pytestmark = pytest.mark.engine("dynamodb_local")


class DropFirstAnswer:
    """Sends the first matching request itself (it is applied), then pretends the connection closed."""

    def __init__(self, operation: str = "TransactWriteItems"):
        self.operation, self.armed, self.dropped, self.sent = operation, False, 0, []
        self._http = URLLib3Session()

    def __call__(self, request, **_kwargs):
        self.sent.append(request.headers.get("X-Amz-Target", b"").decode() if isinstance(
            request.headers.get("X-Amz-Target"), bytes) else request.headers.get("X-Amz-Target"))
        if not self.armed:
            return None
        self.armed = False
        response = self._http.send(request)
        assert response.status_code == 200, response.content  # applied by DynamoDB
        self.dropped += 1
        raise botocore.exceptions.ConnectionClosedError(endpoint_url=request.url)


@pytest.fixture
def drop_first_answer(aws):
    events = models.connection().client.meta.events
    dropper = DropFirstAnswer()
    events.register_first("before-send.dynamodb.TransactWriteItems", dropper, unique_id="test-drop-answer")
    yield dropper
    events.unregister("before-send.dynamodb.TransactWriteItems", unique_id="test-drop-answer")


def _events(client, token, device_id, kind):
    status, body = client.get(f"/v1/events?pos_device_id={device_id}&limit=250", token=token)
    assert status == 200, body
    return [event for event in body["events"] if event["type"] == kind]


def test_a_lost_answer_to_create_activate_and_deactivate_is_harmless(client, drop_first_answer):
    m = client.signup()
    store = m.store()

    drop_first_answer.armed = True
    status, device = client.post("/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]}, token=m.token)
    assert drop_first_answer.dropped == 1
    assert status == 201, device
    status, listed = client.get("/v1/pos_devices", token=m.token)
    assert [(d["id"], d["number"]) for d in listed["pos_devices"]] == [(device["id"], 1)]
    assert len(_events(client, m.token, device["id"], "pos_device.created")) == 1
    status, stored_store = client.get(f"/v1/stores/{store['id']}", token=m.token)
    assert status == 200

    status, login = client.post("/v1/pos/login", {"email": m.email, "password": m.password})
    assert status == 200, login
    drop_first_answer.armed = True
    status, activation = client.post("/v1/pos/activate", {
        "login_token": login["login_token"], "pos_device_id": device["id"], "installation_id": "install-1"})
    assert drop_first_answer.dropped == 2
    assert status == 200, activation
    assert activation["pos_device"]["status"] == "ACTIVATED"
    status, me = client.get("/v1/pos/me", token=activation["device_token"])
    assert status == 200 and me["status"] == "ACTIVATED", me
    assert len(_events(client, m.token, device["id"], "pos_device.activated")) == 1

    drop_first_answer.armed = True
    status, deactivated = client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
    assert drop_first_answer.dropped == 3
    assert status == 200, deactivated
    assert deactivated["status"] == "INACTIVE"
    assert len(_events(client, m.token, device["id"], "pos_device.deactivated")) == 1
    status, revoked = client.get("/v1/pos/me", token=activation["device_token"])
    assert status == 401 and revoked["errors"][0]["code"] == "DEVICE_DEACTIVATED", revoked
    status, device_now = client.get(f"/v1/pos_devices/{device['id']}", token=m.token)
    assert device_now["status"] == "INACTIVE" and device_now["number"] == 1
