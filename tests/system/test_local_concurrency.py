"""`make run` under concurrent syncs over real HTTP: every receipt stored and counted exactly once."""
import threading
import uuid

from tests.conftest import receipt
from tests.system.test_local_server import PASSWORD, _start, http, merchant_with_pos, ok, servers  # noqa: F401


def test_sixteen_overlapping_syncs_count_each_receipt_once(tmp_path, servers):  # noqa: F811
    server = _start(servers, tmp_path / "state")
    base = server.base_url
    owner = merchant_with_pos(base)
    login = ok(http(base, "POST", "/v1/pos/login", {"email": owner["email"], "password": PASSWORD}))
    activation = ok(http(base, "POST", "/v1/pos/activate", {
        "login_token": login["login_token"], "pos_device_id": owner["device"]["id"],
        "installation_id": f"install-{uuid.uuid4().hex[:6]}"}))
    token, number = activation["device_token"], activation["pos_device"]["number"]
    receipts = [receipt(number, seq) for seq in range(1, 161)]
    statuses, barrier = [], threading.Barrier(16)

    def send(offset):
        batch = receipts[offset * 8: offset * 8 + 40]  # each overlaps its neighbours
        barrier.wait()
        statuses.append(http(base, "POST", "/v1/pos/sync", {"receipts": batch}, token)[0])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * 16
    expected = {r["receipt_number"] for r in receipts[:15 * 8 + 40]}
    device = ok(http(base, "GET", f"/v1/pos_devices/{owner['device']['id']}", token=owner["token"]))
    assert device["synced_receipts"] == len(expected)
    listed = ok(http(base, "GET", f"/v1/receipts?pos_device_id={owner['device']['id']}&limit=250",
                     token=owner["token"]))["receipts"]
    assert sorted(r["receipt_number"] for r in listed) == sorted(expected)
