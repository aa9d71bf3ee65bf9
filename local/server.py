"""`make run`: the whole back office in one process, on loopback.

An embedded moto server (Step Functions execution on), the tables and the state machine, the
in-process Lambda bridge, the Chalice app with the SPA on http://127.0.0.1:$PORT, the audit on a
timer, and the data kept in .local/ across restarts.
"""
import errno
import json
import logging
import mimetypes
import os
import signal
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check_port(host: str, port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                sys.exit(f"Port {port} on {host} is already in use. Stop whatever uses it, or pick another: "
                         f"PORT={port + 1} make run")
            raise


def start_moto() -> tuple[object, str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's own access log would drown ours
    port = _free_port()
    # moto's Step Functions interpreter sends its AWS calls to localhost:$MOTO_PORT in server mode.
    os.environ["MOTO_PORT"] = str(port)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    request = urllib.request.Request(f"{endpoint}/moto-api/config", method="POST",
                                     data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
    return server, endpoint


class Handler(ChaliceRequestHandler):
    """Chalice's local handler, plus the SPA's static files and one log line per request."""

    on_change = staticmethod(lambda: None)

    def _generic_handle(self) -> None:
        self._started = time.monotonic()
        path = self.path.split("?", 1)[0]
        if self.command in ("GET", "HEAD") and not path.startswith("/v1/"):
            return self._static(path)
        super()._generic_handle()
        if self.command not in ("GET", "HEAD", "OPTIONS"):
            self.on_change()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _static(self, path: str) -> None:
        target = (WEB / path.lstrip("/")).resolve()
        if path == "/" or not target.is_file() or WEB.resolve() not in target.parents:
            # Unknown paths without a file extension are SPA routes: serve the app.
            target = WEB / "index.html" if (path == "/" or "." not in path.rsplit("/", 1)[-1]) else None
        if target is None or not target.is_file():
            body = json.dumps({"errors": [{"code": "NOT_FOUND", "details": "No such file.", "field": None}]})
            return self._send_http_response(404, {"Content-Type": "application/json"}, body)
        content_type = mimetypes.guess_type(str(target))[0] or "application/octet-stream"
        if target.suffix == ".js":
            content_type = "text/javascript"
        self._send_http_response(200, {"Content-Type": f"{content_type}; charset=utf-8",
                                       "Cache-Control": "no-cache"}, target.read_bytes())

    def log_request(self, code="-", size="-") -> None:
        elapsed = (time.monotonic() - getattr(self, "_started", time.monotonic())) * 1000
        print(f"{self.command} {self.path} {code} {elapsed:.0f}ms", flush=True)

    def log_message(self, format, *args) -> None:  # noqa: A002 - silence the default access log
        pass


def start_audit_timer(chalice_module, interval: int, stop: threading.Event, on_change) -> threading.Thread:
    """Runs the same entry point the deployed schedule runs, with a CloudWatch-style event."""

    def loop():
        while not stop.wait(interval):
            event = {"version": "0", "id": "local", "detail-type": "Scheduled Event", "source": "aws.events",
                     "account": "123456789012", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"), "resources": [], "detail": {}}
            try:
                summary = chalice_module.run_audit(event, None)
                print(f"[audit] {summary}", flush=True)
                on_change()
            except Exception as exc:  # noqa: BLE001 - the timer keeps going
                print(f"[audit] failed: {exc}", flush=True)

    thread = threading.Thread(target=loop, name="audit-timer", daemon=True)
    thread.start()
    return thread


def main() -> None:
    host, port = "127.0.0.1", int(os.environ.get("PORT", "8000"))
    state_dir = Path(os.environ.get("POS_LOCAL_STATE_DIR", ROOT / ".local"))
    audit_interval = int(os.environ.get("POS_AUDIT_INTERVAL_SECONDS", "60"))
    os.environ.setdefault("PASSWORD_HASH_PROFILE", "fast")
    _check_port(host, port)
    state_dir.mkdir(parents=True, exist_ok=True)

    from local.stack import local_environment

    moto_server, endpoint = start_moto()
    local_environment(endpoint)

    import app as chalice_module
    from chalicelib.adapters.models import ALL_MODELS
    from chalicelib.config import settings
    from local.persistence import Snapshot, SnapshotError
    from local.seed import seed_demo
    from local.stack import bootstrap

    bridge = bootstrap(chalice_module.app)
    tables = [model.Meta.table_name for model in ALL_MODELS]
    snapshot = Snapshot(state_dir / "tables.json", tables, settings().region)
    if snapshot.exists():
        try:
            count = snapshot.load()
        except SnapshotError as exc:
            moto_server.stop()
            sys.exit(f"Stored data could not be loaded ({exc}). The file is kept as it is; move it away or run "
                     "`make reset` to start empty.")
        print(f"[local] loaded {count} items from {snapshot.path}", flush=True)
        login = None
    elif os.environ.get("POS_SEED_DEMO", "1") != "0":
        login = seed_demo(chalice_module.app)
        snapshot.save()
    else:
        login = None
        snapshot.save()

    original_invoke = bridge.invoke

    def invoke_and_mark(name, event):
        try:
            return original_invoke(name, event)
        finally:
            snapshot.mark_dirty()

    bridge.invoke = invoke_and_mark
    Handler.on_change = staticmethod(snapshot.mark_dirty)
    snapshot.start()
    stop = threading.Event()
    start_audit_timer(chalice_module, audit_interval, stop, snapshot.mark_dirty)

    # What chalice's create_local_server does, with our handler: a thread-local current_request.
    CustomLocalChalice.__bases__ = (LocalChalice, chalice_module.app.__class__)
    chalice_module.app.__class__ = CustomLocalChalice
    server = LocalDevServer(chalice_module.app, Config(chalice_stage="dev"), host, port, handler_cls=Handler)
    url = f"http://{host}:{port}"
    print(f"\nPOS back office running on {url}", flush=True)
    print(f"  back office (SPA): {url}/", flush=True)
    print(f"  API:               {url}/v1/  (OpenAPI: {url}/v1/openapi.json)", flush=True)
    if login:
        print(f"  demo login:        {login['email']} / {login['password']}", flush=True)
    else:
        print("  data:              kept from the last run (make reset wipes it)", flush=True)
    print(f"  audit every {audit_interval}s; data in {state_dir}; Ctrl-C stops\n", flush=True)

    def shutdown(*_args):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        print("\n[local] stopping…", flush=True)
    finally:
        stop.set()
        snapshot.stop()
        server.server.server_close()
        moto_server.stop()
        print("[local] stopped; data saved.", flush=True)


if __name__ == "__main__":
    main()
