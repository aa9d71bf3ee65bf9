"""Issue 16 over real HTTP: `python -m local.server` and two POS simulators. The old tablet is deactivated
with a final sync, a new one pairs with a code and sells at once, the old one uploads its queue instead
of dropping it; then a deactivation without a final sync drops a queue as before."""
import time

from tests.system.test_local_server import PASSWORD, Sim, _start, http, merchant_with_pos, ok, servers  # noqa: F401


def test_pairing_and_final_sync_story(tmp_path, capsys, servers):  # noqa: F811 - the imported fixture
    url = _start(servers, tmp_path / "state").base_url
    m = merchant_with_pos(url)
    device_id, token = m["device"]["id"], m["token"]
    old = Sim(capsys, url, tmp_path / "old.json")
    new = Sim(capsys, url, tmp_path / "new.json")

    # The old tablet sells; two receipts are still on it when the owner deactivates it.
    old("login", "--email", m["email"], "--password", PASSWORD)
    old("activate", "--pos", "Till 1")
    old("open-shift", "--cash", "5000")
    old("sell", "--count", "3")
    old("sync")
    old("sell", "--count", "2")
    _, out, _ = old("state")
    assert "2 missing" in out
    device = ok(http(url, "POST", f"/v1/pos_devices/{device_id}/deactivate", {"final_sync_hours": 72}, token))
    assert device["status"] == "INACTIVE"
    assert device["final_sync_until"]
    assert device["final_sync_owed_receipts"] == 2

    # The new tablet pairs with a code (no password on it) and sells at once, above the old one's range.
    code = ok(http(url, "POST", f"/v1/pos_devices/{device_id}/pairing_code", {"expires_in_seconds": 300}, token),
              201)["code"]
    _, out, _ = new("pair", "--code", code.lower())
    assert "Paired with a code: activated POS #1 'Till 1'" in out, out
    assert "Next receipt: 1-1006." in out, out
    # A used code: another tablet is refused; the same one sending it again (its answer lost) is not (issue 22.21).
    third = Sim(capsys, url, tmp_path / "third.json")
    _, _, err = third("pair", "--code", code, expect=1)
    assert "wrong, expired or already used" in err
    _, out, _ = new("pair", "--code", code)
    assert "Paired with a code: activated POS #1 'Till 1'" in out and "Next receipt: 1-1006." in out, out
    new("open-shift")
    new("sell", "--count", "2")
    _, out, _ = new("sync")
    assert "2 accepted" in out

    # The old tablet, unaware, sells once more and closes its shift, then syncs: its queue goes up.
    old("sell", "--count", "1")
    old("close-shift")
    _, out, err = old("sync", expect=3)
    assert "Batch 1: sent 3 receipt(s) and 1 shift event(s): 3 accepted" in out, out
    assert "uploaded its queue instead of dropping it: 3 receipt(s) accepted" in err, err
    assert "The final sync is over: the server has every receipt this device reported." in err, err
    assert old.state["device_token"] is None
    assert old.state["revoked"]["uploaded_receipts"] == 3
    _, out, _ = old("status")
    assert "with a final sync (FINAL_SYNC); 0 unsynced receipt(s) dropped, 3 uploaded in the final sync" in out, out

    receipts = ok(http(url, "GET", f"/v1/receipts?pos_device_id={device_id}&limit=250", token=token))["receipts"]
    assert sorted(r["receipt_number"] for r in receipts) == sorted(
        ["1-1", "1-2", "1-3", "1-4", "1-5", "1-6", "1-1006", "1-1007"])
    device = ok(http(url, "GET", f"/v1/pos_devices/{device_id}", token=token))
    assert (device["status"], device["unsynced_receipts"], device["lost_receipts"], device["final_sync_until"]) == (
        "ACTIVATED", 0, 0, None)
    run = ok(http(url, "POST", "/v1/audit/runs", token=token), 202)  # runs in the server's thread: polled
    for _ in range(300):
        if run["status"] != "RUNNING":
            break
        time.sleep(0.1)
        run = ok(http(url, "GET", f"/v1/audit/runs/{run['id']}", token=token))
    assert run["status"] == "SUCCEEDED", run
    assert ok(http(url, "GET", "/v1/audit/findings?status=open", token=token))["findings"] == []
    events = ok(http(url, "GET", f"/v1/events?pos_device_id={device_id}&limit=250", token=token))["events"]
    [closed] = [e for e in events if e["type"] == "pos_device.final_sync_closed"]
    assert (closed["details"]["reason"], closed["details"]["received_receipts"]) == ("SYNCED", 3)
    assert sorted(e["details"]["method"] for e in events if e["type"] == "pos_device.activated") == [
        "LOGIN", "PAIRING_CODE"]

    # A stolen tablet: deactivated with no final sync, its queue is dropped as before.
    new("sell", "--count", "1")
    device = ok(http(url, "POST", f"/v1/pos_devices/{device_id}/deactivate", {"final_sync_hours": 0}, token))
    assert device["final_sync_until"] is None
    _, _, err = new("sync", expect=3)
    assert "was deactivated in the back office (DEVICE_DEACTIVATED)" in err, err
    assert "Dropped" in err, err
