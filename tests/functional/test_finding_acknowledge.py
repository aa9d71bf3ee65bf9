"""Issue 25.9: the audit's SHIFT_LEFT_OPEN finding (never resolved by the audit: nobody will close that shift) can
be acknowledged by a person, and is then resolved; other findings resolve themselves."""
import uuid


def left_open(client, m):
    device, token = m.active_device("Till 14")
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 0, "open_tickets": 0,
                                                          "shift_open": True},
                                                "shifts": [{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T08:00:00Z",
                                                            "starting_cash": 0}], "receipts": []}, token=token)
    assert status == 200, body
    status, body = client.post(f"/v1/pos_devices/{device['id']}/deactivate", None, token=m.token)
    assert status == 200, body
    status, findings = client.get(f"/v1/audit/findings?pos_device_id={device['id']}", token=m.token)
    (finding,) = findings["findings"]
    assert finding["type"] == "SHIFT_LEFT_OPEN" and finding["resolved_at"] is None
    return device, finding


def test_a_shift_left_open_is_acknowledged_once(client):
    m = client.signup()
    _, finding = left_open(client, m)
    path = f"/v1/audit/findings/{finding['id']}/acknowledge"
    status, body = client.post(path, token=m.token)
    assert status == 200 and body["id"] == finding["id"] and body["resolved_at"], body
    status, open_ = client.get("/v1/audit/findings?status=open", token=m.token)
    assert finding["id"] not in [f["id"] for f in open_["findings"]]
    status, resolved = client.get("/v1/audit/findings?status=resolved", token=m.token)
    assert [f["id"] for f in resolved["findings"]] == [finding["id"]]
    # Again: it is not open any more.
    status, body = client.post(path, token=m.token, headers={"Accept-Language": "pl"})
    assert status == 404 and body["errors"][0]["code"] == "NOT_FOUND" and "audytu" in body["errors"][0]["details"]


def test_only_the_merchant_may_acknowledge_and_only_that_type(client):
    m = client.signup()
    _, finding = left_open(client, m)
    other = client.signup()
    path = f"/v1/audit/findings/{finding['id']}/acknowledge"
    assert client.post(path, token=other.token)[0] == 404
    assert client.post(path)[0] == 401
    assert client.post(f"/v1/audit/findings/{uuid.uuid4()}/acknowledge", token=m.token)[0] == 404
    status, findings = client.get("/v1/audit/findings?status=open", token=m.token)
    assert [f["id"] for f in findings["findings"]] == [finding["id"]]  # nothing changed


def test_a_finding_the_audit_resolves_itself_is_refused(client):
    from tests.conftest import receipt

    m = client.signup()
    device, token = m.active_device()
    status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 3, "open_tickets": 0,
                                                          "shift_open": False},
                                                "receipts": [receipt(device["number"], 1)]}, token=token)
    assert status == 200, body
    assert client.post("/v1/audit/runs", token=m.token)[0] == 202
    status, findings = client.get("/v1/audit/findings?status=open", token=m.token)
    unsynced = [f for f in findings["findings"] if f["type"] == "UNSYNCED_RECEIPTS"]
    assert unsynced, findings
    status, body = client.post(f"/v1/audit/findings/{unsynced[0]['id']}/acknowledge", token=m.token)
    assert status == 409 and body["errors"][0]["code"] == "FINDING_RESOLVES_ITSELF"
    status, after = client.get("/v1/audit/findings?status=open", token=m.token)
    assert unsynced[0]["id"] in [f["id"] for f in after["findings"]]
