"""Issue 3, POS sync: batches sent by eight threads at once are stored exactly once.

Every thread has its own chalice.test.Client and goes through the real HTTP route. Two things of the
test harness (not of the product) are not thread-safe, and the fixtures below make them so:

* chalice.test.Client: Chalice keeps `current_request` on the app object, so a request can run
  with another thread's request (seen here with a short switch interval: a sync answered for the
  wrong device), and each request swaps `os.environ` for a copy, leaving a plain dict behind when
  requests overlap. `threaded_app` gives the app a thread-local `current_request` (Chalice's own
  LocalChalice, what `chalice local` and `make run` serve with) and restores `os.environ` after.
  On Lambda each container serves one request at a time, so the product does not need this.
* moto's in-process DynamoDB: TransactWriteItems checks conditions and writes without a lock and
  rolls back by restoring a deep copy of every table it touched, which can erase other threads'
  committed writes (or fail with "dictionary changed size during iteration"). `atomic_dynamodb`
  lets moto handle one DynamoDB request at a time, so each request is atomic as on DynamoDB. The
  requests of different threads still interleave freely, which is what these tests are about.
"""
import pytest
import random
import uuid

from bench.dynamo_counter import count_dynamodb
from tests.conftest import at_once, receipt

THREADS = 8


def send(token, receipts, state=None):
    def job(api):
        body = {"receipts": receipts} | ({"state": state} if state else {})
        return api.post("/v1/pos/sync", body, token=token)

    return job


def stored_receipts(client, token):
    items, cursor = [], None
    while True:
        status, body = client.get("/v1/receipts?limit=250" + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert status == 200, body
        items += body["receipts"]
        cursor = body["cursor"]
        if not cursor:
            return items


def device_counters(client, m, device_id):
    status, device = client.get(f"/v1/pos_devices/{device_id}", token=m.token)
    assert status == 200, device
    return {k: device[k] for k in ("synced_receipts", "last_receipt_number", "unsynced_receipts")}


@pytest.mark.engine("moto")  # reads or counts what the DynamoDB adapter sends
def test_eight_threads_sending_overlapping_batches_store_every_receipt_exactly_once(client, threaded_app):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    pool = {seq: receipt(n, seq) for seq in range(1, 30)}
    jobs = []
    for i in range(THREADS):
        seqs = list(range(3 * i + 1, 3 * i + 9))  # 8 receipts; windows overlap, every receipt sent 1-3 times
        batch = [pool[seq] for seq in seqs]
        random.Random(i).shuffle(batch)
        jobs.append(send(token, batch, {"last_receipt_number": max(seqs), "open_tickets": 0, "shift_open": True}))

    with count_dynamodb() as counter:
        results = at_once(threaded_app, jobs)

    for status, body in results:
        assert status == 200, body
        assert (body["rejected"], body["accepted"] + body["duplicates"]) == ([], 8), body
    assert sum(body["accepted"] for _, body in results) == 29
    # Exactly 29 receipt writes succeeded, over all threads: none was written twice.
    assert counter.items_written("receipts") == 29, counter.summary()
    stored = stored_receipts(client, m.token)
    assert sorted((r["receipt_number"], r["id"]) for r in stored) == sorted(
        (f"{n}-{seq}", r["id"]) for seq, r in pool.items())
    assert device_counters(client, m, device["id"]) == {"synced_receipts": 29, "last_receipt_number": 29,
                                                        "unsynced_receipts": 0}


def test_the_same_batch_sent_by_eight_threads_at_once_counts_as_one_send(client, threaded_app):
    m = client.signup()
    device, token = m.active_device()
    batch = [receipt(device["number"], seq) for seq in range(1, 21)]
    state = {"last_receipt_number": 22, "open_tickets": 0, "shift_open": False}

    results = at_once(threaded_app, [send(token, batch, state) for _ in range(THREADS)])

    assert all(status == 200 for status, _ in results), results
    assert sum(body["accepted"] for _, body in results) == 20
    assert sum(body["duplicates"] for _, body in results) == 20 * (THREADS - 1)
    assert all(body["rejected"] == [] for _, body in results)
    assert sorted(r["id"] for r in stored_receipts(client, m.token)) == sorted(r["id"] for r in batch)
    assert device_counters(client, m, device["id"]) == {"synced_receipts": 20, "last_receipt_number": 22,
                                                        "unsynced_receipts": 2}


def test_eight_threads_racing_for_one_receipt_number_leave_exactly_one_receipt(client, threaded_app):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    # Each thread: its own receipt for number n-1 (a different id each time), and a receipt of its own.
    contenders = [receipt(n, 1, id=str(uuid.uuid4())) for _ in range(THREADS)]
    own = [receipt(n, 2 + i) for i in range(THREADS)]

    results = at_once(threaded_app, [send(token, [contenders[i], own[i]]) for i in range(THREADS)])

    assert all(status == 200 for status, _ in results), results
    winners = [i for i, (_, body) in enumerate(results) if body["accepted"] == 2]
    assert len(winners) == 1, results
    for i, (_, body) in enumerate(results):
        if i != winners[0]:
            assert (body["accepted"], body["duplicates"]) == (1, 0), body
            assert [(r["id"], r["code"]) for r in body["rejected"]] == [(contenders[i]["id"], "RECEIPT_NUMBER_TAKEN")]
    status, kept = client.get(f"/v1/receipts/{n}-1", token=m.token)
    assert (status, kept["id"]) == (200, contenders[winners[0]]["id"])
    assert len(stored_receipts(client, m.token)) == 1 + THREADS
    assert device_counters(client, m, device["id"])["synced_receipts"] == 1 + THREADS
