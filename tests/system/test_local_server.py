"""`make run` for real: `python -m local.server` as a subprocess on a free port, driven over HTTP by the
POS simulator (`local/pos_sim.py`, called in process) and by plain urllib as the back office; stopped
with SIGINT and started again on the same data."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from local import pos_sim

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90  # seconds; the machine may be busy with other suites
STOP_TIMEOUT = 15
PASSWORD = "correct horse 1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalServer:
    """One `python -m local.server` process; its output goes to a log file the test can read."""

    def __init__(self, state_dir: Path, port: int | None = None, **env):
        self.state_dir, self.port = state_dir, port or _free_port()
        self.env = dict(os.environ) | {
            "PORT": str(self.port), "POS_LOCAL_STATE_DIR": str(state_dir), "POS_SEED_DEMO": "0",
            "POS_SYNC_WAIT_SECONDS": "0", "POS_SYNC_WAIT_ATTEMPTS": "1", "PASSWORD_HASH_PROFILE": "fast",
            "POS_AUDIT_INTERVAL_SECONDS": "3600", "PYTHONUNBUFFERED": "1",
        } | env
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = state_dir.parent / f"server-{self.port}-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen | None = None

    @property
    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def start(self) -> "LocalServer":
        with open(self.log_path, "w") as log:
            # Its own process group, as a terminal would start it.
            self.process = subprocess.Popen([sys.executable, "-m", "local.server"], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"local.server exited with {self.process.returncode}:\n{self.output[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/v1/openapi.json", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"local.server did not answer within {START_TIMEOUT}s:\n{self.output[-4000:]}")
            time.sleep(0.1)

    def interrupt(self) -> tuple[int, float]:
        """Ctrl-C: SIGINT, then the exit code and how long it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"local.server still running {STOP_TIMEOUT}s after SIGINT:\n{self.output[-4000:]}")
        return code, time.monotonic() - started

    def kill(self) -> None:
        """kill -9 of the whole process group."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


@pytest.fixture
def servers():
    """Every server a test starts is gone when it ends, whatever happened."""
    started: list[LocalServer] = []
    yield started
    for server in started:
        server.kill()


def _start(servers, state_dir: Path, port: int | None = None, **env) -> LocalServer:
    server = LocalServer(state_dir, port, **env)
    servers.append(server)
    return server.start()


# ---------------------------------------------------------------- the back office, over HTTP


def http(base_url: str, method: str, path: str, body=None, token: str | None = None):
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    return status, (json.loads(raw) if raw else None)


def ok(result, expected=200):
    status, body = result
    assert status == expected, body
    return body


def merchant_with_pos(base_url: str, pos_name: str = "Till 1") -> dict:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    owner = ok(http(base_url, "POST", "/v1/signup", {"business_name": "Cafe Sim", "email": email,
                                                      "password": PASSWORD}), 201)
    store = ok(http(base_url, "POST", "/v1/stores", {"name": "Old Town"}, owner["token"]), 201)
    device = ok(http(base_url, "POST", "/v1/pos_devices", {"name": pos_name, "store_id": store["id"]},
                     owner["token"]), 201)
    return {"email": email, "token": owner["token"], "store": store, "device": device}


def delete_and_wait(base_url: str, token: str, device_id: str, timeout: float = 60) -> dict:
    ok(http(base_url, "DELETE", f"/v1/pos_devices/{device_id}", token=token), 202)
    return wait_deletion(base_url, token, device_id, lambda d: d["status"] != "RUNNING", timeout)


def wait_deletion(base_url, token, device_id, until, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        deletion = ok(http(base_url, "GET", f"/v1/pos_devices/{device_id}/deletion", token=token))
        if until(deletion):
            return deletion
        assert time.monotonic() < deadline, f"deletion not there after {timeout}s: {deletion}"
        time.sleep(0.1)


class Sim:
    """The POS simulator's CLI, in process: (exit code, stdout, stderr) per command."""

    def __init__(self, capsys, base_url: str, state_path: Path):
        self.capsys, self.base_url, self.state_path = capsys, base_url, state_path

    def __call__(self, *argv: str, expect: int | None = 0) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = pos_sim.main([*argv, "--base-url", self.base_url, "--state", str(self.state_path)])
        out, err = self.capsys.readouterr()
        if expect is not None:
            assert code == expect, f"pos_sim {' '.join(argv)} exited {code}\n{out}\n{err}"
        return code, out, err

    @property
    def state(self) -> dict:
        return json.loads(self.state_path.read_text())


# ---------------------------------------------------------------- tests


def test_the_whole_story_over_http_survives_a_restart(tmp_path, capsys, servers):
    state_dir = tmp_path / "state"
    server = _start(servers, state_dir)
    assert f"POS back office running on {server.base_url}" in server.output
    url = server.base_url
    m = merchant_with_pos(url)
    device_id, token = m["device"]["id"], m["token"]
    sim = Sim(capsys, url, tmp_path / "pos_sim.json")

    # The POS app logs in with the owner's account, sees the free POS and takes it.
    _, out, _ = sim("login", "--email", m["email"], "--password", PASSWORD)
    assert "Till 1" in out
    assert "NOT_ACTIVATED" in out
    _, out, _ = sim("activate", "--pos", "till 1")
    assert "Activated POS #1 'Till 1'" in out
    assert sim.state["device_token"]
    assert sim.state["next_seq"] == 1

    # Offline: a shift and three sales, queued on the "phone" only.
    sim("open-shift", "--cash", "10000")
    _, out, _ = sim("sell", "--count", "3", "--total", "350")
    assert "1-1, 1-2, 1-3" in out
    assert [r["receipt_number"] for r in sim.state["queue"]["receipts"]] == ["1-1", "1-2", "1-3"]
    assert ok(http(url, "GET", f"/v1/receipts?pos_device_id={device_id}", token=token))["receipts"] == []

    # The app reports its state (no receipts): the server now knows a shift is open and 3 receipts are missing.
    _, out, _ = sim("state")
    assert "3 missing; shift open" in out
    deletion = delete_and_wait(url, token, device_id)
    assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", "SHIFT_OPEN"), deletion
    assert "Close the shift on POS 'Till 1'" in deletion["error"]["details"]

    # The shift is closed offline and reported; the receipts are still on the phone only.
    sim("close-shift", "--cash", "10900")
    sim("state")
    deletion = delete_and_wait(url, token, device_id)
    assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", "RECEIPTS_NOT_SYNCED"), deletion
    assert "1-1, 1-2, 1-3" in deletion["error"]["details"]
    device = ok(http(url, "GET", f"/v1/pos_devices/{device_id}", token=token))
    assert device["status"] == "ACTIVATED"
    assert device["deleted_at"] is None

    # Sync: the queue empties, the server holds every receipt and the closed shift.
    _, out, _ = sim("sync")
    assert "3 accepted, 0 duplicate(s), 0 rejected" in out
    assert sim.state["queue"] == {"receipts": [], "shifts": []}
    shifts = ok(http(url, "GET", f"/v1/shifts?pos_device_id={device_id}", token=token))["shifts"]
    assert [(s["closed_at"] is not None, s["starting_cash"], s["expected_cash"], s["actual_cash"])
            for s in shifts] == [(True, 10000, 11050, 10900)]

    # Syncing again sends nothing twice.
    _, out, _ = sim("sync")
    assert "0 accepted" in out
    assert "Queue: 0 receipt(s), 0 shift event(s)" in out

    # The app opens a new shift and sells once more, offline; the server cannot know. Delete succeeds.
    sim("open-shift")
    sim("sell")
    deletion = delete_and_wait(url, token, device_id)
    assert deletion["status"] == "SUCCEEDED", deletion
    assert deletion["error"] is None, deletion

    # The deleted POS's app hears DEVICE_DELETED, says so, and drops its token and unsynced queue.
    code, out, err = sim("sync", expect=pos_sim.EXIT_REVOKED)
    assert "was deleted in the back office (DEVICE_DELETED)" in err
    assert "1 receipt(s) (1-4)" in err
    assert sim.state["device_token"] is None
    assert sim.state["queue"] == {"receipts": [], "shifts": []}
    _, out, _ = sim("status")
    assert "none activated" in out
    assert "DEVICE_DELETED" in out

    # The back office keeps the receipts, with the POS's name; the POS is deleted and hidden from the list.
    receipts = ok(http(url, "GET", f"/v1/receipts?pos_device_id={device_id}", token=token))["receipts"]
    assert sorted((r["receipt_number"], r["pos_device_name"], r["total_money"]) for r in receipts) == [
        ("1-1", "Till 1", 350), ("1-2", "Till 1", 350), ("1-3", "Till 1", 350)]
    device = ok(http(url, "GET", f"/v1/pos_devices/{device_id}", token=token))
    assert device["deleted_at"] is not None
    assert ok(http(url, "GET", "/v1/pos_devices", token=token))["pos_devices"] == []
    assert f"DELETE /v1/pos_devices/{device_id} 202" in server.output  # one log line per request
    assert "[workflow] deletion_delete ok" in server.output

    # Ctrl-C: a clean exit 0 within seconds; the data is in the SQLite file already, nothing to save.
    code, took = server.interrupt()
    assert code == 0, server.output
    assert took < 5, f"took {took:.1f}s to stop"
    assert "[local] stopped; every acknowledged write is in the database." in server.output
    assert (state_dir / "pos.sqlite3").is_file()
    assert not (state_dir / "tables.json").exists()

    # Started again on the same data: everything is there, the old tokens still work.
    again = _start(servers, state_dir, port=server.port)
    assert "data:              kept from the last run" in again.output
    url = again.base_url
    after = ok(http(url, "GET", f"/v1/receipts?pos_device_id={device_id}", token=token))["receipts"]
    assert after == receipts
    device_after = ok(http(url, "GET", f"/v1/pos_devices/{device_id}", token=token))
    assert device_after["deleted_at"] == device["deleted_at"]
    assert device_after["deletion"]["status"] == "SUCCEEDED"
    assert ok(http(url, "GET", f"/v1/shifts?pos_device_id={device_id}", token=token))["shifts"] == shifts
    login = ok(http(url, "POST", "/v1/auth/login", {"email": m["email"], "password": PASSWORD}))
    assert login["employee"]["role"] == "OWNER"

    # Ctrl-C with syncs in flight (a second POS of the same merchant): a clean exit within 5 s.
    device_2 = ok(http(url, "POST", "/v1/pos_devices", {"name": "Till 2", "store_id": m["store"]["id"]}, token), 201)
    pos_login = ok(http(url, "POST", "/v1/pos/login", {"email": m["email"], "password": PASSWORD}))
    activation = ok(http(url, "POST", "/v1/pos/activate", {
        "login_token": pos_login["login_token"], "pos_device_id": device_2["id"], "installation_id": "till-2"}))
    code = ctrl_c_with_syncs_in_flight(again, activation["device_token"], activation["pos_device"]["number"])
    assert code == 0, again.output


def test_a_deletion_cut_off_by_a_restart_is_run_again_on_start(tmp_path, capsys, servers):
    state_dir = tmp_path / "state"
    # A long wait for late syncs, so that the deletion is still RUNNING when the server stops.
    server = _start(servers, state_dir, POS_SYNC_WAIT_SECONDS="600", POS_SYNC_WAIT_ATTEMPTS="3")
    url = server.base_url
    m = merchant_with_pos(url, "Till 9")
    device_id, token = m["device"]["id"], m["token"]
    sim = Sim(capsys, url, tmp_path / "pos_sim.json")
    sim("login", "--email", m["email"], "--password", PASSWORD)
    sim("activate", "--pos", device_id)
    sim("open-shift")
    sim("sell", "--count", "2")
    sim("close-shift")

    # The second receipt is broken on the phone: the server rejects it, the simulator keeps it visible.
    state = sim.state
    state["queue"]["receipts"][1]["total_money"] += 1
    sim.state_path.write_text(json.dumps(state))
    _, out, err = sim("sync", expect=pos_sim.EXIT_FAILED)
    assert "1 accepted, 0 duplicate(s), 1 rejected" in out
    assert "rejected 1-2: PAYMENTS_MISMATCH" in out
    assert sim.state["queue"]["receipts"] == []
    assert [(r["receipt_number"], r["code"]) for r in sim.state["rejected"]] == [("1-2", "PAYMENTS_MISMATCH")]
    _, out, _ = sim("status")
    assert "1-2: PAYMENTS_MISMATCH" in out
    assert "1 synced, 1 missing" in out

    # The deletion waits for the missing receipt when the server is stopped.
    started = ok(http(url, "DELETE", f"/v1/pos_devices/{device_id}", token=token), 202)["deletion"]
    wait_deletion(url, token, device_id, lambda d: d["step"] == "VerifyReceiptsSynced")
    code, _ = server.interrupt()
    assert code == 0, server.output

    # On start the same deletion runs again (moto's executions did not survive), and now ends as it
    # would have: with a short wait, refused because 1-2 never came.
    # The server answers before Step Functions is up; reading a deletion waits for it (and for the resumption).
    again = _start(servers, state_dir, port=server.port, POS_SYNC_WAIT_SECONDS="0", POS_SYNC_WAIT_ATTEMPTS="1")
    url = again.base_url
    deletion = wait_deletion(url, token, device_id, lambda d: d["status"] != "RUNNING")
    assert f"resumed the deletion {started['id']} of POS {device_id}" in again.output
    assert (deletion["id"], deletion["status"]) == (started["id"], "FAILED"), deletion
    assert deletion["error"]["code"] == "RECEIPTS_NOT_SYNCED", deletion
    assert "1-2" in deletion["error"]["details"], deletion
    assert "[workflow] deletion_verify_receipts_synced" in again.output
    device = ok(http(url, "GET", f"/v1/pos_devices/{device_id}", token=token))
    assert device["status"] == "ACTIVATED"
    assert device["deleted_at"] is None
    # The device token survived the restart, and the slot may be deleted again (it is not stuck RUNNING).
    _, out, _ = sim("status")
    assert "deletion FAILED" in out
    second = ok(http(url, "DELETE", f"/v1/pos_devices/{device_id}", token=token), 202)["deletion"]
    # Refused again (1-2 is still missing). Waited for: a deactivation while it runs would write 1-2 off, and
    # the deletion would then rightly succeed.
    deletion = wait_deletion(url, token, device_id, lambda d: d["id"] == second["id"] and d["status"] != "RUNNING")
    assert (deletion["status"], deletion["error"]["code"]) == ("FAILED", "RECEIPTS_NOT_SYNCED"), deletion

    # Then the owner deactivates the POS; the app, with a sale still on the phone, hears it on its next sync.
    sim("open-shift")
    sim("sell")
    ok(http(url, "POST", f"/v1/pos_devices/{device_id}/deactivate", token=token))
    _, _, err = sim("sync", expect=pos_sim.EXIT_REVOKED)
    assert "was deactivated in the back office (DEVICE_DEACTIVATED)" in err
    assert "1 receipt(s) (1-3) and 1 shift event(s)" in err
    assert sim.state["device_token"] is None
    assert sim.state["queue"] == {"receipts": [], "shifts": []}
    code, _ = again.interrupt()
    assert code == 0, again.output


def test_one_server_per_state_dir_make_reset_refuses_and_unknown_methods_answer_405(tmp_path, servers):
    state_dir = tmp_path / "state"
    server = _start(servers, state_dir)
    env = server.env | {"PORT": str(_free_port())}
    second = subprocess.run([sys.executable, "-m", "local.server"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=START_TIMEOUT)
    assert second.returncode != 0, second
    assert f"is using {state_dir}" in second.stderr, second
    assert "Traceback" not in second.stderr

    reset = subprocess.run(["make", "-s", "reset"], cwd=ROOT, env=server.env, capture_output=True, text=True,
                           timeout=60)
    assert reset.returncode != 0, reset
    assert f"the local server (pid {server.process.pid}) is running on {state_dir}" in reset.stderr, reset
    assert (state_dir / "pos.sqlite3").is_file()

    # Unknown methods (TRACE, WebDAV ...) answer like the API does, never an HTML 501; no Server header.
    for method, path, status, allow in [("TRACE", "/v1/stores", 405, "GET, OPTIONS, POST"),
                                        ("PROPFIND", "/v1/pos_devices/abc/deactivate", 405, "OPTIONS, POST"),
                                        ("TRACE", "/", 405, "GET, HEAD"),
                                        ("TRACE", "/v1/no-such-thing", 404, None)]:
        request = urllib.request.Request(server.base_url + path, method=method)
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError(f"{method} {path} answered 2xx")
        except urllib.error.HTTPError as exc:
            response, body = exc, json.loads(exc.read())
        assert response.code == status, (method, path, body)
        assert body["errors"][0]["code"] == ("METHOD_NOT_ALLOWED" if status == 405 else "NOT_FOUND"), body
        assert set(body["errors"][0]) == {"code", "details", "field"}
        assert response.headers.get("Allow") == allow
        assert response.headers.get("Content-Type") == "application/json"
        assert "Server" not in response.headers
    with urllib.request.urlopen(server.base_url + "/v1/openapi.json", timeout=10) as response:
        assert "Server" not in response.headers

    code, _ = server.interrupt()
    assert code == 0, server.output
    reset = subprocess.run(["make", "-s", "reset"], cwd=ROOT, env=server.env, capture_output=True, text=True,
                           timeout=60)
    assert reset.returncode == 0, reset
    assert "wiped" in reset.stdout, reset
    assert not state_dir.exists()


def test_a_data_file_from_a_newer_version_is_refused_with_a_message_and_kept(tmp_path):
    import sqlite3

    state_dir = tmp_path / "state"
    state_dir.mkdir()
    with sqlite3.connect(state_dir / "pos.sqlite3") as conn:
        conn.execute("PRAGMA user_version = 999")
    before = (state_dir / "pos.sqlite3").read_bytes()
    server = LocalServer(state_dir)
    started = subprocess.run([sys.executable, "-m", "local.server"], cwd=ROOT, env=server.env, capture_output=True,
                             text=True, timeout=START_TIMEOUT)
    assert started.returncode != 0, started
    assert "written by a newer version of the POS back office (schema 999" in started.stderr, started
    assert "Traceback" not in started.stderr + started.stdout
    assert (state_dir / "pos.sqlite3").read_bytes() == before


def test_a_port_in_use_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = LocalServer(tmp_path / "state", port=port)
        result = subprocess.run([sys.executable, "-m", "local.server"], cwd=ROOT, env=server.env,
                                capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"Port {port} on 127.0.0.1 is already in use" in output
    assert f"PORT={port + 1} make run" in output
    assert "Traceback" not in output, output


def test_the_simulator_says_when_the_back_office_is_unreachable(tmp_path, capsys):
    sim = Sim(capsys, f"http://127.0.0.1:{_free_port()}", tmp_path / "pos_sim.json")
    code, _, err = sim("login", "--email", "a@example.com", "--password", "x", expect=pos_sim.EXIT_FAILED)
    assert "Cannot reach the back office" in err
    code, _, err = sim("sell", expect=pos_sim.EXIT_FAILED)
    assert "no activated POS" in err


def _gone(pid: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


class SyncBurst:
    """Eight POS threads syncing 100-receipt batches back to back, until the server goes away."""

    def __init__(self, server: "LocalServer", token: str, number: int):
        import threading

        self.server, self.token, self.number = server, token, number
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(8)]

    def _run(self, worker: int) -> None:
        from tests.conftest import receipt

        seq = (worker + 1) * 100_000
        while not self.stop.is_set():
            batch = [receipt(self.number, seq + i) for i in range(1, 101)]
            seq += 100
            try:
                http(self.server.base_url, "POST", "/v1/pos/sync", {"receipts": batch}, self.token)
            except Exception:  # noqa: BLE001 - the server goes away mid-request
                return

    def __enter__(self) -> "SyncBurst":
        for thread in self.threads:
            thread.start()
        time.sleep(1.5)  # requests in flight
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()


def ctrl_c_with_syncs_in_flight(server: "LocalServer", token: str, number: int, presses: int = 1) -> int:
    """Ctrl-C (`presses` times) during a sync burst: stops within 5 s."""
    with SyncBurst(server, token, number):
        started = time.monotonic()
        server.process.send_signal(signal.SIGINT)
        if presses == 2:
            time.sleep(0.2)
            server.process.send_signal(signal.SIGINT)
        code = server.process.wait(timeout=15)
        took = time.monotonic() - started
    assert took < 5, f"took {took:.1f}s to stop:\n{server.output[-3000:]}"
    assert "[local] stopping" in server.output
    return code


def test_a_second_ctrl_c_forces_the_stop(tmp_path, servers):
    server = _start(servers, tmp_path / "state")
    owner = merchant_with_pos(server.base_url)
    login = ok(http(server.base_url, "POST", "/v1/pos/login", {"email": owner["email"], "password": PASSWORD}))
    activation = ok(http(server.base_url, "POST", "/v1/pos/activate", {
        "login_token": login["login_token"], "pos_device_id": owner["device"]["id"],
        "installation_id": "install-ctrl-c"}))
    code = ctrl_c_with_syncs_in_flight(server, activation["device_token"], activation["pos_device"]["number"], 2)
    assert code in (0, 130), server.output[-3000:]
