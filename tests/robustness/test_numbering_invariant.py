"""Issue 22 items 1, 2 and 4: a slot's next activation is never handed a receipt number the server holds or may
still accept from an earlier installation (DESIGN 3.1 "Numbering invariant (v1.2)", docs/FINAL_SYNC.md).

The first two tests pin the two interleavings the review found, made deterministic: the owner's request lands at
the exact point of the device's sync (a hook on the repository call the sync is making). The last one interleaves
syncs, final-sync uploads, deactivation, end_final_sync and activation/pairing on parallel threads, many rounds
on one slot, and checks the invariant after each."""
import random
import uuid

from chalicelib import wiring
from chalicelib.services import devices as device_service
from chalicelib.services import final_sync as final_sync_service
from chalicelib.services.common import Principal
from tests.conftest import at_once, receipt

STATE = {"open_tickets": 0, "shift_open": False}


def _owner(merchant) -> Principal:
    return Principal(merchant_id=merchant.merchant["id"], employee_id=merchant.owner["id"], role="OWNER")


def _once_after(monkeypatch, port: str, name: str, hook, when=lambda *a, **kw: True):
    """Run `hook()` once, right after the first call of the wired `port`'s method `name` for which `when(...)`
    holds (before when the name starts with "before:"), on either storage."""
    before = name.startswith("before:")
    name = name.removeprefix("before:")
    adapter = getattr(wiring.adapters(), port)
    original = getattr(adapter, name)
    fired = []

    def wrapper(*args, **kwargs):
        due = not fired and when(*args, **kwargs)
        if due and before:
            fired.append(True)
            hook()
        result = original(*args, **kwargs)
        if due and not before:
            fired.append(True)
            hook()
        return result

    monkeypatch.setattr(adapter, name, wrapper)
    return fired


def _stored_seqs(client, merchant, device_id) -> list[int]:
    seqs, cursor = [], None
    while True:
        path = f"/v1/receipts?pos_device_id={device_id}&limit=250" + (f"&cursor={cursor}" if cursor else "")
        status, page = client.get(path, token=merchant.token)
        assert status == 200, page
        seqs += [int(r["receipt_number"].split("-")[1]) for r in page["receipts"]]
        cursor = page["cursor"]
        if not cursor:
            return seqs


def test_a_receipt_stored_just_before_a_deactivation_is_never_handed_out_again(client, monkeypatch):
    """Item 1: receipt 25 was stored, the owner deactivated before the sync recorded the state, the slot kept
    last_receipt_number 24 and the next activation started at 25: its first sale came back RECEIPT_NUMBER_TAKEN."""
    m = client.signup()
    slot, token = m.active_device()
    n = slot["number"]
    status, body = client.post("/v1/pos/sync", {"state": STATE | {"last_receipt_number": 24},
                                                "receipts": [receipt(n, seq) for seq in range(1, 25)]}, token=token)
    assert (status, body["accepted"]) == (200, 24), body
    fired = _once_after(monkeypatch, "devices", "before:record_sync_state",
                        lambda: device_service.deactivate_device(_owner(m), slot["id"]))
    status, body = client.post("/v1/pos/sync", {"receipts": [receipt(n, 25)]}, token=token)
    assert fired, body
    assert (status, body["accepted"]) == (200, 1), body
    monkeypatch.undo()

    status, shown = client.get(f"/v1/pos_devices/{slot['id']}", token=m.token)
    assert (shown["status"], shown["synced_receipts"]) == ("INACTIVE", 25), shown
    assert shown["synced_receipts"] + shown["lost_receipts"] + shown["unsynced_receipts"] == \
        shown["last_receipt_number"] == 25, shown
    new = m.activate(slot["id"])
    assert new["next_receipt_seq"] == 26, new
    status, body = client.post("/v1/pos/sync", {"receipts": [receipt(n, 26)]}, token=new["device_token"])
    assert (status, body["accepted"], body["rejected"]) == (200, 1, []), body


def test_a_final_sync_upload_cut_short_by_end_final_sync(client, monkeypatch):
    """Items 2 and 4: the old device uploads 6..205 and the owner ends its window after the first transaction
    landed. Before: the upload answered 401 DEVICE_DEACTIVATED although 6..48 were stored, the window closed with
    last_receipt_number 5, and the next activation started at 6. Now: 200 with what landed and the rest rejected
    per receipt, and the next activation starts above everything stored."""
    monkeypatch.setattr(wiring.adapters().receipts, "per_transaction", 43)  # as on DynamoDB: several transactions
    m = client.signup()
    slot, token = m.active_device()
    n = slot["number"]
    status, body = client.post("/v1/pos/sync", {"state": STATE | {"last_receipt_number": 5},
                                                "receipts": [receipt(n, seq) for seq in range(1, 6)]}, token=token)
    assert (status, body["accepted"]) == (200, 5), body
    status, body = client.post(f"/v1/pos_devices/{slot['id']}/deactivate", {"final_sync_hours": 24}, token=m.token)
    assert status == 200, body
    fired = _once_after(monkeypatch, "receipts", "store_batch",
                        lambda: final_sync_service.end_final_sync(_owner(m), slot["id"]),
                        when=lambda device, receipts, final_sync=None, event=None: final_sync is not None)
    status, body = client.post("/v1/pos/sync", {"state": STATE | {"last_receipt_number": 205},
                                                "receipts": [receipt(n, seq) for seq in range(6, 206)]}, token=token)
    assert fired, body
    assert status == 200, body
    assert (body["accepted"], len(body["rejected"])) == (43, 157), body
    assert {r["code"] for r in body["rejected"]} == {"DEVICE_DEACTIVATED"}
    assert body["pos_device"]["final_sync_until"] is None
    monkeypatch.undo()

    stored = _stored_seqs(client, m, slot["id"])
    assert sorted(stored) == list(range(1, 49))
    status, shown = client.get(f"/v1/pos_devices/{slot['id']}", token=m.token)
    assert shown["final_sync_until"] is None, shown
    assert shown["synced_receipts"] == 48, shown
    assert shown["synced_receipts"] + shown["lost_receipts"] + shown["unsynced_receipts"] == \
        shown["last_receipt_number"] == 48, shown
    assert client.post("/v1/pos/sync", {"receipts": [receipt(n, 49)]}, token=token)[0] == 401  # window over
    new = m.activate(slot["id"])
    assert new["next_receipt_seq"] == 49, new
    status, body = client.post("/v1/pos/sync", {"receipts": [receipt(n, 49)]}, token=new["device_token"])
    assert (status, body["accepted"], body["rejected"]) == (200, 1, []), body


def test_a_refused_final_sync_upload_writes_nothing(client, monkeypatch):
    """Item 4: the window ends before the upload's first write: 401, and neither its shift nor any receipt is
    stored."""
    m = client.signup()
    slot, token = m.active_device()
    n = slot["number"]
    assert client.post("/v1/pos/sync", {"state": STATE | {"last_receipt_number": 1},
                                        "receipts": [receipt(n, 1)]}, token=token)[0] == 200
    assert client.post(f"/v1/pos_devices/{slot['id']}/deactivate", {"final_sync_hours": 24}, token=m.token)[0] == 200
    _once_after(monkeypatch, "receipts", "before:ids_taken",
                lambda: final_sync_service.end_final_sync(_owner(m), slot["id"]))
    shift = {"id": str(uuid.uuid4()), "opened_at": "2026-11-24T09:00:00Z", "closed_at": "2026-11-24T11:00:00Z",
             "starting_cash": 0}
    status, body = client.post("/v1/pos/sync", {"state": STATE | {"last_receipt_number": 3}, "shifts": [shift],
                                                "receipts": [receipt(n, 2), receipt(n, 3)]}, token=token)
    assert (status, body["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED"), body
    monkeypatch.undo()
    assert sorted(_stored_seqs(client, m, slot["id"])) == [1]
    status, shifts = client.get(f"/v1/shifts?pos_device_id={slot['id']}", token=m.token)
    assert shifts["shifts"] == [], shifts


# ---------------------------------------------------------------- under real concurrency

ROUNDS = 10


def _jitter():
    import time
    time.sleep(random.uniform(0, 0.03))


def _activate(api, merchant, device_id, installation_id):
    """By e-mail and password or by a pairing code, at random."""
    if random.random() < 0.5:
        status, body = api.post("/v1/pos/login", {"email": merchant.email, "password": merchant.password})
        assert status == 200, body
        return api.post("/v1/pos/activate", {"login_token": body["login_token"], "pos_device_id": device_id,
                                             "installation_id": installation_id})
    status, body = api.post(f"/v1/pos_devices/{device_id}/pairing_code", token=merchant.token)
    if status != 201:
        return status, body
    return api.post("/v1/pos/pair", {"code": body["code"], "installation_id": installation_id})


def test_the_numbering_invariant_under_every_interleaving(client, threaded_app):
    """Each round: the current device syncs two batches (one over a transaction's 49 receipts) while the owner
    deactivates it, with or without a final-sync window; then the old device uploads what it sold offline while
    the owner ends the window and a new installation activates the slot (by login or pairing code), all at once
    or the activation after the other two. After each round the new installation's first number lies above
    every stored number and above anything the old device may still upload, its receipts are accepted, and the
    slot's counts match what is stored."""
    random.seed(22)
    m = client.signup()
    slot = m.device("Till race")
    device_id = slot["id"]
    n = slot["number"]
    first = m.activate(device_id, "install-0")
    token, next_seq = first["device_token"], first["next_receipt_seq"]
    for round_ in range(ROUNDS):
        hours = random.choice([0, 24])
        a = [receipt(n, seq) for seq in range(next_seq, next_seq + 10)]
        b = [receipt(n, seq) for seq in range(next_seq + 10, next_seq + 65)]
        reported = next_seq + 64 + random.choice([0, 5])  # sometimes more than it sends
        first_sync = {"receipts": a, "state": STATE | {"last_receipt_number": reported}}
        answers = at_once(threaded_app, [
            lambda api, body=first_sync, token=token: api.post("/v1/pos/sync", body, token=token),
            lambda api, body={"receipts": b}, token=token: (_jitter(), api.post("/v1/pos/sync", body,
                                                                                 token=token))[1],
            lambda api, body={"final_sync_hours": hours}: (_jitter(), api.post(
                f"/v1/pos_devices/{device_id}/deactivate", body, token=m.token))[1],
        ])
        assert all(status in (200, 401) for status, _ in answers[:2]), answers
        assert answers[2][0] == 200, answers[2]
        late = [receipt(n, seq) for seq in range(next_seq + 65, next_seq + 120)]  # sold offline since
        upload = {"receipts": late, "state": STATE | {"last_receipt_number": next_seq + 119}}
        jobs = [lambda api, body=upload, token=token: api.post("/v1/pos/sync", body, token=token),
                lambda api: (_jitter(), api.post(f"/v1/pos_devices/{device_id}/end_final_sync", token=m.token))[1]]
        installation = f"install-{round_ + 1}"
        activate = (lambda api, installation=installation: (_jitter(),
                                                            _activate(api, m, device_id, installation))[1])
        if random.random() < 0.5:
            answers = at_once(threaded_app, jobs + [activate])
        else:
            answers = at_once(threaded_app, jobs) + [activate(client)]
        (up_status, up_body), (end_status, end_body), (act_status, activation) = answers
        assert up_status in (200, 401), up_body
        assert end_status in (200, 409), end_body
        assert act_status == 200, activation
        new_first = activation["next_receipt_seq"]
        # 1. Above every number the server holds (the new installation has not synced yet).
        stored = _stored_seqs(client, m, device_id)
        assert max(stored, default=0) < new_first, (round_, max(stored), new_first)
        # 2. Above anything the old installation may still upload: its own range ends below new_first.
        status, body = client.post("/v1/pos/sync", {"receipts": [receipt(n, new_first), receipt(n, new_first + 1)]},
                                   token=token)
        if status == 200:  # its window is still open
            assert body["accepted"] == 0, body
            assert {r["code"] for r in body["rejected"]} == {"RECEIPT_OUTSIDE_FINAL_SYNC"}, body
        else:
            assert status == 401, body
        # 3. The new installation's numbers are accepted, and the slot's counts match what is stored.
        token, next_seq = activation["device_token"], new_first
        status, body = client.post("/v1/pos/sync", {"receipts": [receipt(n, next_seq)],
                                                    "state": STATE | {"last_receipt_number": next_seq}}, token=token)
        assert (status, body["accepted"], body["rejected"]) == (200, 1, []), (round_, body)
        assert body["pos_device"]["synced_receipts"] == len(stored) + 1, (round_, body)
        next_seq += 1
