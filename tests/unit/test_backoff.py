"""chalicelib/backoff.py: the one backoff of the hand-written retry loops (sync, audit, record_sync_state)."""
import pytest

from chalicelib import backoff, deadline
from chalicelib.errors import ServiceUnavailable


def test_without_jitter_the_delay_doubles_up_to_the_cap():
    assert [backoff.delay(attempt, 1.0, cap=5.0, jitter=False) for attempt in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.delay(10, 0.01, jitter=False) == pytest.approx(10.24)  # no cap: only the loop's attempts bound it


def test_with_jitter_the_delay_is_a_random_part_of_it(monkeypatch):
    monkeypatch.setattr(backoff.random, "random", lambda: 0.5)
    assert (backoff.delay(0, 0.02, cap=0.5), backoff.delay(3, 0.02, cap=0.5), backoff.delay(9, 0.02, cap=0.5)) == (
        0.01, 0.08, 0.25)
    monkeypatch.undo()
    delays = {backoff.delay(4, 0.02, cap=0.5) for _ in range(50)}
    assert all(0 <= d < 0.32 for d in delays)
    assert len(delays) > 1


def test_pause_sleeps_the_delay(monkeypatch):
    slept = []
    monkeypatch.setattr(deadline.time, "sleep", slept.append)
    backoff.pause(2, 1.0, cap=3.0, jitter=False)
    assert slept == [3.0]


def test_a_pause_never_outlasts_the_request_budget(monkeypatch):
    slept = []
    monkeypatch.setattr(deadline.time, "sleep", slept.append)
    with deadline.budget(0.5), pytest.raises(ServiceUnavailable):
        backoff.pause(2, 1.0, cap=3.0, jitter=False)  # 3 s wanted, under 0.5 s left: 503 after what is left
    assert len(slept) == 1
    assert slept[0] <= 0.5
