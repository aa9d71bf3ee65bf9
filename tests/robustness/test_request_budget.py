"""Issue 22.19 (remainder): the whole API request is bounded, not only each storage call. A request starts a budget
(REQUEST_BUDGET_SECONDS, 14 s by default: under the API function's 20 s and API Gateway's 29 s); storage sends no
attempt once it is spent (DynamoDB: a `before-send` hook on every attempt, botocore's retries included; SQLite: a
lock is waited for at most what is left) and the request answers 503 SERVICE_UNAVAILABLE in the contract's shape.

Before: with storage stalled (every DynamoDB attempt slow, none failing) a request took as long as its calls added
up to, well past its budget (a sync: 20+ calls), and a write behind a locked SQLite file waited its 10 s busy
timeout; here the budget is cut to a fraction of a second so that a stall of 0.3 s per attempt spends it."""
import contextlib
import sqlite3
import threading
import time

import pytest

from chalicelib import config, deadline
from tests.conftest import receipt

BUDGET = 0.6
STALL = 0.3


@pytest.fixture
def tiny_budget(monkeypatch):
    """Entered around the request under test only (setting up the merchant takes its own time)."""

    @contextlib.contextmanager
    def tiny():
        monkeypatch.setenv("REQUEST_BUDGET_SECONDS", str(BUDGET))
        config.reload()
        try:
            yield
        finally:
            monkeypatch.undo()
            config.reload()

    return tiny


class Stalled:
    """Every DynamoDB attempt waits `seconds` before moto answers it (a slow, not a failing, storage)."""

    def __init__(self, seconds: float):
        self.seconds, self.attempts = seconds, 0

    def __enter__(self):
        from moto.core.botocore_stubber import BotocoreStubber

        self.original = original = BotocoreStubber.__call__
        outer = self

        def call(stubber, event_name, request, **kwargs):
            if ".dynamodb." in event_name:
                outer.attempts += 1
                time.sleep(outer.seconds)
            return original(stubber, event_name, request, **kwargs)

        BotocoreStubber.__call__ = call
        return self

    def __exit__(self, *exc):
        from moto.core.botocore_stubber import BotocoreStubber

        BotocoreStubber.__call__ = self.original


def _shape(answer):
    return answer == {"errors": [{"code": "SERVICE_UNAVAILABLE", "details": answer["errors"][0]["details"],
                                  "field": None}]}


@pytest.mark.engine("moto")
def test_a_stalled_storage_answers_503_when_the_requests_budget_is_spent(client, tiny_budget):
    m = client.signup()
    device, token = m.active_device()
    body = {"state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False},
            "receipts": [receipt(device["number"], seq) for seq in (1, 2, 3)]}
    with tiny_budget(), Stalled(STALL) as stalled:
        started = time.monotonic()
        status, answer = client.post("/v1/pos/sync", body, token=token)
        took = time.monotonic() - started
    assert status == 503 and _shape(answer), answer
    # Stopped at the budget: at most the attempt under way when it ran out comes after it.
    assert took < BUDGET + STALL + 0.6, took
    assert stalled.attempts <= BUDGET / STALL + 2, stalled.attempts
    # What the request managed is whole (the sync's writes are each one transaction), and a retry completes it.
    status, again = client.post("/v1/pos/sync", body, token=token)
    assert status == 200 and again["accepted"] + again["duplicates"] == 3, again


@pytest.mark.engine("moto")
def test_the_same_stall_within_the_default_budget_is_only_slow(client):
    """The control: the budget, not the stall, made the 503 above."""
    m = client.signup()
    device, token = m.active_device()
    body = {"state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": False},
            "receipts": [receipt(device["number"], seq) for seq in (1, 2, 3)]}
    with Stalled(STALL) as stalled:
        status, answer = client.post("/v1/pos/sync", body, token=token)
    assert status == 200 and answer["accepted"] == 3, answer
    assert stalled.attempts > BUDGET / STALL + 2, stalled.attempts  # more than the tiny budget lets through


@pytest.mark.engine("sqlite")
def test_a_locked_sqlite_file_answers_503_within_the_budget_not_after_the_busy_timeout(client, tiny_budget):
    m = client.signup()
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock():
        conn = sqlite3.connect(config.settings().sqlite_path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(30)
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with tiny_budget():
            started = time.monotonic()
            status, answer = client.post("/v1/stores", {"name": "Harbour"}, token=m.token)
            took = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)
    assert status == 503 and _shape(answer), answer
    assert took < BUDGET + 0.5, took  # not the 10 s busy timeout
    status, stores = client.get("/v1/stores", token=m.token)
    # only the first store, made at sign-up: nothing half-written
    assert (status, [s["name"] for s in stores["stores"]]) == (200, ["Cafe"]), stores


def test_outside_a_request_there_is_no_budget_and_inside_it_runs_out():
    assert deadline.remaining() is None
    deadline.check()  # nothing to spend
    with deadline.budget(0.05):
        assert 0 < deadline.remaining() <= 0.05
        time.sleep(0.06)
        with pytest.raises(Exception) as refused:
            deadline.pause(0.01)
        assert refused.value.status == 503
    assert deadline.remaining() is None


def test_the_default_budget_and_one_more_attempt_fit_the_api_functions_timeout(monkeypatch):
    """On AWS: the budget (14 s), then at most the DynamoDB attempt under way (connect + read timeout) comes before
    the 503, all inside the API function's timeout (infra/functions.yml), itself under API Gateway's 29 s."""
    from pathlib import Path

    import yaml

    monkeypatch.delenv("REQUEST_BUDGET_SECONDS", raising=False)
    try:
        cfg = config.reload()
        timeout = yaml.safe_load((Path(__file__).parents[2] / "infra" / "functions.yml").read_text())[
            "APIHandler"]["timeout"]
        assert cfg.request_budget_seconds == 14
        worst = cfg.request_budget_seconds + cfg.dynamodb_connect_timeout_seconds + cfg.dynamodb_read_timeout_seconds
        assert worst < timeout < 29, (worst, timeout)
    finally:
        monkeypatch.undo()
        config.reload()
