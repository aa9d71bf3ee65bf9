"""Issue 12.3-12.6: a POS app (or whoever holds its token) attacking the sync endpoint.

3. another slot's shift id, or a re-sent closed shift, must not move or rewrite the shift;
4. a sync refused with 401 writes nothing;
5. a receipt id reused under another number is rejected per receipt;
6. a reported last receipt number far beyond what a receipt can hold, or more than MAX_SEQ_AHEAD beyond what the slot holds, is refused (never ratcheted by reports).
"""
import uuid
from collections import Counter

import pytest

from tests.conftest import at_once, receipt
from tests.robustness.harness import all_pages, right_after

FIGURES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    print(f"\n[sync attacks] {dict(FIGURES)}")


def _sync(api, token, body, expect=200):
    status, answer = api.post("/v1/pos/sync", body, token=token)
    FIGURES["requests"] += 1
    assert status == expect, answer
    return answer


def _shifts(api, m, device_id=None):
    query = f"?pos_device_id={device_id}&limit=250" if device_id else "?limit=250"
    return {s["id"]: s for s in all_pages(api, f"/v1/shifts{query}", "shifts", m.token)}


def _receipts(api, m):
    return all_pages(api, "/v1/receipts?limit=250", "receipts", m.token)


# ---------------------------------------------------------------- 3. shifts


def test_another_slots_shift_id_is_rejected_and_the_shift_stays_where_it_is(client):
    m = client.signup()
    store = m.store()
    a = m.device("Till A", store["id"])
    b = m.device("Till B", store["id"])
    token_a = m.activate(a["id"])["device_token"]
    token_b = m.activate(b["id"])["device_token"]
    shift_id = str(uuid.uuid4())
    opened = {"id": shift_id, "opened_at": "2026-11-24T08:00:00Z", "starting_cash": 10000}
    _sync(client, token_a, {"state": {"last_receipt_number": 0, "open_tickets": 0, "shift_open": True},
                            "shifts": [opened]})

    # Till B claims Till A's shift, closes it and writes its own cash count, with a receipt inside it.
    stolen = opened | {"closed_at": "2026-11-24T18:00:00Z", "actual_cash": 1, "expected_cash": 1}
    answer = _sync(client, token_b, {"shifts": [stolen], "receipts": [receipt(b["number"], 1)]})
    assert [(r["id"], r["code"]) for r in (answer.get("rejected_shifts") or [])] == [(shift_id, "SHIFT_NOT_OWNED")], answer
    assert (answer["accepted"], answer["rejected"]) == (1, []), answer  # the receipt itself is fine

    shift = _shifts(client, m)[shift_id]
    assert (shift["pos_device_id"], shift["closed_at"], shift["actual_cash"]) == (a["id"], None, None), shift
    stored = _receipts(client, m)[0]
    assert stored["shift_id"] != shift_id, stored  # not filed under the other till's shift
    status, till_a = client.get(f"/v1/pos_devices/{a['id']}", token=m.token)
    assert till_a["shift_open"] is True, till_a
    status, till_b = client.get(f"/v1/pos_devices/{b['id']}", token=m.token)
    assert till_b["shift_open"] is False, till_b


def test_a_closed_shift_is_final_and_a_repeat_is_a_duplicate(client):
    m = client.signup()
    device, token = m.active_device()
    shift_id = str(uuid.uuid4())
    closed = {"id": shift_id, "opened_at": "2026-11-24T08:00:00Z", "closed_at": "2026-11-24T18:00:00Z",
              "starting_cash": 10000, "expected_cash": 15000, "actual_cash": 14950}
    _sync(client, token, {"shifts": [closed]})
    # Re-sent with another cash count, re-sent open, re-sent identical: none of them changes the shift.
    for copy in (closed | {"actual_cash": 0, "closed_by_employee": "someone-else"},
                 {k: v for k, v in closed.items() if k not in ("closed_at", "actual_cash", "expected_cash")},
                 closed):
        answer = _sync(client, token, {"shifts": [copy]})
        assert (answer.get("rejected_shifts") or []) == [], answer
        shift = _shifts(client, m, device["id"])[shift_id]
        assert (shift["closed_at"], shift["actual_cash"], shift["expected_cash"], shift["closed_by_employee"]) == (
            "2026-11-24T18:00:00Z", 14950, 15000, None), shift
    # An open shift can still be closed by its own slot.
    open_id = str(uuid.uuid4())
    _sync(client, token, {"shifts": [{"id": open_id, "opened_at": "2026-11-25T08:00:00Z"}]})
    _sync(client, token, {"shifts": [{"id": open_id, "opened_at": "2026-11-25T08:00:00Z",
                                      "closed_at": "2026-11-25T16:00:00Z", "actual_cash": 700}]})
    assert _shifts(client, m, device["id"])[open_id]["actual_cash"] == 700


# ---------------------------------------------------------------- 4. a refused sync writes nothing


def test_a_sync_refused_because_the_slot_was_just_deactivated_writes_nothing(client, threaded_app):
    """The slot is deactivated right after the sync authenticated (its read of the slot): the sync answers 401
    DEVICE_DEACTIVATED and neither its shift nor its receipts nor its report were stored."""
    from chalice.test import Client

    from tests.conftest import Api

    m = client.signup()
    device, token = m.active_device()
    other = Api(Client(threaded_app))

    def deactivate():
        status, body = other.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)
        assert status == 200, body

    shift_id = str(uuid.uuid4())
    body = {"state": {"last_receipt_number": 2, "open_tickets": 1, "shift_open": True},
            "shifts": [{"id": shift_id, "opened_at": "2026-11-24T08:00:00Z", "starting_cash": 500}],
            "receipts": [receipt(device["number"], seq) for seq in (1, 2)]}
    with right_after("GetItem", "pos_devices", deactivate) as fired:
        status, answer = client.post("/v1/pos/sync", body, token=token)
    FIGURES["requests"] += 1
    assert fired
    assert (status, answer["errors"][0]["code"]) == (401, "DEVICE_DEACTIVATED"), answer
    assert _shifts(client, m) == {}, "the refused sync stored its shift"
    assert _receipts(client, m) == []
    status, after = client.get(f"/v1/pos_devices/{device['id']}", token=m.token)
    assert (after["status"], after["synced_receipts"], after["last_receipt_number"], after["open_tickets"],
            after["last_sync_at"]) == ("INACTIVE", 0, 0, 0, None), after
    # And a revoked token's sync is refused before anything, too.
    status, answer = client.post("/v1/pos/sync", body, token=token)
    assert (status, _shifts(client, m), _receipts(client, m)) == (401, {}, [])


def test_a_sync_refused_for_its_state_report_writes_nothing(client):
    m = client.signup()
    device, token = m.active_device()
    body = {"state": {"last_receipt_number": 999_999_999, "open_tickets": 0, "shift_open": True},
            "shifts": [{"id": str(uuid.uuid4()), "opened_at": "2026-11-24T08:00:00Z"}],
            "receipts": [receipt(device["number"], 1)]}
    answer = _sync(client, token, body, expect=400)
    assert answer["errors"][0]["code"] == "LAST_RECEIPT_NUMBER_OUT_OF_RANGE", answer
    assert (_shifts(client, m), _receipts(client, m)) == ({}, [])


def test_a_deactivation_in_the_middle_of_a_batch_reports_what_landed(client, threaded_app, monkeypatch):
    """A batch of 54 receipts is two transactions (43 + 11, as on DynamoDB; SQLite takes a whole batch in one
    unless told otherwise). The slot is deactivated between them: what landed stays (200, accepted 43) and the rest
    is rejected per receipt with DEVICE_DEACTIVATED; a 401 would tell the device that nothing was stored, which is
    no longer true at that point."""
    from chalice.test import Client

    from chalicelib import wiring
    from tests.conftest import Api

    monkeypatch.setattr(wiring.adapters().receipts, "per_transaction", 43)

    m = client.signup()
    device, token = m.active_device()
    other = Api(Client(threaded_app))

    def deactivate():
        assert other.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)[0] == 200

    batch = [receipt(device["number"], seq) for seq in range(1, 55)]
    with right_after("TransactWriteItems", "receipts", deactivate) as fired:
        answer = _sync(client, token, {"receipts": batch})
    assert fired
    assert (answer["accepted"], [r["code"] for r in answer["rejected"]]) == (43, ["DEVICE_DEACTIVATED"] * 11)
    assert {r["id"] for r in answer["rejected"]} == {r["id"] for r in batch[43:]}
    assert (answer["pos_device"]["status"], answer["pos_device"]["synced_receipts"]) == ("INACTIVE", 43)
    assert len(_receipts(client, m)) == 43


# ---------------------------------------------------------------- 5. receipt ids


def test_a_receipt_id_reused_under_another_number_is_rejected(client):
    m = client.signup()
    store = m.store()
    a = m.device("Till A", store["id"])
    b = m.device("Till B", store["id"])
    token_a, token_b = m.activate(a["id"])["device_token"], m.activate(b["id"])["device_token"]
    first = receipt(a["number"], 1, total=500)
    _sync(client, token_a, {"receipts": [first]})

    # The same id under another number: in a later batch, in the same batch, and from another till.
    answer = _sync(client, token_a, {"receipts": [receipt(a["number"], 2, id=first["id"])]})
    assert [(r["id"], r["code"]) for r in answer["rejected"]] == [(first["id"], "RECEIPT_ID_REUSED")], answer
    twin = str(uuid.uuid4())
    answer = _sync(client, token_a, {"receipts": [receipt(a["number"], 3, id=twin),
                                                  receipt(a["number"], 4, id=twin)]})
    assert (answer["accepted"], [r["code"] for r in answer["rejected"]]) == (1, ["RECEIPT_ID_REUSED"]), answer
    answer = _sync(client, token_b, {"receipts": [receipt(b["number"], 1, id=first["id"])]})
    assert [r["code"] for r in answer["rejected"]] == ["RECEIPT_ID_REUSED"], answer
    # A true repeat is still a duplicate.
    answer = _sync(client, token_a, {"receipts": [first]})
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (0, 1, []), answer

    ids = Counter(r["id"] for r in _receipts(client, m))
    assert (ids[first["id"]], ids[twin], max(ids.values())) == (1, 1, 1), ids


def test_racing_syncs_cannot_store_one_id_under_two_numbers(client, threaded_app):
    m = client.signup()
    device, token = m.active_device()
    number = device["number"]
    for round_ in range(3):
        shared = str(uuid.uuid4())
        seqs = [10 * round_ + k for k in range(1, 5)]
        results = at_once(threaded_app, [
            (lambda api, seq=seq: api.post("/v1/pos/sync", {"receipts": [receipt(number, seq, id=shared)]},
                                           token=token)) for seq in seqs])
        FIGURES["requests"] += len(results)
        assert all(status == 200 for status, _ in results), results
        assert sum(body["accepted"] for _, body in results) == 1, results
        assert sorted(r["code"] for _, body in results for r in body["rejected"]) == ["RECEIPT_ID_REUSED"] * 3
        assert Counter(r["id"] for r in _receipts(client, m))[shared] == 1


# ---------------------------------------------------------------- 6. bounded counters


def test_a_device_cannot_brick_its_slot_with_a_huge_last_receipt_number(client):
    m = client.signup()
    device, token = m.active_device()
    number = device["number"]
    state = {"open_tickets": 0, "shift_open": False}
    for huge in (10**9, 10**12):
        answer = _sync(client, token, {"state": state | {"last_receipt_number": huge}}, expect=400)
        assert answer["errors"][0]["field"] == "state.last_receipt_number", answer
    for too_far in (999_999_999, 100_001):
        answer = _sync(client, token, {"state": state | {"last_receipt_number": too_far}}, expect=400)
        assert answer["errors"] == [{"code": "LAST_RECEIPT_NUMBER_OUT_OF_RANGE", "field": "state.last_receipt_number",
                                     "details": answer["errors"][0]["details"]}], answer
        assert "100,000" in answer["errors"][0]["details"]
    # A receipt numbered far ahead is rejected on its own and does not raise the slot's number either.
    answer = _sync(client, token, {"receipts": [receipt(number, 999_999_999), receipt(number, 1)]})
    assert (answer["accepted"], [r["code"] for r in answer["rejected"]]) == (1, ["RECEIPT_NUMBER_OUT_OF_RANGE"])
    assert (answer["pos_device"]["last_receipt_number"], answer["pos_device"]["unsynced_receipts"]) == (1, 0)
    # Within reach it is accepted (a till that was offline a long time) ...
    answer = _sync(client, token, {"state": state | {"last_receipt_number": 100_001}})
    assert answer["pos_device"]["unsynced_receipts"] == 100_000, answer
    # ... but the reach moves with what is stored, not with what was reported (issue 22: no ratchet) ...
    _sync(client, token, {"state": state | {"last_receipt_number": 200_001}}, expect=400)
    # ... and a receipt stored near the report moves it.
    assert _sync(client, token, {"receipts": [receipt(number, 100_001)]})["accepted"] == 1
    answer = _sync(client, token, {"state": state | {"last_receipt_number": 200_001}})
    assert answer["pos_device"]["last_receipt_number"] == 200_001
    # After a re-activation the slot still works: its next receipt is accepted.
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)[0] == 200
    activation = m.activate(device["id"])
    seq = activation["next_receipt_seq"]
    assert seq == 200_002
    answer = _sync(client, activation["device_token"], {"receipts": [receipt(number, seq)]})
    assert answer["accepted"] == 1, answer


def test_state_only_reports_cannot_ratchet_the_slot_past_a_receipt_number(client):
    """Issue 22 item 3: each report may run MAX_SEQ_AHEAD ahead, but of what the server holds, not of the previous
    report. 10,000 reports of +100,000 each used to push next_receipt_seq past 9 digits (every receipt then
    INVALID_RECEIPT_NUMBER, 999,999,000 "unsynced"); now the second one is refused and the slot stays usable."""
    m = client.signup()
    device, token = m.active_device()
    number = device["number"]
    state = {"open_tickets": 0, "shift_open": False}
    reported, refused = 0, 0
    for _ in range(12):
        reported += 100_000
        status, answer = client.post("/v1/pos/sync", {"state": state | {"last_receipt_number": reported}},
                                     token=token)
        if status == 400:
            assert answer["errors"][0]["code"] == "LAST_RECEIPT_NUMBER_OUT_OF_RANGE", answer
            refused += 1
            reported -= 100_000  # an honest retry would not climb further
        else:
            assert status == 200, answer
    assert refused == 11
    status, shown = client.get(f"/v1/pos_devices/{device['id']}", token=m.token)
    assert (shown["last_receipt_number"], shown["unsynced_receipts"]) == (100_000, 100_000), shown
    # The slot still takes its receipts, and a new activation gets a number that fits.
    answer = _sync(client, token, {"receipts": [receipt(number, 1)]})
    assert answer["accepted"] == 1, answer
    assert client.post(f"/v1/pos_devices/{device['id']}/deactivate", token=m.token)[0] == 200
    activation = m.activate(device["id"])
    assert activation["next_receipt_seq"] == 100_001
    answer = _sync(client, activation["device_token"], {"receipts": [receipt(number, 100_001)]})
    assert answer["accepted"] == 1, answer
