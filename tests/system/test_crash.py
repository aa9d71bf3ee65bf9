"""`make run` killed with `kill -9` (the whole process group) in the middle of a
sync burst loses nothing it acknowledged: every receipt and sign-up answered 2xx is there after a restart,
and each device's counters equal what is stored. Several rounds on the same data, the POS apps replaying
what was never acknowledged, as a real app does."""
import http.client
import random
import threading
import time
import uuid

from tests.conftest import receipt
from tests.system.test_local_server import PASSWORD, _start, merchant_with_pos, ok, servers  # noqa: F401
from tests.system.test_local_server import http as call

ROUNDS = 3
BATCH = 20


class Pos:
    """One POS app: sells, syncs in batches, keeps what was not acknowledged to send again."""

    def __init__(self, owner: dict, token: str, number: int):
        self.owner, self.token, self.number = owner, token, number
        self.next_seq, self.queue, self.acknowledged = 1, [], {}

    def sell(self, count: int) -> None:
        for _ in range(count):
            self.queue.append(receipt(self.number, self.next_seq))
            self.next_seq += 1

    def sync_once(self, base: str) -> bool:
        if len(self.queue) < BATCH:
            self.sell(BATCH)
        batch = self.queue[:BATCH]
        state = {"last_receipt_number": self.next_seq - 1, "open_tickets": 0, "shift_open": False}
        try:
            status, body = call(base, "POST", "/v1/pos/sync", {"receipts": batch, "state": state}, self.token)
        except (OSError, http.client.HTTPException):
            return False  # the server died under us: not acknowledged
        assert status == 200, body
        assert (body["rejected"], body["accepted"] + body["duplicates"]) == ([], len(batch)), body
        for item in batch:
            self.acknowledged[item["receipt_number"]] = item["id"]
        del self.queue[:len(batch)]
        return True


def _activate(base: str, owner: dict) -> Pos:
    login = ok(call(base, "POST", "/v1/pos/login", {"email": owner["email"], "password": PASSWORD}))
    activation = ok(call(base, "POST", "/v1/pos/activate", {
        "login_token": login["login_token"], "pos_device_id": owner["device"]["id"],
        "installation_id": f"install-{uuid.uuid4().hex[:8]}"}))
    return Pos(owner, activation["device_token"], activation["pos_device"]["number"])


def _stored(base: str, owner: dict) -> dict:
    found, cursor = {}, None
    while True:
        page = ok(call(base, "GET", f"/v1/receipts?pos_device_id={owner['device']['id']}&limit=250"
                       + (f"&cursor={cursor}" if cursor else ""), token=owner["token"]))
        found.update({r["receipt_number"]: r["id"] for r in page["receipts"]})
        cursor = page["cursor"]
        if not cursor:
            return found


def test_kill_9_during_a_sync_burst_loses_nothing_acknowledged(tmp_path, servers):  # noqa: F811
    state_dir = tmp_path / "state"
    rng = random.Random()
    server = _start(servers, state_dir)
    poses = [_activate(server.base_url, merchant_with_pos(server.base_url, f"Till {i}")) for i in range(2)]
    signups: list[str] = []

    for round_number in range(ROUNDS):
        base, stop = server.base_url, threading.Event()

        def syncing(pos):
            while not stop.is_set() and pos.sync_once(base):
                pass

        def signing_up():
            while not stop.is_set():
                email = f"crash-{uuid.uuid4().hex[:10]}@example.com"
                try:
                    status, body = call(base, "POST", "/v1/signup", {"business_name": "Crash Cafe", "email": email,
                                                                     "password": PASSWORD})
                except (OSError, http.client.HTTPException):
                    return
                assert status == 201, body
                signups.append(email)

        threads = [threading.Thread(target=syncing, args=(pos,)) for pos in poses]
        threads.append(threading.Thread(target=signing_up))
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(1.0, 4.0))  # a random moment of the burst
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads)

        server = _start(servers, state_dir, port=server.port)
        base = server.base_url
        for pos in poses:
            stored = _stored(base, pos.owner)
            lost = {number for number, rid in pos.acknowledged.items() if stored.get(number) != rid}
            assert not lost, f"round {round_number}: acknowledged receipts lost: {sorted(lost)[:10]}"
            device = ok(call(base, "GET", f"/v1/pos_devices/{pos.owner['device']['id']}", token=pos.owner["token"]))
            assert device["synced_receipts"] == len(stored), (round_number, device, len(stored))
            # The app replays what was never acknowledged (some of it may be stored): stored once, and its
            # state report brings last_receipt_number up to what it issued.
            highest = max((int(n.split("-")[1]) for n in stored), default=0)
            while pos.queue[:1] and int(pos.queue[0]["receipt_number"].split("-")[1]) <= highest:
                assert pos.sync_once(base)
            stored = _stored(base, pos.owner)
            device = ok(call(base, "GET", f"/v1/pos_devices/{pos.owner['device']['id']}", token=pos.owner["token"]))
            assert device["synced_receipts"] == len(stored) == len(pos.acknowledged), (round_number, device)
            assert device["last_receipt_number"] >= max(int(n.split("-")[1]) for n in stored), device
            assert device["unsynced_receipts"] == device["last_receipt_number"] - len(stored), device
        for email in signups:
            status, body = call(base, "POST", "/v1/auth/login", {"email": email, "password": PASSWORD})
            assert status == 200, (round_number, email, body)
        assert sum(len(pos.acknowledged) for pos in poses) > 0
        assert signups

    for pos in poses:
        stored = _stored(server.base_url, pos.owner)
        assert stored == {number: rid for number, rid in stored.items() if pos.acknowledged.get(number) == rid}
    code, _ = server.interrupt()
    assert code == 0, server.output
