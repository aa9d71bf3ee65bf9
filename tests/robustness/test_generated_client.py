"""Issue 28: a client generated from GET /v1/openapi.json with openapi-python-client (a third-party generator, as
an integrator would use it) runs the main story against the app and parses every answer into its typed models.

The generator runs on the document the app serves; the generated package is imported from a temporary directory
and talks to the app in process (httpx's WSGI transport over tests/robustness/harness.py's ChaliceWSGI), on moto.
"""
import datetime
import importlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from app import app as chalice_app
from tests.robustness.harness import ChaliceWSGI

PASSWORD = "correct horse 1"
PACKAGE = "pos_api_client"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The generated package (its modules by name), from the document the app serves."""
    out = tmp_path_factory.mktemp("generated")
    transport = httpx.WSGITransport(app=ChaliceWSGI(chalice_app))
    with httpx.Client(transport=transport, base_url="http://app") as http:
        document = http.get("/v1/openapi.json")
    assert document.status_code == 200
    (out / "openapi.json").write_bytes(document.content)
    bin_dir = Path(sys.executable).parent
    generated = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(out / "openapi.json"),
         "--output-path", str(out / PACKAGE), "--meta", "none"],
        capture_output=True, text=True, timeout=300, env=os.environ | {"PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    sys.path.insert(0, str(out))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(out))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_main_story_with_a_generated_client(api, aws):
    models = api("models")
    wsgi = {"transport": httpx.WSGITransport(app=ChaliceWSGI(chalice_app))}
    client = api("client")
    public = client.Client(base_url="http://app", httpx_args=wsgi, raise_on_unexpected_status=True)

    def op(tag, name):
        return api(f"api.{tag}.{name}")

    email = f"anna-{uuid.uuid4().hex[:6]}@shop.test"
    signed_up = op("accounts", "signup").sync(client=public, body=models.SignupIn(
        business_name="Café Anna", email=email, password=PASSWORD, currency=models.Currency.PLN))
    assert isinstance(signed_up, models.SignupOut)
    assert signed_up.employee.role is models.Role.OWNER
    assert isinstance(signed_up.merchant.created_at, datetime.datetime)  # format: date-time
    owner = client.AuthenticatedClient(base_url="http://app", token=signed_up.token, httpx_args=wsgi,
                                       raise_on_unexpected_status=True)

    store = op("stores", "create_store").sync(client=owner, body=models.StoreIn(name="Old Town"))
    assert isinstance(store, models.StoreOut)
    device = op("pos_devices", "create_pos_device").sync(client=owner, body=models.DeviceIn(
        name="Till 1", store_id=store.id))
    assert isinstance(device, models.DeviceOut)
    assert device.status is models.DeviceStatus.NOT_ACTIVATED

    login = op("pos", "pos_login").sync(client=public, body=models.LoginIn(email=email, password=PASSWORD))
    assert isinstance(login, models.PosLoginOut)
    assert [d.id for d in login.pos_devices] == [device.id]
    activated = op("pos", "activate_pos_device").sync(client=public, body=models.PosActivateIn(
        login_token=login.login_token, pos_device_id=device.id, installation_id="ipad-1"))
    assert isinstance(activated, models.ActivateOut)
    assert activated.next_receipt_seq == 1
    pos = client.AuthenticatedClient(base_url="http://app", token=activated.device_token, httpx_args=wsgi,
                                     raise_on_unexpected_status=True)

    at = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.timezone.utc)
    receipts = [models.ReceiptIn(
        id=str(uuid.uuid4()), receipt_number=f"{device.number}-{seq}", created_at=at, receipt_type=models.ReceiptType.SALE,
        line_items=[models.LineItemIn(item_name="Espresso", quantity=2, price=900, total_money=1800)],
        payments=[models.PaymentIn(type_="CARD", money_amount=1800)], total_money=1800) for seq in (1, 2)]
    synced = op("pos", "sync_pos_device").sync(client=pos, body=models.SyncIn(
        receipts=receipts, state=models.SyncState(last_receipt_number=2, open_tickets=0, shift_open=False),
        shifts=[models.ShiftIn(id=str(uuid.uuid4()), opened_at=at, closed_at=at + datetime.timedelta(hours=8))]))
    assert isinstance(synced, models.SyncOut), synced
    assert (synced.accepted, synced.rejected, synced.pos_device.synced_receipts) == (2, [], 2)

    listed = op("receipts", "list_receipts").sync(client=owner, pos_device_id=device.id, limit=1)
    assert isinstance(listed, models.ReceiptList)
    assert len(listed.receipts) == 1
    assert listed.cursor
    assert isinstance(listed.receipts[0].line_items[0], models.LineItemOut)
    rest = op("receipts", "list_receipts").sync(client=owner, pos_device_id=device.id, limit=1, cursor=listed.cursor)
    assert len(rest.receipts) == 1
    assert rest.cursor is None  # null on the last page
    csv_text = op("receipts", "export_receipts").sync(client=owner, store_id=store.id)
    assert isinstance(csv_text, str)
    assert f"{device.number}-2" in csv_text

    deactivated = op("pos_devices", "deactivate_pos_device").sync(
        uuid.UUID(device.id), client=owner, body=models.DeactivateIn(final_sync_hours=0))
    assert isinstance(deactivated, models.DeviceOut)
    assert deactivated.status is models.DeviceStatus.INACTIVE
    accepted = op("pos_devices", "delete_pos_device").sync(uuid.UUID(device.id), client=owner)
    assert isinstance(accepted, models.DeletionAccepted)
    deadline = time.monotonic() + 60
    while True:
        deletion = op("pos_devices", "get_pos_device_deletion").sync(uuid.UUID(device.id), client=owner)
        assert isinstance(deletion, models.DeletionOut), deletion
        if deletion.status is not models.DeletionStatus.RUNNING or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert deletion.status is models.DeletionStatus.SUCCEEDED
    assert deletion.step is models.DeletionStepName.DELETED

    events = op("events", "list_events").sync(client=owner, pos_device_id=device.id)
    assert isinstance(events, models.EventList)
    assert {e.actor.type_ for e in events.events} >= {models.ActorType.EMPLOYEE, models.ActorType.SYSTEM}

    # an error answer is parsed too: the documented shape, with its code
    refused = op("pos_devices", "update_pos_device").sync(uuid.UUID(device.id), client=owner,
                                                          body=models.DevicePatch(name="Again"))
    assert isinstance(refused, models.ErrorOut)
    assert refused.errors[0].code == "DEVICE_DELETED"
