"""Exponential backoff for the hand-written retry loops: a receipt or shift guard found taken (services/sync.py),
a slot version race (adapters' record_sync_state), a failed audit shard (services/audit.py).

The use cases and the adapters both use it. A pause inside an API request never outlasts the request's budget
(chalicelib/deadline.py): it answers 503 instead of sleeping past it.
"""
import random

from chalicelib import deadline


def delay(attempt: int, base: float, cap: float | None = None, jitter: bool = True) -> float:
    """Seconds to wait after failed try number `attempt` (from 0): `base * 2 ** attempt`, at most `cap`; with
    `jitter`, a random part of that ("full jitter"), so writers that raced each other spread out."""
    seconds = base * 2 ** attempt
    if cap is not None:
        seconds = min(cap, seconds)
    return seconds * random.random() if jitter else seconds


def pause(attempt: int, base: float, cap: float | None = None, jitter: bool = True) -> None:
    """Sleep `delay(attempt, base, cap, jitter)`, within the request's budget (deadline.pause)."""
    deadline.pause(delay(attempt, base, cap, jitter))
