"""A receipt without its shift id joins the batch's shift; merchant-wide lists read newest first."""
import uuid
from datetime import datetime, timedelta, timezone

from chalicelib import clock
from tests.conftest import receipt


def test_receipt_without_shift_id_belongs_to_the_shift_opened_in_the_same_batch(client):
    m = client.signup()
    device, token = m.active_device()
    shift = {"id": str(uuid.uuid4()), "opened_at": "2026-11-24T08:00:00Z"}
    sale = receipt(device["number"], 1, created_at="2026-11-24T09:00:00Z")
    before = receipt(device["number"], 2, created_at="2026-11-24T07:00:00Z")
    status, body = client.post("/v1/pos/sync", {"shifts": [shift], "receipts": [sale, before]}, token=token)
    assert (status, body["accepted"]) == (200, 2), body
    assert client.get(f"/v1/receipts/{device['number']}-1", token=m.token)[1]["shift_id"] == shift["id"]
    assert client.get(f"/v1/receipts/{device['number']}-2", token=m.token)[1]["shift_id"] is None


def test_findings_of_the_whole_merchant_are_listed_newest_first(client):
    m = client.signup()
    start = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    raised_order = []
    for hour in range(3):
        clock.set_now(start + timedelta(hours=hour))
        device, token = m.active_device(f"Till {hour}")
        status, body = client.post("/v1/pos/sync", {"state": {"last_receipt_number": 2, "open_tickets": 0,
                                                              "shift_open": False}}, token=token)
        assert status == 200, body
        assert client.post("/v1/audit/runs", token=m.token)[0] == 202
        raised_order.append(device["id"])
    status, body = client.get("/v1/audit/findings?status=open", token=m.token)
    assert status == 200
    assert [f["pos_device_id"] for f in body["findings"]] == list(reversed(raised_order))
    seen, cursor = [], None
    while True:
        status, page = client.get("/v1/audit/findings?limit=1" + (f"&cursor={cursor}" if cursor else ""),
                                  token=m.token)
        assert status == 200, page
        seen += [f["pos_device_id"] for f in page["findings"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert seen == list(reversed(raised_order))
