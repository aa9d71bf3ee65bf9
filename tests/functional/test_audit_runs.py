"""Issue 27.5: POST /v1/audit/runs answers 202 with a run that goes on in the background (on AWS the `audit_merchant`
function, invoked asynchronously; in tests the Lambda bridge holds the invocation as Lambda's queue would), readable
at GET /v1/audit/runs/{id}: RUNNING, then SUCCEEDED with the counts, or FAILED. One run at a time per merchant: a
POST while it runs answers the running one. Before: the audit of the whole fleet ran inside the request (200 with
the counts), a 504 for a large merchant."""
import app as app_module
from tests.functional.test_audit import sync


def _held(aws):
    aws.held = []
    return aws.held


def test_a_run_answers_202_at_once_and_its_status_is_polled_until_it_succeeds(client, aws, at):
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=3, seqs=(1,))  # receipts 2 and 3 missing: the run will raise a finding
    held = _held(aws)
    status, run = client.post("/v1/audit/runs", token=m.token)
    assert status == 202, run
    assert run["status"] == "RUNNING" and run["finished_at"] is None and run["raised"] is None, run
    assert run["started_at"] == "2026-11-24T12:00:00Z"
    assert held == [("audit_merchant", {"merchant_id": m.merchant["id"], "run_id": run["id"]})]
    assert client.get("/v1/audit/findings?status=open", token=m.token)[1]["findings"] == []  # not run yet
    assert client.get(f"/v1/audit/runs/{run['id']}", token=m.token) == (200, run)

    # A second POST while it runs: the same run, nothing else started.
    assert client.post("/v1/audit/runs", token=m.token) == (202, run)
    assert len(held) == 1

    at(minutes=2)
    name, event = held.pop()
    aws.invoke(name, event)  # Lambda runs the queued invocation
    status, done = client.get(f"/v1/audit/runs/{run['id']}", token=m.token)
    assert status == 200 and done["status"] == "SUCCEEDED", done
    assert (done["devices_checked"], done["raised"], done["failed_devices"]) == (1, 1, 0)
    assert done["finished_at"] == "2026-11-24T12:02:00Z" and done["error"] is None
    [finding] = client.get("/v1/audit/findings?status=open", token=m.token)[1]["findings"]
    assert finding["pos_device_id"] == device["id"]

    # Finished: the next POST is a new run.
    status, second = client.post("/v1/audit/runs", token=m.token)
    assert status == 202 and second["id"] != run["id"] and second["status"] == "RUNNING"


def test_a_run_whose_function_died_reads_failed_and_does_not_block_the_next(client, aws, at):
    m = client.signup()
    _held(aws)
    status, run = client.post("/v1/audit/runs", token=m.token)
    assert status == 202 and run["status"] == "RUNNING"
    at(minutes=10)
    assert client.post("/v1/audit/runs", token=m.token) == (202, run)  # still within its time
    at(minutes=16)  # past AUDIT_RUN_SECONDS (900): the function timed out, never wrote its outcome
    status, dead = client.get(f"/v1/audit/runs/{run['id']}", token=m.token)
    assert status == 200 and (dead["status"], dead["error"]) == ("FAILED", "TIMED_OUT"), dead
    status, fresh = client.post("/v1/audit/runs", token=m.token)
    assert status == 202 and fresh["id"] != run["id"] and fresh["status"] == "RUNNING", fresh
    # The old run's invocation, delivered late after all, records its own outcome and leaves the new run the
    # merchant's: a POST still answers the new one.
    assert app_module.audit_merchant({"merchant_id": m.merchant["id"], "run_id": run["id"]}, None)[
        "status"] == "SUCCEEDED"
    assert client.post("/v1/audit/runs", token=m.token) == (202, fresh)


def test_a_run_that_fails_reads_failed_with_the_reason(client, aws, monkeypatch):
    from chalicelib.services import audit

    m = client.signup()
    m.active_device()

    def broken(merchant_id, store_ids=None):
        raise RuntimeError("storage fell over")

    monkeypatch.setattr(audit, "run_for_merchant", broken)
    status, run = client.post("/v1/audit/runs", token=m.token)
    assert status == 202 and (run["status"], run["error"]) == ("FAILED", "RuntimeError"), run
    assert run["finished_at"] is not None and run["raised"] is None
    status, again = client.post("/v1/audit/runs", token=m.token)  # a failed run does not hold the merchant
    assert status == 202 and again["id"] != run["id"]


def test_runs_are_the_merchants_own_and_need_a_back_office_role(client, aws):
    a, b = client.signup(), client.signup()
    _held(aws)
    status, run = client.post("/v1/audit/runs", token=a.token)
    assert status == 202
    status, body = client.get(f"/v1/audit/runs/{run['id']}", token=b.token)
    assert status == 404 and body["errors"][0]["code"] == "NOT_FOUND", body
    # b's own run is not held by a's.
    status, other = client.post("/v1/audit/runs", token=b.token)
    assert status == 202 and other["id"] != run["id"]
    assert client.get("/v1/audit/runs/not-a-run", token=a.token)[0] == 404
    assert client.get(f"/v1/audit/runs/{run['id']}")[0] == 401


def test_a_managers_run_checks_their_stores_only_and_an_owners_counts_stay_hidden_from_them(client, aws):
    """Team access (issue 23) meets background runs: a MANAGER's run audits the POS devices of their stores; a run
    that covered other stores shows a manager no counts (they would tell how many POS the other stores have)."""
    m = client.signup()
    store_a, store_b = m.store("A"), m.store("B")
    for store in (store_a, store_b):
        device = m.device(f"Till {store['name']}", store_id=store["id"])
        token = m.activate(device["id"])["device_token"]
        sync(client, token, last=3, seqs=(1,), number=device["number"])  # 2 receipts missing on each
    manager = m.employee("Mia", "MANAGER", password="manager pass 1", store_ids=[store_a["id"]])
    status, run = client.post("/v1/audit/runs", token=manager["token"])
    assert (status, run["status"], run["devices_checked"], run["raised"]) == (202, "SUCCEEDED", 1, 1), run
    findings = client.get("/v1/audit/findings?status=open", token=m.token)[1]["findings"]
    assert len(findings) == 1, findings  # the other store's POS was not audited by the manager's run
    status, owners = client.post("/v1/audit/runs", token=m.token)
    assert (status, owners["devices_checked"], owners["raised"]) == (202, 2, 1), owners
    status, seen = client.get(f"/v1/audit/runs/{owners['id']}", token=manager["token"])
    assert (status, seen["status"], seen["devices_checked"], seen["raised"]) == (200, "SUCCEEDED", None, None), seen
