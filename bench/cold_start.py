"""Cold start: import `app` and answer one request in a fresh interpreter, next to a bare `import chalice, boto3`.

    .venv/bin/python -m bench.cold_start [runs]

Each run is a new interpreter (subprocess), as a new Lambda container is. Measured inside it:
  * baseline: `import chalice, boto3` (what any Chalice app on boto3 pays);
  * app: `import app` plus one request through chalice.test.Client: GET /v1/openapi.json (the largest
    response, built from every schema) and GET /v1/pos_devices without a token (401: auth runs, no AWS).
Baseline and app interpreters alternate (B, A, B, A, ...), so a busy machine slows both sides alike.
Both sides import from bytecode, as the deployed package does (infra/package.sh precompiles it): the .pyc files
are written once, by an uncounted warm-up run, under a temporary PYTHONPYCACHEPREFIX (the worktree stays clean).
Wall time decides the ratio; CPU time (less sensitive to other load on the machine) is printed next to it.
Prints the median of `runs` (default 7, at least 7) per side and the ratio app/baseline, checks that
importing the app creates no botocore client and no PynamoDB connection (they are made lazily, on first
use), and ends with exactly `COLD_START ratio=<r> app_ms=<a> baseline_ms=<b>` (import app vs. import
chalice.app, boto3).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASELINE = """
import json, time
t0, c0 = time.perf_counter(), time.process_time()
import chalice.app, boto3
print(json.dumps({"import": time.perf_counter() - t0, "import_cpu": time.process_time() - c0}))
"""

APP = """
import gc, json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
import app
t_import, c_import = time.perf_counter(), time.process_time()

def made():
    import boto3, botocore.client, pynamodb.connection.base as pyconn
    objects = gc.get_objects()
    return {"botocore_clients": sum(isinstance(o, botocore.client.BaseClient) for o in objects),
            "pynamodb_connections": sum(isinstance(o, pyconn.Connection) for o in objects),
            "boto3_default_session": boto3.DEFAULT_SESSION is not None}

at_import = made()
t_probe = time.perf_counter()
from chalice.test import Client
with Client(app.app) as client:
    doc = client.http.get("/v1/openapi.json")
    t_first = time.perf_counter()
    denied = client.http.get("/v1/pos_devices")
t_end = time.perf_counter()
assert doc.status_code == 200 and denied.status_code == 401, (doc.status_code, denied.status_code)
print(json.dumps({"import": t_import - t0, "import_cpu": c_import - c0, "first_request": t_first - t_probe, "second_request": t_end - t_first,
                  "made_at_import": at_import, "made_in_total": made(), "openapi_bytes": len(doc.body)}))
"""


def run(code: str, pycache: str | None = None) -> dict:
    """`code` in a fresh interpreter; with `pycache`, bytecode is read from (and written to) that directory."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "DYNAMODB_", "STATE_MACHINE", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"))}
    env.update({"AWS_DEFAULT_REGION": "us-east-1"})
    env.update({"PYTHONPYCACHEPREFIX": pycache} if pycache else {"PYTHONDONTWRITEBYTECODE": "1"})
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(runs: int = 7) -> dict:
    pycache = tempfile.mkdtemp(prefix="cold-start-pyc-")
    try:
        run(BASELINE, pycache), run(APP, pycache)  # write the .pyc files, warm the OS file cache; not counted
        baseline, apps = [], []
        for _ in range(runs):  # alternating, so that load on the machine weighs on both sides alike
            baseline.append(run(BASELINE, pycache))
            apps.append(run(APP, pycache))
    finally:
        shutil.rmtree(pycache, ignore_errors=True)
    figures = {
        "runs": runs,
        "baseline_import_s": statistics.median(b["import"] for b in baseline),
        "baseline_import_cpu_s": statistics.median(b["import_cpu"] for b in baseline),
        "app_import_s": statistics.median(a["import"] for a in apps),
        "app_import_cpu_s": statistics.median(a["import_cpu"] for a in apps),
        "app_first_request_s": statistics.median(a["first_request"] for a in apps),
        "app_second_request_s": statistics.median(a["second_request"] for a in apps),
        "made_at_import": apps[-1]["made_at_import"],
        "made_in_total": apps[-1]["made_in_total"],
    }
    figures["ratio_import"] = figures["app_import_s"] / figures["baseline_import_s"]
    figures["ratio_import_cpu"] = figures["app_import_cpu_s"] / figures["baseline_import_cpu_s"]
    figures["ratio_import_and_request"] = (figures["app_import_s"] + figures["app_first_request_s"]) \
        / figures["baseline_import_s"]
    return figures


def main() -> None:
    runs = max(7, int(sys.argv[1]) if len(sys.argv) > 1 else 7)
    f = measure(runs)
    print(f"cold start, median of {runs} fresh interpreters")
    print(f"  import chalice.app, boto3 (baseline)     {f['baseline_import_s'] * 1000:8.1f} ms")
    print(f"  import app                           {f['app_import_s'] * 1000:8.1f} ms   "
          f"x{f['ratio_import']:.2f} of baseline")
    print(f"  CPU time: baseline {f['baseline_import_cpu_s'] * 1000:.1f} ms, app {f['app_import_cpu_s'] * 1000:.1f} ms"
          f"   x{f['ratio_import_cpu']:.2f}")
    print(f"  first request (GET /v1/openapi.json) {f['app_first_request_s'] * 1000:8.1f} ms")
    print(f"  second request (401, no token)       {f['app_second_request_s'] * 1000:8.1f} ms")
    print(f"  import app + first request           {(f['app_import_s'] + f['app_first_request_s']) * 1000:8.1f} ms"
          f"   x{f['ratio_import_and_request']:.2f} of baseline")
    print(f"  created while importing app: {f['made_at_import']} (after two requests: {f['made_in_total']})")
    print(f"COLD_START ratio={f['ratio_import']:.2f} app_ms={f['app_import_s'] * 1000:.1f} "
          f"baseline_ms={f['baseline_import_s'] * 1000:.1f}")
    if any(f["made_at_import"].values()):
        sys.exit("importing the app created AWS clients or connections: keep them lazy")


if __name__ == "__main__":
    main()
