"""Issue 8.3: racing requests on one POS slot, through the real HTTP routes on parallel threads.

chalice.test.Client is not thread-safe (Chalice keeps `current_request` on the app object; the test
client swaps os.environ per request), so `threaded_app` gives the app a thread-local current_request
(Chalice's LocalChalice, as the local server uses) and each thread its own client; moto serves one
DynamoDB request at a time, as DynamoDB applies each atomically. After each race the final state must be
one the transition table allows from what the answers say, and no receipt that got a 200 is missing."""
import uuid

from chalicelib.domain.devices import TRANSITIONS, Action, Status
from tests.conftest import receipt
from tests.conftest import at_once
from tests.robustness.harness import all_pages, right_after, settle_deletions

ROUNDS = 4


def _device(api, m, device_id):
    status, body = api.get(f"/v1/pos_devices/{device_id}", token=m.token)
    assert status == 200, body
    return body


def _stored(api, m, device_id):
    return {r["receipt_number"] for r in all_pages(api, f"/v1/receipts?pos_device_id={device_id}&limit=250",
                                                   "receipts", m.token)}


def _assert_counts(api, m, device):
    stored = _stored(api, m, device["id"])
    assert device["synced_receipts"] == len(stored), device
    if device["status"] != "ACTIVATED":
        assert device["unsynced_receipts"] == 0, device  # written off at the deactivation
    return stored


def _login_token(api, m):
    status, body = api.post("/v1/pos/login", {"email": m.email, "password": m.password})
    assert status == 200, body
    return body["login_token"]


def _activate_job(login_token, device_id):
    def job(api):
        return api.post("/v1/pos/activate", {"login_token": login_token, "pos_device_id": device_id,
                                             "installation_id": f"install-{uuid.uuid4().hex[:8]}"})
    return job


def _allowed(status: str, action: Action) -> str:
    return TRANSITIONS[(Status(status), action)].value


def test_activate_races_deactivate(client, threaded_app):
    m = client.signup()
    for _ in range(ROUNDS):
        device, old_token = m.active_device()
        login = _login_token(client, m)
        (d_status, d_body), (a_status, a_body) = at_once(threaded_app, [
            lambda api: api.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token),
            _activate_job(login, device["id"])])
        assert d_status == 200, d_body  # the slot was ACTIVATED: deactivating is legal whatever happens next
        final = _device(client, m, device["id"])
        assert client.get("/v1/pos/me", token=old_token)[0] == 401
        if a_status == 200:  # it came after the deactivation: INACTIVE -> ACTIVATED
            assert final["status"] == _allowed(_allowed("ACTIVATED", Action.DEACTIVATE), Action.ACTIVATE)
            assert final["installation_id"] == a_body["pos_device"]["installation_id"]
            assert client.get("/v1/pos/me", token=a_body["device_token"])[0] == 200
        else:
            assert (a_status, a_body["errors"][0]["code"]) == (409, "SLOT_TAKEN"), a_body
            assert final["status"] == _allowed("ACTIVATED", Action.DEACTIVATE)


def test_two_activations_of_one_slot(client, threaded_app):
    m = client.signup()
    for _ in range(ROUNDS):
        device = m.device()
        login = _login_token(client, m)
        results = at_once(threaded_app, [_activate_job(login, device["id"]) for _ in range(3)])
        winners = [body for status, body in results if status == 200]
        assert len(winners) == 1, results
        assert sorted(status for status, _ in results) == [200, 409, 409], results
        final = _device(client, m, device["id"])
        assert (final["status"], final["installation_id"]) == ("ACTIVATED", winners[0]["pos_device"]["installation_id"])
        assert client.get("/v1/pos/me", token=winners[0]["device_token"])[0] == 200


def test_deactivate_races_sync(client, threaded_app):
    m = client.signup()
    for round_ in range(ROUNDS):
        device, token = m.active_device(f"Till {round_}")
        number = device["number"]
        first = [receipt(number, seq) for seq in range(1, 6)]
        assert client.post("/v1/pos/sync", {"receipts": first}, token=token)[0] == 200
        batches = [[receipt(number, seq) for seq in range(start, start + 5)] for start in (6, 11, 16)]
        jobs = [lambda api, b=b: api.post("/v1/pos/sync", {
            "state": {"last_receipt_number": int(b[-1]["receipt_number"].split("-")[1]), "open_tickets": 0,
                      "shift_open": False}, "receipts": b}, token=token) for b in batches]
        jobs.insert(1, lambda api: api.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token))
        results = at_once(threaded_app, jobs)
        deactivation = results.pop(1)
        assert deactivation[0] == 200, deactivation
        final = _device(client, m, device["id"])
        assert final["status"] == _allowed("ACTIVATED", Action.DEACTIVATE)
        stored = _assert_counts(client, m, final)
        for batch, (status, body) in zip(batches, results):
            numbers = {r["receipt_number"] for r in batch}
            if status == 200:
                assert body["accepted"] == 5, body
                assert numbers <= stored  # nothing that got a 200 is missing
            else:
                assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED"), body
                assert not numbers & stored  # a refused batch left nothing behind
        assert {r["receipt_number"] for r in first} <= stored


def test_deactivation_between_storing_receipts_and_recording_the_state(client, threaded_app):
    """The race above at its narrowest point: the slot is deactivated right after a sync's receipts landed and
    before the sync records the device's report. The receipts stay stored and counted, nothing is written off,
    and the sync answers 200 for them (not a 500) with the slot as it now is: INACTIVE."""
    from chalice.test import Client

    from tests.conftest import Api

    m = client.signup()
    device, token = m.active_device()
    number = device["number"]
    assert client.post("/v1/pos/sync", {"state": {"last_receipt_number": 1, "open_tickets": 0, "shift_open": False},
                                        "receipts": [receipt(number, 1)]}, token=token)[0] == 200
    other = Api(Client(threaded_app))

    def deactivate():
        status, body = other.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
        assert status == 200, body
        assert (body["lost_receipts"], body["synced_receipts"]) == (0, 4)  # 2-4 were stored just now
    batch = [receipt(number, seq) for seq in (2, 3, 4)]
    with right_after("TransactWriteItems", "receipts", deactivate) as fired:
        status, body = client.post("/v1/pos/sync", {
            "state": {"last_receipt_number": 4, "open_tickets": 0, "shift_open": False}, "receipts": batch},
            token=token)
    assert fired, "the deactivation did not run inside the sync"
    assert (status, body["accepted"]) == (200, 3), body
    assert (body["pos_device"]["status"], body["pos_device"]["synced_receipts"]) == ("INACTIVE", 4), body
    assert client.get("/v1/pos/me", token=token)[1]["errors"][0]["code"] == "DEVICE_DEACTIVATED"
    final = _device(client, m, device["id"])
    assert (final["status"], final["synced_receipts"], final["lost_receipts"]) == ("INACTIVE", 4, 0), final
    assert _assert_counts(client, m, final) == {f"{number}-{seq}" for seq in (1, 2, 3, 4)}


def test_delete_races_sync(client, threaded_app):
    m = client.signup()
    for round_ in range(ROUNDS):
        device, token = m.active_device(f"Till {round_}")
        number = device["number"]
        state = {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False}
        assert client.post("/v1/pos/sync", {"state": state, "receipts": [receipt(number, s) for s in (1, 2, 3)]},
                           token=token)[0] == 200
        batch = [receipt(number, seq) for seq in (4, 5, 6)]
        sync_status, sync_body = None, None
        results = at_once(threaded_app, [
            lambda api: api.delete(f"/v1/pos_devices/{device['id']}", token=m.token),
            lambda api: api.post("/v1/pos/sync", {"state": state | {"last_receipt_number": 6}, "receipts": batch},
                                 token=token)])
        (del_status, del_body), (sync_status, sync_body) = results
        assert del_status == 202, del_body
        settle_deletions(client, m.token)
        final = _device(client, m, device["id"])
        deletion = final["deletion"]
        assert deletion["status"] in ("SUCCEEDED", "FAILED"), deletion
        assert (final["deleted_at"] is not None) == (deletion["status"] == "SUCCEEDED"), final
        stored = _assert_counts(client, m, final)
        if sync_status == 200:
            assert {r["receipt_number"] for r in batch} <= stored
        else:
            assert sync_status == 401, sync_body
        if deletion["status"] == "SUCCEEDED":
            assert final["status"] == "INACTIVE"
            assert client.get("/v1/pos/me", token=token)[1]["errors"][0]["code"] in ("DEVICE_DELETED",)
        else:
            assert deletion["error"]["code"] == "RECEIPTS_NOT_SYNCED", deletion


def test_two_deletes_at_once(client, threaded_app):
    m = client.signup()
    for round_ in range(ROUNDS):
        store = m.store(f"Store {round_}")
        device = m.device("Till", store_id=store["id"])
        results = at_once(threaded_app, [
            lambda api: api.delete(f"/v1/pos_devices/{device['id']}", token=m.token) for _ in range(2)])
        statuses = sorted(status for status, _ in results)
        assert statuses == [202, 409], results
        refused = next(body for status, body in results if status == 409)
        assert refused["errors"][0]["code"] in ("DELETION_IN_PROGRESS", "DEVICE_DELETED"), refused
        settle_deletions(client, m.token)
        final = _device(client, m, device["id"])
        assert final["deleted_at"], final
        assert final["deletion"]["status"] == "SUCCEEDED", final
        events = all_pages(client, f"/v1/events?pos_device_id={device['id']}", "events", m.token)
        assert sum(e["type"] == "pos_device.deleted" for e in events) == 1
        # The store counted the device once: it is empty now, so it can be deleted.
        status, body = client.delete(f"/v1/stores/{store['id']}", token=m.token)
        assert status == 204, body
