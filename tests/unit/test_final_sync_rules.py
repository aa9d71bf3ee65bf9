"""The final sync's numbering rule as pure domain code (chalicelib/domain/final_sync.py): random stories of
activations, uploads, deactivations with and without a window, and closings keep the books balanced."""
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import final_sync as fs
from chalicelib.domain.devices import Device, Status

NOW, UNTIL = "2026-11-24T12:00:00Z", "2026-11-25T12:00:00Z"


def fresh() -> Device:
    return Device(merchant_id="m", id="d", name="Till", store_id="s", number=1)


class Story:
    """The slot plus what the server holds, changed only the way the services change it."""

    def __init__(self):
        self.device, self.held, self.activations = fresh(), set(), 0

    def activate(self):
        if self.device.status == Status.ACTIVATED:
            return
        self.activations += 1
        self.device = self.device.activated(f"inst{self.activations}", f"act{self.activations}", "h", "e", NOW)

    def sell_and_upload(self, sold: int, uploaded: int):
        d = self.device
        if d.status != Status.ACTIVATED:
            return
        first = d.next_receipt_seq
        seqs = list(range(first, first + sold))
        new = [s for s in seqs[:uploaded] if s not in self.held]
        self.held |= set(new)
        self.device = replace(d, last_receipt_number=max(d.last_receipt_number, first + sold - 1),
                              synced_receipts=d.synced_receipts + len(new))

    def old_uploads(self, sold_offline: int, uploaded: int):
        d = self.device
        if not d.final_sync_open:
            return
        top = min(d.final_sync_upto, d.final_sync_last_seq + sold_offline)
        candidates = [s for s in range(d.written_off_upto + 1, top + 1) if s not in self.held][:uploaded]
        for seq in candidates:
            assert fs.in_old_range(d, seq)
        self.held |= set(candidates)
        self.device = replace(d, final_sync_last_seq=top, synced_receipts=d.synced_receipts + len(candidates),
                              final_sync_held=d.final_sync_held + len(candidates),
                              final_sync_received=d.final_sync_received + len(candidates))

    def deactivate(self, hours: int):
        d = self.device
        if d.status != Status.ACTIVATED:
            return
        if d.final_sync_open:
            d, _ = fs.closed(d, NOW, fs.DEACTIVATED)
        self.device = fs.with_window(d, NOW, UNTIL) if hours else d.deactivated(NOW)[0]

    def close(self):
        if self.device.final_sync_open:
            self.device = fs.closed(self.device, NOW, fs.ENDED)[0]

    def check(self):
        d = self.device
        missing = sum(1 for first, last in fs.open_ranges(d) for s in range(first, last + 1) if s not in self.held)
        # Counters agree with what is held, range by range; no number is counted twice or in a gap.
        assert d.unsynced_receipts == missing, (d, sorted(self.held))
        assert d.synced_receipts == len(self.held)
        assert d.synced_receipts + d.lost_receipts + d.skipped_receipts + d.unsynced_receipts + (
            d.final_sync_upto - d.final_sync_last_seq if d.final_sync_open else 0) == d.numbering_top
        ranges = fs.open_ranges(d)
        assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:]))
        if d.final_sync_open and d.status == Status.ACTIVATED:
            assert d.first_seq == d.final_sync_upto + 1  # the new installation numbers above the reservation
        assert d.next_receipt_seq > max(self.held, default=0)


step = st.one_of(
    st.tuples(st.just("activate")),
    st.tuples(st.just("sell_and_upload"), st.integers(0, 6), st.integers(0, 6)),
    st.tuples(st.just("old_uploads"), st.integers(0, 4), st.integers(0, 6)),
    st.tuples(st.just("deactivate"), st.sampled_from([0, 0, 24])),
    st.tuples(st.just("close")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=25))
def test_books_balance_whatever_the_story(steps):
    story = Story()
    for name, *args in steps:
        getattr(story, name)(*args)
        story.check()


def test_the_reservation_is_released_when_nobody_took_numbers():
    story = Story()
    story.activate()
    story.sell_and_upload(5, 3)
    story.deactivate(24)
    assert story.device.next_receipt_seq == 5 + fs.FINAL_SYNC_RESERVE + 1
    story.close()
    assert (story.device.next_receipt_seq, story.device.lost_receipts) == (6, 2)
    assert story.device.skipped_receipts == 0
