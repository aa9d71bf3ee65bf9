"""`make run` under load, over real HTTP: sync latency as data grows, concurrent syncs, memory, restarts.

    .venv/bin/python -m bench.local_server_bench [--batches 20] [--sizes 0,10000,100000] [--rounds 3]

Starts `python -m local.server` (SQLite on a fresh state directory, no demo data) on a free port, then:
  1. at each stored size in `--sizes` (receipts of one POS, filled by 250-receipt syncs back to back), `--batches`
     sequential 250-receipt syncs of that POS: one line `SYNC stored=N p50_ms=.. p95_ms=.. receipts_per_s=..`;
  2. `--rounds` rounds of 16 concurrent 100-receipt syncs (16 POS devices at once), checking every answer (no 5xx)
     and every device's count (exact): `CONCURRENT devices=16 ...`;
  3. the server's resident memory (`MEMORY rss_mb=..`), Ctrl-C, and a restart on the same data (`RESTART
     first_answer_s=..`).
Figures, not assertions: the machine may be busy.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, method: str, path: str, body=None, token=None, timeout=120) -> tuple[int, dict | None]:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    return status, (json.loads(raw) if raw else None)


def checked(base, method, path, body=None, token=None, expected=200):
    status, data = call(base, method, path, body, token)
    if status != expected:
        raise SystemExit(f"{method} {path} answered {status}: {data}")
    return data


def receipt(number: int, seq: int) -> dict:
    return {"id": str(uuid.uuid4()), "receipt_number": f"{number}-{seq}", "receipt_type": "SALE",
            "created_at": "2026-11-24T10:00:00Z",
            "line_items": [{"item_name": "Tea", "quantity": 2, "price": 350, "total_money": 700},
                           {"item_name": "Cake", "quantity": 1, "price": 450, "total_money": 450}],
            "payments": [{"type": "CASH", "money_amount": 1000}, {"type": "CARD", "money_amount": 150}],
            "total_money": 1150, "total_tax": 86}


class Pos:
    def __init__(self, device: dict, token: str):
        self.id, self.number, self.token, self.next_seq, self.sent = device["id"], device["number"], token, 1, 0

    def sync(self, base: str, count: int) -> tuple[int, float, dict | None]:
        batch = [receipt(self.number, self.next_seq + i) for i in range(count)]
        self.next_seq += count
        body = {"receipts": batch, "state": {"last_receipt_number": self.next_seq - 1, "open_tickets": 0,
                                             "shift_open": False}}
        started = time.perf_counter()
        status, data = call(base, "POST", "/v1/pos/sync", body, self.token)
        elapsed = time.perf_counter() - started
        if status == 200 and data["accepted"] == count:
            self.sent += count
        return status, elapsed, data


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def line(name: str, latencies: list[float], receipts: int, wall: float) -> None:
    print(f"{name:<44} n={len(latencies):<3} p50 {pct(latencies, 0.5) * 1000:7.0f} ms   "
          f"p95 {pct(latencies, 0.95) * 1000:7.0f} ms   max {max(latencies) * 1000:7.0f} ms   "
          f"{receipts / wall:6.0f} receipts/s", flush=True)


def rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children, if any."""
    out = subprocess.run(["ps", "-o", "rss=", "-p", str(pid), "--ppid", str(pid)], capture_output=True, text=True).stdout
    return sum(int(value) for value in out.split()) / 1024


READY_LINE = "[local] Step Functions (moto) ready"


def start_server(env: dict, log_path: Path, base: str) -> tuple[subprocess.Popen, float, float]:
    """The server, the seconds to its first answer, and to its being fully up (Step Functions ready: it starts
    beside the HTTP server, and the syncs are measured after it, not against its imports)."""
    started = time.perf_counter()
    log_from = log_path.stat().st_size if log_path.exists() else 0
    with open(log_path, "a") as log:
        server = subprocess.Popen([sys.executable, "-m", "local.server"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    answered = None
    while True:
        if server.poll() is not None:
            raise SystemExit(f"server exited:\n{log_path.read_text()[-3000:]}")
        if answered is None:
            try:
                if call(base, "GET", "/v1/openapi.json", timeout=2)[0] == 200:
                    answered = time.perf_counter() - started
            except OSError:
                pass
        if answered is not None and READY_LINE in log_path.read_text()[log_from:]:
            return server, answered, time.perf_counter() - started
        time.sleep(0.02)


def stop_server(server: subprocess.Popen) -> float:
    started = time.perf_counter()
    server.send_signal(signal.SIGINT)
    server.wait(timeout=30)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=20, help="250-receipt syncs measured at each size")
    parser.add_argument("--sizes", default="0,10000,100000", help="receipts stored before each measure")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of 16 concurrent 100-receipt syncs")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    with tempfile.TemporaryDirectory(prefix="pos-bench-") as tmp:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(os.environ) | {"PORT": str(port), "POS_LOCAL_STATE_DIR": str(Path(tmp) / "state"),
                                  "POS_SEED_DEMO": "0", "POS_AUDIT_INTERVAL_SECONDS": "3600",
                                  "PYTHONUNBUFFERED": "1"}
        log_path = Path(tmp) / "server.log"
        server = None
        try:
            server, took, ready = start_server(env, log_path, base)
            print(f"START first_answer_s={took:.2f} fully_up_s={ready:.2f} (fresh state dir, SQLite)", flush=True)
            run(base, server.pid, args, sizes)
            print(f"STOP ctrl_c_s={stop_server(server):.2f} exit_code={server.returncode}", flush=True)
            server, took, ready = start_server(env, log_path, base)
            print(f"RESTART first_answer_s={took:.2f} fully_up_s={ready:.2f} (same data)", flush=True)
            stop_server(server)
        finally:
            if server is not None and server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def run(base: str, server_pid: int, args, sizes: list[int]) -> None:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    owner = checked(base, "POST", "/v1/signup", {"business_name": "Bench", "email": email, "password": PASSWORD},
                    expected=201)["token"]
    store = checked(base, "POST", "/v1/stores", {"name": "Main"}, owner, expected=201)
    poses = []
    for i in range(17):
        device = checked(base, "POST", "/v1/pos_devices", {"name": f"Till {i + 1}", "store_id": store["id"]},
                         owner, expected=201)
        login = checked(base, "POST", "/v1/pos/login", {"email": email, "password": PASSWORD})["login_token"]
        activated = checked(base, "POST", "/v1/pos/activate", {"login_token": login, "pos_device_id": device["id"],
                                                               "installation_id": f"bench-{i}"})
        poses.append(Pos(device, activated["device_token"]))
    solo, crowd = poses[0], poses[1:]

    for size in sizes:
        fill_started, filled = time.perf_counter(), 0
        while solo.sent < size:
            status, _, data = solo.sync(base, 250)
            if status != 200:
                raise SystemExit(f"fill sync answered {status}: {data}")
            filled += 250
        if filled:
            print(f"  (filled {filled} receipts with 250-receipt syncs back to back: "
                  f"{filled / (time.perf_counter() - fill_started):.0f} receipts/s)", flush=True)
        stored, latencies, started = solo.sent, [], time.perf_counter()
        for _ in range(args.batches):
            status, elapsed, data = solo.sync(base, 250)
            if status != 200 or data["accepted"] != 250:
                raise SystemExit(f"sync answered {status}: {data}")
            latencies.append(elapsed)
        wall = time.perf_counter() - started
        print(f"SYNC stored={stored} n={len(latencies)} p50_ms={pct(latencies, 0.5) * 1000:.0f} "
              f"p95_ms={pct(latencies, 0.95) * 1000:.0f} max_ms={max(latencies) * 1000:.0f} "
              f"receipts_per_s={250 * args.batches / wall:.0f}", flush=True)

    latencies, statuses, started = [], [], time.perf_counter()
    for _ in range(args.rounds):
        barrier, results = threading.Barrier(len(crowd)), []

        def one(pos):
            barrier.wait()
            results.append(pos.sync(base, 100))

        threads = [threading.Thread(target=one, args=(pos,)) for pos in crowd]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        statuses += [status for status, _, _ in results]
        latencies += [elapsed for _, elapsed, _ in results]
    wall = time.perf_counter() - started
    wrong = []
    for pos in crowd:
        device = checked(base, "GET", f"/v1/pos_devices/{pos.id}", token=owner)
        if device["synced_receipts"] != 100 * args.rounds or pos.sent != 100 * args.rounds:
            wrong.append((pos.number, device["synced_receipts"], pos.sent))
    server_errors = sum(1 for status in statuses if status >= 500)
    print(f"CONCURRENT devices=16 rounds={args.rounds} p50_ms={pct(latencies, 0.5) * 1000:.0f} "
          f"p95_ms={pct(latencies, 0.95) * 1000:.0f} receipts_per_s={100 * len(latencies) / wall:.0f} "
          f"ok={statuses.count(200)} 5xx={server_errors} counts_exact={'yes' if not wrong else f'NO {wrong}'}",
          flush=True)
    total = sum(pos.sent for pos in poses)
    print(f"MEMORY rss_mb={rss_mb(server_pid):.0f} receipts_stored={total}", flush=True)


if __name__ == "__main__":
    main()
