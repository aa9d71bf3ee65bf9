"""Issue 16 under races: one pairing code used by two POS apps at once, and the old installation
uploading while the owner ends its final sync. Real routes on parallel threads (see test_concurrency)."""
import uuid

from tests.conftest import at_once, receipt

ROUNDS = 3


def test_one_code_two_apps_at_once_only_one_wins(client, threaded_app):
    m = client.signup()
    for _ in range(ROUNDS):
        device = m.device(f"Till {uuid.uuid4().hex[:4]}")
        status, body = client.post(f"/v1/pos_devices/{device['id']}/pairing_code", token=m.token)
        assert status == 201, body
        code = body["code"]
        answers = at_once(threaded_app, [
            lambda api, i=i: api.post("/v1/pos/pair", {"code": code, "installation_id": f"racer-{i}"})
            for i in range(2)])
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200, 401], answers
        winner = next(body for status, body in answers if status == 200)
        status, shown = client.get(f"/v1/pos_devices/{device['id']}", token=m.token)
        assert (shown["status"], shown["installation_id"]) == ("ACTIVATED", winner["pos_device"]["installation_id"])
        status, events = client.get(f"/v1/events?pos_device_id={device['id']}", token=m.token)
        assert len([e for e in events["events"] if e["type"] == "pos_device.activated"]) == 1


def test_upload_racing_end_final_sync_loses_nothing_silently(client, threaded_app):
    """Every receipt the old device got a 200 for is stored and counted; the rest is counted as lost."""
    m = client.signup()
    for _ in range(ROUNDS):
        slot, token = m.active_device(f"Till {uuid.uuid4().hex[:4]}")
        n = slot["number"]
        status, body = client.post("/v1/pos/sync", {
            "state": {"last_receipt_number": 20, "open_tickets": 0, "shift_open": False},
            "receipts": [receipt(n, 1)]}, token=token)
        assert status == 200, body
        status, body = client.post(f"/v1/pos_devices/{slot['id']}/deactivate", {"final_sync_hours": 24}, token=m.token)
        assert (status, body["final_sync_owed_receipts"]) == (200, 19), body
        upload = {"state": {"last_receipt_number": 20, "open_tickets": 0, "shift_open": False},
                  "receipts": [receipt(n, seq) for seq in range(2, 21)]}
        (s_status, s_body), (e_status, e_body) = at_once(threaded_app, [
            lambda api: api.post("/v1/pos/sync", upload, token=token),
            lambda api: api.post(f"/v1/pos_devices/{slot['id']}/end_final_sync", token=m.token),
        ])
        assert s_status in (200, 401), s_body
        assert e_status in (200, 409), e_body  # 409: the upload completed and closed the window first
        status, shown = client.get(f"/v1/pos_devices/{slot['id']}", token=m.token)
        status, listing = client.get(f"/v1/receipts?pos_device_id={slot['id']}&limit=250", token=m.token)
        stored = len(listing["receipts"])
        assert shown["final_sync_until"] is None
        assert shown["synced_receipts"] == stored
        assert (stored + shown["lost_receipts"], shown["unsynced_receipts"]) == (20, 0), (shown, stored)
        if s_status == 200:
            assert stored == 1 + s_body["accepted"]
