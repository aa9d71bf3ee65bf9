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
from chalice.local import (
    ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer, ThreadedHTTPServer,
)

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_FILE = "tables.json"
WEB = ROOT / "web"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_in_use(host: str, port: int) -> str:
    return (f"Port {port} on {host} is already in use (another `make run`?). Stop whatever uses it, or pick "
            f"another port: PORT={port + 1} make run")


def _check_port(host: str, port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                sys.exit(_port_in_use(host, port))
            raise


def _one_dynamodb_request_at_a_time(app):
    """moto checks conditions and writes without a lock (a failed transaction even restores a copy of
    whole tables), while DynamoDB applies each request atomically: serve DynamoDB calls one by one."""
    lock = threading.Lock()

    def wrapped(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with lock:
                return list(app(environ, start_response))
        return app(environ, start_response)

    return wrapped


def start_moto() -> tuple[object, str]:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class AtomicDynamoMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = _one_dynamodb_request_at_a_time(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's own access log would drown ours
    # moto's ASL interpreter logs every Fail state (a blocked deletion is one) as a screenful of repr;
    # the workflow's tasks get one line each below, and the deletion records its own outcome.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    port = _free_port()
    # moto's Step Functions interpreter sends its AWS calls to localhost:$MOTO_PORT in server mode.
    os.environ["MOTO_PORT"] = str(port)
    server = AtomicDynamoMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
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
        try:
            if self.command in ("GET", "HEAD") and not path.startswith("/v1/"):
                return self._static(path)
            super()._generic_handle()
        except (BrokenPipeError, ConnectionResetError):
            # The client went away before the answer was written (a browser cancelling a fetch): its log
            # line is out already; no traceback for it.
            self.close_connection = True
        finally:
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
        print(f"{time.strftime('%H:%M:%S')} {self.command} {self.path} {code} {elapsed:.0f}ms", flush=True)

    def log_message(self, format, *args) -> None:  # noqa: A002 - silence the default access log
        pass


class BackloggedHTTPServer(ThreadedHTTPServer):
    """socketserver listens with a backlog of 5: a burst of POS syncs got connections reset."""

    request_queue_size = 128


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
    # Ctrl-C must stop the server even when started from a script that ignores SIGINT (`cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _check_port(host, port)
    stored = None
    if (state_dir / SNAPSHOT_FILE).exists():
        # Read and checked before anything starts: a bad file is reported at once, and left as it is.
        from local.persistence import Snapshot, SnapshotError

        try:
            stored = Snapshot(state_dir / SNAPSHOT_FILE, [], "").read()
        except SnapshotError as exc:
            sys.exit(_unreadable(exc))
    state_dir.mkdir(parents=True, exist_ok=True)

    moto_server, endpoint = start_moto()
    try:
        started = _start(host, port, state_dir, endpoint, stored)
    except KeyboardInterrupt:
        moto_server.stop()
        sys.exit("\n[local] interrupted while starting; nothing was saved.")
    except BaseException:
        moto_server.stop()
        raise
    _serve(started, moto_server, state_dir, audit_interval)


def _unreadable(exc: Exception) -> str:
    return (f"Stored data could not be loaded ({exc}). The file is kept as it is; move it away or run "
            "`make reset` to start empty.")


def _share_botocore_data() -> None:
    """PynamoDB gives each model its own botocore session, and every new session parses botocore's JSON
    data (endpoints, the DynamoDB model) again: about 0.3 s of CPU per model, ten models, at each start.
    One loader shared by those sessions parses it once (it is only read once loaded)."""
    import botocore.loaders
    import pynamodb.connection.base as pynamodb_base

    loader = botocore.loaders.create_loader()
    new_session = pynamodb_base.get_session

    def get_session():
        session = new_session()
        session.register_component("data_loader", loader)
        return session

    pynamodb_base.get_session = get_session


def _start(host: str, port: int, state_dir: Path, endpoint: str, stored: dict | None) -> dict:
    """Tables, state machine, data (snapshot, demo or empty) and the HTTP server, not serving yet."""
    from local.stack import local_environment

    local_environment(endpoint)
    _share_botocore_data()

    import app as chalice_module
    from chalicelib.adapters.models import ALL_MODELS
    from chalicelib.adapters.repositories import AccountRepository
    from chalicelib.config import settings
    from chalicelib.services.deletion import abandon_running_deletions
    from local.persistence import Snapshot, SnapshotError
    from local.seed import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
    from local.stack import bootstrap

    bridge = bootstrap(chalice_module.app)
    tables = [model.Meta.table_name for model in ALL_MODELS]
    snapshot = Snapshot(state_dir / SNAPSHOT_FILE, tables, settings().region)
    if stored is not None:
        try:
            count = snapshot.load(stored)
        except SnapshotError as exc:
            raise SystemExit(_unreadable(exc)) from None
        print(f"[local] loaded {count} items from {snapshot.path}", flush=True)
        # Step Functions executions live in moto's memory: a deletion that was running is gone for good.
        for merchant_id, device_id in abandon_running_deletions():
            print(f"[local] the deletion of POS {device_id} (merchant {merchant_id}) was cut off by the restart: "
                  "marked FAILED; delete it again", flush=True)
        data_note = "kept from the last run (make reset wipes it)"
        login = ({"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
                 if AccountRepository.find_employee_by_email(DEMO_EMAIL) else None)
    elif os.environ.get("POS_SEED_DEMO", "1") != "0":
        login = seed_demo(chalice_module.app)
        data_note = "demo data created (make reset wipes it)"
    else:
        login = None
        data_note = "empty (POS_SEED_DEMO=0); sign up with POST /v1/signup"
    snapshot.save()

    original_invoke = bridge.invoke

    def invoke_and_mark(name, event):
        started = time.monotonic()
        payload, error = None, {"errorType": "crashed"}
        try:
            payload, error = original_invoke(name, event)
            return payload, error
        finally:
            snapshot.mark_dirty()
            outcome = f"raised {error['errorType']}" if error else "ok"
            print(f"{time.strftime('%H:%M:%S')} [workflow] {name} {outcome} "
                  f"{(time.monotonic() - started) * 1000:.0f}ms", flush=True)

    bridge.invoke = invoke_and_mark
    Handler.on_change = staticmethod(snapshot.mark_dirty)

    # What chalice's create_local_server does, with our handler: a thread-local current_request.
    CustomLocalChalice.__bases__ = (LocalChalice, chalice_module.app.__class__)
    chalice_module.app.__class__ = CustomLocalChalice
    try:
        server = LocalDevServer(chalice_module.app, Config(chalice_stage="dev"), host, port, handler_cls=Handler,
                                server_cls=BackloggedHTTPServer)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise SystemExit(_port_in_use(host, port)) from None  # taken since _check_port
    return {"server": server, "snapshot": snapshot, "chalice_module": chalice_module, "login": login,
            "data_note": data_note}


def _serve(started: dict, moto_server, state_dir: Path, audit_interval: int) -> None:
    server, snapshot = started["server"], started["snapshot"]
    snapshot.start()
    stop = threading.Event()
    start_audit_timer(started["chalice_module"], audit_interval, stop, snapshot.mark_dirty)
    url = f"http://{server.host}:{server.port}"
    print(f"\nPOS back office running on {url}", flush=True)
    print(f"  back office (SPA): {url}/", flush=True)
    print(f"  API:               {url}/v1/openapi.json  (OpenAPI document; every route is under {url}/v1/...)",
          flush=True)
    if started["login"]:
        print(f"  demo login:        {started['login']['email']} / {started['login']['password']}", flush=True)
    print(f"  data:              {started['data_note']}", flush=True)
    print(f"  POS simulator:     .venv/bin/python -m local.pos_sim --base-url {url} --help", flush=True)
    print(f"  audit every {audit_interval}s; data in {state_dir}; Ctrl-C stops\n", flush=True)

    def shutdown(*_args):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    saved = False
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        print("\n[local] stopping…", flush=True)
    finally:
        # A second Ctrl-C while stopping must not cut the snapshot short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop.set()
        server.server.server_close()
        try:
            snapshot.stop()
            saved = True
        except Exception as exc:  # noqa: BLE001 - say so, and exit non-zero
            print(f"[local] could not save the data to {snapshot.path}: {exc}", flush=True)
        moto_server.stop()
    if not saved:
        sys.exit(1)
    print(f"[local] stopped; data saved in {snapshot.path}.", flush=True)


if __name__ == "__main__":
    main()
