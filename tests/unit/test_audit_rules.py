"""Audit rules (chalicelib/domain/audit.py): which devices need a look, their shards, and the bounded
search for missing receipt numbers."""
import random
import uuid
from collections import Counter
from dataclasses import replace

import pytest

from chalicelib.domain import audit as rules
from chalicelib.domain.devices import Device, Status


def device(**fields) -> Device:
    return replace(Device(merchant_id="m", id=str(uuid.uuid4()), name="Till", store_id="s", number=1,
                          status=Status.ACTIVATED, activation_id="a"), **fields)


def test_shards_are_stable_and_spread_the_fleet():
    assert rules.SHARDS >= 16
    assert rules.shard_of("device-1") == rules.shard_of("device-1") == f"{__import__('zlib').crc32(b'device-1') % rules.SHARDS:02d}"
    ids = [str(uuid.UUID(int=random.Random(7).getrandbits(128) ^ n)) for n in range(20_000)]
    shares = Counter(rules.shard_of(i) for i in ids)
    assert set(shares) == set(rules.all_shards())
    assert max(shares.values()) / len(ids) < 1.5 / rules.SHARDS  # no shard takes much more than its part


@pytest.mark.parametrize(("fields", "needs"), [
    ({}, False),
    ({"last_receipt_number": 5, "synced_receipts": 5}, False),
    ({"last_receipt_number": 5, "synced_receipts": 4}, True),
    ({"last_receipt_number": 5, "synced_receipts": 2, "lost_receipts": 3}, False),  # written off
    ({"shift_open": True}, True),
    ({"status": Status.INACTIVE, "shift_open": True, "last_receipt_number": 9}, False),
    ({"status": Status.NOT_ACTIVATED}, False),
    ({"last_receipt_number": 5, "deleted_at": "2026-11-24T12:00:00Z"}, False),
])
def test_needs_audit_and_its_index_key(fields, needs):
    d = device(**fields)
    assert rules.needs_audit(d) is needs
    assert rules.audit_shard(d) == (rules.shard_of(d.id) if needs else None)


class Server:
    """The receipts the server holds, and every lookup the search made."""

    def __init__(self, held):
        self.held, self.lookups = set(held), []

    def __call__(self, seqs):
        assert 0 < len(seqs) <= rules.LOOKUP_BATCH
        self.lookups.append(list(seqs))
        return [s for s in seqs if s in self.held]


def search(held, last, state=None, first=1):
    server = Server(held)
    unsynced = last - first + 1 - sum(1 for s in server.held if first <= s <= last)
    new, reads = rules.find_missing(state or rules.GapState.start(first), last, unsynced, server)
    assert reads == len(server.lookups) <= rules.RECEIPT_READS_PER_DEVICE
    return new, server


def test_small_gap_found_in_one_lookup_and_rechecked_by_its_numbers_only():
    state, server = search({1, 2, 4}, 6)
    assert (state.listed, state.checked_upto) == ((3, 5, 6), 6)
    assert server.lookups == [[1, 2, 3, 4, 5, 6]]
    # Next run, 5000 receipts later and 3 synced meanwhile: the listed numbers, then the new range.
    held = {1, 2, 3, 4} | set(range(7, 5007))
    state, server = search(held, 5006, state)
    assert server.lookups[0] == [3, 5, 6]
    assert (state.listed, state.checked_upto) == ((5, 6), 5006)  # count says all missing are known
    assert len(server.lookups) == 1


def test_a_thousand_receipts_are_never_all_read():
    held = set(range(1, 2001)) - {1500}
    state, server = search(held, 2000, rules.GapState(1, 1000))
    assert sum(map(len, server.lookups)) <= 2 * rules.LOOKUP_BATCH
    assert (state.listed, state.checked_upto) == ((), 1200)  # still looking: progress is kept
    state, server = search(held, 2000, state)
    state, server = search(held, 2000, state)
    assert state.listed == (1500,)


def test_listing_is_capped_and_stays_the_lowest():
    state, server = search({1, 152}, 152)
    assert (state.listed, state.checked_upto) == (tuple(range(2, 102)), 101)
    state, _ = search({1, 152} | set(range(2, 12)), 152, state)
    assert state.listed == tuple(range(12, 112))


def test_a_huge_reported_number_costs_no_lookups_beyond_the_budget():
    state, server = search({1, 3}, 10**9)
    assert (state.listed[:2], len(state.listed)) == ((2, 4), rules.MAX_LISTED_NUMBERS)
    assert len(server.lookups) <= rules.RECEIPT_READS_PER_DEVICE


def test_nothing_missing_reads_nothing():
    new, reads = rules.find_missing(rules.GapState.start(1), 50, 0, lambda seqs: pytest.fail("read"))
    assert (reads, new.listed) == (0, ())


def test_due_time_of_an_open_shift_and_of_missing_receipts():
    opened = device(shift_open=True, shift_opened_at="2026-11-24T10:30:00Z")
    assert rules.audit_due(opened, 24, 12) == "2026-11-24T22:30:00Z"  # the smaller of the two
    assert rules.audit_key(opened, 24, 12) == (rules.shard_of(opened.id), f"2026-11-24T22:30:00Z#{opened.id}")
    gap = replace(opened, last_receipt_number=2, synced_receipts=1)
    assert rules.audit_due(gap, 24, 12) == rules.IMMEDIATELY
    assert rules.audit_due(device(shift_open=True), 24, 24) == rules.IMMEDIATELY  # no opening time known
    assert rules.audit_due(device(shift_open=True, shift_opened_at="0976-01-01T00:00:00Z"), 24, 24) == \
        "0976-01-02T00:00:00Z"
    assert rules.audit_key(device(), 24, 24) == (None, None)
    from datetime import datetime, timezone
    bound = rules.due_by(datetime(2026, 11, 24, 22, 30, tzinfo=timezone.utc))
    assert f"2026-11-24T22:30:00Z#{opened.id}" < bound < f"2026-11-24T22:30:01Z#{opened.id}"
    assert f"{rules.IMMEDIATELY}#x" < bound


def _gap_search(held, last, gap, state=None, max_lookups=rules.RECEIPT_READS_PER_DEVICE):
    server = Server(held)
    issued = [s for s in range(1, last + 1) if not gap[0] <= s <= gap[1]]
    unsynced = sum(1 for s in issued if s not in server.held)
    new, reads = rules.find_missing(state or rules.GapState.start(1), last, unsynced, server, max_lookups, gap=gap)
    assert reads == len(server.lookups) <= max_lookups
    assert not any(gap[0] <= s <= gap[1] for batch in server.lookups for s in batch)  # the gap is never read
    return new, server


def test_the_gap_between_a_final_sync_range_and_the_new_range_is_never_missing():
    # Old installation: 1..5 reported, 4 and 5 not uploaded; reserved up to 1005; the new one numbers from 1006.
    state, server = _gap_search({1, 2, 3, 1006, 1008}, 1008, (6, 1005))
    assert (state.listed, state.checked_upto) == ((4, 5, 1007), 1008)
    assert server.lookups == [[1, 2, 3, 4, 5], [1006, 1007, 1008]]
    # Everything above the old range missing: listed without a lookup, the gap skipped.
    state, server = _gap_search({1, 2, 3}, 1008, (6, 1005))
    assert (state.listed, server.lookups) == ((4, 5, 1006, 1007, 1008), [[1, 2, 3, 4, 5]])


@pytest.mark.parametrize("seed", range(40))
def test_random_gaps_list_exactly_the_missing_issued_numbers(seed):
    rng = random.Random(seed)
    top = rng.randint(1, 60)
    gap = (top + 1, top + rng.randint(0, 300))
    last = gap[1] + rng.randint(0, 80)
    issued = [s for s in range(1, last + 1) if not gap[0] <= s <= gap[1]]
    held = {s for s in issued if rng.random() < 0.8}
    state = None
    for _ in range(20):  # enough runs to finish with unlimited patience
        state, _server = _gap_search(held, last, gap, state, max_lookups=10)
        if state.checked_upto == last:
            break
    missing = tuple(s for s in issued if s not in held)[:rules.MAX_LISTED_NUMBERS]
    assert state.listed == missing
