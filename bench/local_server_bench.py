"""`make run` under load, over real HTTP: sync latency as data grows, and concurrent syncs.

    .venv/bin/python -m bench.local_server_bench [--batches 10] [--fill 5000] [--rounds 3]

Starts `python -m local.server` (DynamoDB Local on a fresh state directory, no demo data) on a free
port, then:
  1. sequential 250-receipt syncs of one POS while nothing is stored yet (`--batches` of them),
  2. fills the store to `--fill` receipts, then the same number of 250-receipt syncs again,
  3. `--rounds` rounds of 16 concurrent 100-receipt syncs (16 POS devices at once) on top of that,
     checking every answer (no 5xx) and every device's count (exact),
and prints p50/p95 latency, receipts/s, the JVM's resident memory, and how long Ctrl-C took.
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


def jvm_rss_mb(server_pid: int) -> float | None:
    out = subprocess.run(["ps", "-ww", "-o", "rss=,args=", "--ppid", str(server_pid)], capture_output=True, text=True).stdout
    for row in out.splitlines():
        rss, _, args = row.strip().partition(" ")
        if "DynamoDBLocal.jar" in args:
            return int(rss) / 1024
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=10, help="250-receipt syncs measured at each size")
    parser.add_argument("--fill", type=int, default=5000, help="receipts stored before the second measure")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of 16 concurrent 100-receipt syncs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pos-bench-") as tmp:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(os.environ) | {"PORT": str(port), "POS_LOCAL_STATE_DIR": str(Path(tmp) / "state"),
                                  "POS_SEED_DEMO": "0", "POS_AUDIT_INTERVAL_SECONDS": "3600",
                                  "PYTHONUNBUFFERED": "1"}
        log_path = Path(tmp) / "server.log"
        started = time.perf_counter()
        with open(log_path, "w") as log:
            server = subprocess.Popen([sys.executable, "-m", "local.server"], cwd=ROOT, env=env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"server exited:\n{log_path.read_text()[-3000:]}")
                try:
                    if call(base, "GET", "/v1/openapi.json", timeout=2)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            print(f"server up in {time.perf_counter() - started:.1f} s (DynamoDB Local, fresh state dir)")
            run(base, server.pid, args)
            stop_started = time.perf_counter()
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
            print(f"Ctrl-C to exit: {time.perf_counter() - stop_started:.2f} s (exit code {server.returncode})")
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def run(base: str, server_pid: int, args) -> None:
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

    def sequential(name: str, batches: int) -> None:
        latencies, started = [], time.perf_counter()
        for _ in range(batches):
            status, elapsed, data = solo.sync(base, 250)
            if status != 200 or data["accepted"] != 250:
                raise SystemExit(f"sync answered {status}: {data}")
            latencies.append(elapsed)
        line(name, latencies, 250 * batches, time.perf_counter() - started)

    sequential(f"250-receipt sync, 0..{250 * (args.batches - 1)} stored", args.batches)
    fill_started, filled = time.perf_counter(), 0
    while solo.sent < args.fill:
        status, _, data = solo.sync(base, 250)
        if status != 200:
            raise SystemExit(f"fill sync answered {status}: {data}")
        filled += 250
    print(f"{'  (filling: 250-receipt syncs back to back)':<44} {filled} receipts at "
          f"{filled / (time.perf_counter() - fill_started):.0f} receipts/s", flush=True)
    sequential(f"250-receipt sync, {solo.sent}+ stored", args.batches)

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
    line(f"16 concurrent 100-receipt syncs, {solo.sent}+ stored", latencies, 100 * len(latencies), wall)
    wrong = []
    for pos in crowd:
        device = checked(base, "GET", f"/v1/pos_devices/{pos.id}", token=owner)
        if device["synced_receipts"] != 100 * args.rounds or pos.sent != 100 * args.rounds:
            wrong.append((pos.number, device["synced_receipts"], pos.sent))
    server_errors = sum(1 for status in statuses if status >= 500)
    print(f"  answers: {statuses.count(200)} x 200, {server_errors} x 5xx, others {len(statuses) - statuses.count(200) - server_errors}; "
          f"device counts exact: {'yes' if not wrong else f'NO {wrong}'}")
    total = sum(pos.sent for pos in poses)
    rss = jvm_rss_mb(server_pid)
    print(f"receipts stored: {total}; DynamoDB Local RSS: {rss:.0f} MB" if rss else f"receipts stored: {total}")


if __name__ == "__main__":
    main()
