"""Issue 12, point 7: audits run at once (the back office's POST /v1/audit/runs and the scheduled run, on
parallel threads through the real routes) raise and resolve each finding once: a finding is unique per
device and type (its raise claims a deterministic key in the same transaction). Before the fix, 6 concurrent
POST /v1/audit/runs left 3-5 open findings for one device. Since issue 27.5 a POST while the merchant's run is
RUNNING answers that run (counts null until it finishes): the counts are summed over distinct runs."""
from tests.conftest import at_once
from tests.functional.test_audit_scale import open_findings, scheduled, sync


def test_concurrent_audits_raise_and_resolve_a_finding_once(client, threaded_app):
    m = client.signup()
    device, token = m.active_device()
    sync(client, token, last=3, seqs=(1,))

    def back_office(api):
        return api.post("/v1/audit/runs", token=m.token)

    def schedule(api):
        return 200, scheduled(api)

    results = at_once(threaded_app, [back_office] * 6 + [schedule] * 2)
    assert sorted(status for status, _ in results) == [200] * 2 + [202] * 6, results
    assert total(results, "raised") == 1
    [finding] = open_findings(client, m.token)
    assert finding["missing_receipt_numbers"] == ["1-2", "1-3"]
    status, body = client.get(f"/v1/audit/findings?pos_device_id={device['id']}", token=m.token)
    assert (status, len(body["findings"])) == (200, 1), body

    sync(client, token, last=3, seqs=(2, 3))
    results = at_once(threaded_app, [back_office] * 6 + [schedule] * 2)
    assert total(results, "resolved") == 1
    assert open_findings(client, m.token) == []

    # Raised again later: a new finding, still only one.
    sync(client, token, last=4)
    results = at_once(threaded_app, [back_office] * 6)
    assert total(results, "raised") == 1
    [again] = open_findings(client, m.token)
    assert again["id"] != finding["id"]
    assert again["missing_receipt_numbers"] == ["1-4"]


def total(results, count: str) -> int:
    """`count` summed over the scheduled runs and the distinct back-office runs (a POST while the merchant's run
    is RUNNING answers that run, its counts still null)."""
    runs: dict[str, int] = {}
    for n, (_, body) in enumerate(results):
        key = body.get("id") or f"scheduled-{n}"
        runs[key] = max(runs.get(key, 0), body[count] or 0)  # the POST that ran it answers it finished
    return sum(runs.values())
