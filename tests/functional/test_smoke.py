from tests.conftest import receipt


def test_story(client):
    m = client.signup()
    device, token = m.active_device()
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 3, "open_tickets": 0,
                                                          "shift_open": False},
                                                "receipts": [receipt(device["number"], s) for s in (1, 2)]},
                               token=token)
    assert status == 200, body
    assert body["accepted"] == 2
    assert body["pos_device"]["unsynced_receipts"] == 1
    status, body = client.delete(f"/v1/pos_devices/{device['id']}", token=m.token)
    assert status == 202, body
    deletion = client.wait_for_deletion(m.token, device["id"])
    assert deletion["status"] == "FAILED", deletion
    assert deletion["error"]["code"] == "RECEIPTS_NOT_SYNCED", deletion
    print(deletion)
