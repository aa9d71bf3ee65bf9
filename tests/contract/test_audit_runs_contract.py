"""Contract: the back office's audit runs (ports.AuditRuns), one running at a time per merchant, the same on SQLite
and DynamoDB."""
import threading

from tests.contract.world import new_id

NOW = 1_800_000_000


def new_run(merchant_id: str, until: int = NOW + 900, **fields) -> dict:
    return {"merchant_id": merchant_id, "id": new_id(), "status": "RUNNING", "started_at": "2027-01-15T08:00:00Z",
            "finished_at": None, "running_until_epoch": until, "requested_by": "e-1", "error": None} | fields


def test_a_run_is_stored_read_back_and_finished(repos):
    merchant = new_id()
    run = new_run(merchant)
    assert repos.audit_runs.start(run, NOW) == run
    assert repos.audit_runs.get(merchant, run["id"]) == run
    assert repos.audit_runs.get(merchant, new_id()) is None
    assert repos.audit_runs.get(new_id(), run["id"]) is None  # another merchant's key names nothing
    done = run | {"status": "SUCCEEDED", "finished_at": "2027-01-15T08:01:00Z", "devices_checked": 3, "raised": 1}
    repos.audit_runs.finish(done)
    assert repos.audit_runs.get(merchant, run["id"]) == done


def test_while_a_run_runs_start_answers_it_and_stores_nothing(repos):
    merchant, other = new_id(), new_id()
    first = new_run(merchant)
    repos.audit_runs.start(first, NOW)
    second = new_run(merchant)
    assert repos.audit_runs.start(second, NOW + 10) == first
    assert repos.audit_runs.get(merchant, second["id"]) is None
    # Another merchant is not held by it.
    theirs = new_run(other)
    assert repos.audit_runs.start(theirs, NOW + 10) == theirs
    # Finished: the next one starts.
    repos.audit_runs.finish(first | {"status": "FAILED", "finished_at": "x", "error": "RuntimeError"})
    third = new_run(merchant)
    assert repos.audit_runs.start(third, NOW + 20) == third


def test_a_run_past_its_deadline_no_longer_holds_the_merchant(repos):
    merchant = new_id()
    dead = new_run(merchant, until=NOW + 900)
    repos.audit_runs.start(dead, NOW)
    assert repos.audit_runs.start(new_run(merchant), NOW + 900) == dead  # at its deadline: still its
    fresh = new_run(merchant, until=NOW + 1801)
    assert repos.audit_runs.start(fresh, NOW + 901) == fresh
    # The dead run finishing late leaves the new run's hold alone.
    repos.audit_runs.finish(dead | {"status": "SUCCEEDED", "finished_at": "late"})
    assert repos.audit_runs.start(new_run(merchant), NOW + 902) == fresh
    assert repos.audit_runs.get(merchant, dead["id"])["status"] == "SUCCEEDED"


def test_runs_started_at_once_one_wins_and_every_caller_gets_it(repos):
    merchant = new_id()
    runs = [new_run(merchant) for _ in range(6)]
    answers, barrier = [None] * len(runs), threading.Barrier(len(runs))

    def start(index):
        barrier.wait()
        answers[index] = repos.audit_runs.start(runs[index], NOW)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = {answer["id"] for answer in answers}
    assert len(winners) == 1, answers
    [winner] = winners
    assert [repos.audit_runs.get(merchant, run["id"]) is not None for run in runs].count(True) == 1
    assert repos.audit_runs.get(merchant, winner)["status"] == "RUNNING"
