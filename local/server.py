"""`make run`: the whole back office from one command, on loopback.

SQLite for the data (`.local/pos.sqlite3`; or, with POS_STORAGE=dynamodb, the DynamoDB endpoint the user gives),
an embedded moto server for Step Functions (execution on), the state machine, the in-process Lambda bridge, the
Chalice app with the SPA on http://127.0.0.1:$PORT, and the audit on a timer. Python and pip, nothing else.
"""
import errno
import json
import logging
import mimetypes
import os
import re
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

from chalicelib.api import security_headers

ROOT = Path(__file__).resolve().parent.parent
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


def start_moto(port: int) -> tuple[object, str]:
    """moto's server on loopback, for Step Functions only (the data lives in SQLite, or the user's DynamoDB)."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's own access log would drown ours
    # moto's ASL interpreter logs every Fail state (a blocked deletion is one) as a screenful of repr;
    # the workflow's tasks get one line each below, and the deletion records its own outcome.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    request = urllib.request.Request(f"{endpoint}/moto-api/config", method="POST",
                                     data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
    return server, endpoint


# Set once moto's Step Functions answers, the state machine exists and the deletions cut off by the last stop run
# again: it starts beside the HTTP server (moto's Step Functions costs 1-2 s of imports), and the requests that
# start or read a deletion's workflow wait for it.
WORKFLOW_READY = threading.Event()
WORKFLOW_WAIT_SECONDS = 60


def _needs_workflow(command: str, path: str) -> bool:
    return path.startswith("/v1/pos_devices/") and (command == "DELETE" or path.rstrip("/").endswith("/deletion"))


class Handler(ChaliceRequestHandler):
    """Chalice's local handler, plus the SPA's static files and one log line per request."""

    in_flight = 0
    _count_lock = threading.Lock()

    def _generic_handle(self) -> None:
        self._started = time.monotonic()
        path = self.path.split("?", 1)[0]
        with Handler._count_lock:
            Handler.in_flight += 1
        try:
            if self.command in ("GET", "HEAD") and not path.startswith("/v1/"):
                self._discard_body()
                return self._static(path)
            if self.command not in KNOWN_METHODS or not path.startswith("/v1/"):
                self._discard_body()
                return self._method_not_allowed(path)  # outside /v1/ only the SPA's files (GET, HEAD) are served
            if _allowed_methods(path) is None:
                # Chalice would answer API Gateway's 403 {"message": ...}, and echo the Authorization header
                # (the bearer token) in it: the API's 404 instead, in its error shape, never a credential.
                self._discard_body()
                return self._not_found()
            if not WORKFLOW_READY.is_set() and _needs_workflow(self.command, path):
                WORKFLOW_READY.wait(WORKFLOW_WAIT_SECONDS)
            if not self._body_is_readable():
                self.close_connection = True  # Chalice reads Content-Length bytes only: answer, then hang up
            super()._generic_handle()
        except (BrokenPipeError, ConnectionResetError):
            # The client went away before the answer was written (a browser cancelling a fetch): its log
            # line is out already; no traceback for it.
            self.close_connection = True
        finally:
            with Handler._count_lock:
                Handler.in_flight -= 1

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def __getattr__(self, name: str):
        # BaseHTTPRequestHandler answers a method it has no do_<METHOD> for (TRACE, CONNECT, PROPFIND ...)
        # with an HTML 501; every method gets the API's answer instead (405 in the error shape).
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def _body_is_readable(self) -> bool:
        """Whether the body's end is known from Content-Length (not chunked, a valid length)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return False
        length = self.headers.get("Content-Length") or "0"
        return length.isdigit()

    def _discard_body(self) -> None:
        """Reads and drops a body that nothing will use (a static file, a 405): left unread on a kept-alive
        connection, its bytes would be taken for the next request (which then got a 400 `Bad request syntax`)."""
        if not self._body_is_readable() or int(self.headers.get("Content-Length") or 0) > MAX_DISCARDED_BODY:
            self.close_connection = True  # no way (or no point) to find the body's end: close after answering
            return
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)

    def send_response(self, code, message=None) -> None:
        """As BaseHTTPRequestHandler's, without the `Server` header that advertises the software."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())
        if self.close_connection:
            self.send_header("Connection", "close")

    def _method_not_allowed(self, path: str) -> None:
        """What the API answers for a method Chalice does not know (as its own 405 for PUT on a GET route)."""
        allowed = _allowed_methods(path)
        if allowed is None:
            return self._not_found()
        self._send_error(405, "METHOD_NOT_ALLOWED", "METHOD_NOT_ALLOWED", {"Allow": ", ".join(allowed)})

    def _not_found(self) -> None:
        self._send_error(404, "NOT_FOUND", "NOT_FOUND.path")

    def _send_error(self, status: int, code: str, key: str, headers: dict | None = None) -> None:
        """An error the API's way: its shape, its sentence in the caller's language (Accept-Language)."""
        from chalicelib import i18n

        language = i18n.parse_accept_language(self.headers.get("Accept-Language"))
        body = {"errors": [{"code": code, "details": i18n.render(key, {}, language), "field": None}]}
        self._send_http_response(status, {"Content-Type": "application/json", "Content-Language": language,
                                          "Vary": "Accept-Language", "Cache-Control": "no-store", **(headers or {})},
                                 json.dumps(body, ensure_ascii=False).encode("utf-8"))

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
        # The same security headers as CloudFront's (chalicelib/api/security_headers.py): the e2e browser tests
        # run the SPA under its Content-Security-Policy.
        self._send_http_response(200, {**security_headers.SPA_HEADERS, "Content-Type": f"{content_type}; charset=utf-8",
                                       "Cache-Control": "no-cache"}, target.read_bytes())

    def _send_http_response(self, code, headers, body) -> None:
        if code == 201 and self.command == "POST" and INVITATION_PATH.fullmatch(self.path.split("?", 1)[0]):
            _print_invitation(body)  # before the answer: whoever got it finds the line printed
        super()._send_http_response(code, headers, body)

    def log_request(self, code="-", size="-") -> None:
        elapsed = (time.monotonic() - getattr(self, "_started", time.monotonic())) * 1000
        print(f"{time.strftime('%H:%M:%S')} {self.command} {self.path} {code} {elapsed:.0f}ms", flush=True)

    def log_message(self, format, *args) -> None:  # noqa: A002 - silence the default access log
        pass


# Locally there is no mail server: the invitation link the back office shows is printed too (DESIGN.md 3.2), or,
# with INVITATION_SENDER set, where its e-mail was saved (chalicelib/adapters/mail_folder.py).
INVITATION_PATH = re.compile(r"/v1/employees/[^/]+/invitation/?")


def _print_invitation(body) -> None:
    try:
        answer = json.loads(body)
        email = answer["employee"]["email"]
    except (ValueError, TypeError, KeyError):
        return
    if answer.get("invitation_url"):
        print(f"[invitation] for {email}: {answer['invitation_url']}", flush=True)
    elif answer.get("sent_to"):
        from chalicelib.config import settings

        print(f"[invitation] e-mailed to {email}: saved in {settings().mail_folder}", flush=True)


KNOWN_METHODS = {"GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS"}
MAX_DISCARDED_BODY = 10 * 1024 * 1024  # a larger unread body: the connection is closed instead
_ROUTES: dict = {}


def _allowed_methods(path: str) -> list[str] | None:
    """The methods of the API route matching `path` (the SPA's files answer GET and HEAD); None: no route."""
    if not path.startswith("/v1/"):
        return ["GET", "HEAD"]
    parts = path.rstrip("/").split("/")
    for pattern, methods in _ROUTES.items():
        candidate = pattern.split("/")
        if len(candidate) == len(parts) and all(c == p or (c.startswith("{") and c.endswith("}"))
                                                for c, p in zip(candidate, parts)):
            return sorted(methods)
    return None


class BackloggedHTTPServer(ThreadedHTTPServer):
    """socketserver listens with a backlog of 5: a burst of POS syncs got connections reset."""

    request_queue_size = 128


def _every(interval: float, stop: threading.Event, name: str, label: str, job) -> threading.Thread:
    """Runs `job` every `interval` seconds until `stop`, on a daemon thread; prints what it returns (when not
    None) or how it failed, and keeps going either way (what the deployed schedules and streams do, locally)."""

    def loop():
        while not stop.wait(interval):
            try:
                said = job()
                if said is not None:
                    print(f"[{label}] {said}", flush=True)
            except Exception as exc:  # noqa: BLE001 - the timer keeps going
                print(f"[{label}] failed: {exc}", flush=True)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def start_audit_timer(chalice_module, interval: int, stop: threading.Event) -> threading.Thread:
    """Runs the same entry point the deployed schedule runs, with a CloudWatch-style event."""

    def run():
        event = {"version": "0", "id": "local", "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": "123456789012", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"), "resources": [], "detail": {}}
        return chalice_module.run_audit(event, None)

    return _every(interval, stop, "audit-timer", "audit", run)


def start_webhook_dispatcher(interval: float, stop: threading.Event) -> threading.Thread:
    """Webhooks locally (issue 24): polls the outbox (the events the changes wrote, in the same database) and
    sends due deliveries, with the function the tests call. The outbox and the dispatcher's position are stored:
    after a crash the next start delivers what was written before it."""
    from chalicelib.services import webhooks

    def run():
        result = webhooks.run_once()
        return result if result["deliveries_added"] or result["delivered"] or result["failed_attempts"] else None

    return _every(interval, stop, "webhook-dispatcher", "webhooks", run)


# ---------------------------------------------------------------- one server per state directory

LOCK_FILE = "server.lock"


def claim_state_dir(state_dir: Path):
    """An exclusive lock on the state directory for as long as this process lives (the kernel drops it
    on any exit, kill -9 included): a second server, or `make reset`, sees that it is in use."""
    import fcntl

    state_dir.mkdir(parents=True, exist_ok=True)
    handle = open(state_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        sys.exit(f"Another `make run` (pid {holder}) is using {state_dir}. Stop it first (Ctrl-C in its "
                 "terminal), or give this one its own POS_LOCAL_STATE_DIR.")
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


# ---------------------------------------------------------------- start and stop


def _fewer_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each new thread's allocations an arena of their own (up to 8 per core): a threaded server
    that makes a thread per request keeps growing them. Two are enough here (measured: about 275 MB resident
    after 100,000 receipts with the default, about 225 MB with two). A no-op where glibc's mallopt is missing."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def main() -> None:
    _fewer_malloc_arenas()
    host, port = "127.0.0.1", int(os.environ.get("PORT", "8000"))
    state_dir = Path(os.environ.get("POS_LOCAL_STATE_DIR", ROOT / ".local"))
    audit_interval = int(os.environ.get("POS_AUDIT_INTERVAL_SECONDS", "60"))
    os.environ.setdefault("PASSWORD_HASH_PROFILE", "fast")
    os.environ.setdefault("POS_MAIL_FOLDER", str(state_dir / "mail"))  # no mail server: e-mails become files here
    # Ctrl-C must stop the server even when started from a script that ignores SIGINT (`cmd &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    storage = _storage_choice(state_dir)
    _check_port(host, port)
    lock = claim_state_dir(state_dir)  # noqa: F841 - held for the life of the process

    started_at = time.monotonic()
    children: dict = {}
    moto_port = _free_port()
    # moto's Step Functions interpreter sends its AWS calls to localhost:$MOTO_PORT in server mode.
    os.environ["MOTO_PORT"] = str(moto_port)
    try:
        started = _start(host, port, f"http://127.0.0.1:{moto_port}", storage, started_at)
        threading.Thread(target=_start_workflow, args=(children, moto_port, started["fresh"], started_at),
                         name="workflow-start", daemon=True).start()
    except KeyboardInterrupt:
        _stop_children(children)
        sys.exit("\n[local] interrupted while starting.")
    except StorageUnusable as exc:
        _stop_children(children)
        sys.exit(f"[local] {exc}")
    except BaseException:
        _stop_children(children)
        raise
    _serve(started, children, state_dir, audit_interval, started_at)


DB_FILE = "pos.sqlite3"


class StorageUnusable(Exception):
    """The data cannot be used as asked (said in a sentence a user can act on)."""


def _storage_choice(state_dir: Path) -> dict:
    """SQLite in the state directory (the default), or POS_STORAGE=dynamodb on the endpoint the user gave
    (AWS_ENDPOINT_URL_DYNAMODB), or on real DynamoDB with the user's AWS credentials."""
    choice = os.environ.get("POS_STORAGE") or "sqlite"
    if choice == "sqlite":
        return {"kind": "sqlite", "path": Path(os.environ.get("POS_SQLITE_PATH") or state_dir / DB_FILE)}
    if choice != "dynamodb":
        sys.exit(f"[local] POS_STORAGE={choice!r}: use sqlite (the default) or dynamodb.")
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    if not endpoint and not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        sys.exit("[local] POS_STORAGE=dynamodb needs a DynamoDB to talk to: set AWS_ENDPOINT_URL_DYNAMODB to a "
                 "DynamoDB-compatible endpoint, or AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY) of your development account; TABLE_NAME_PREFIX names the tables.")
    return {"kind": "dynamodb", "endpoint": endpoint}


def _start_workflow(children: dict, moto_port: int, fresh: bool, started_at: float) -> None:
    """moto's server, the state machine, and the deletions a stop cut off: beside the HTTP server."""
    from local.redrive import redrive_running_deletions
    from local.stack import create_state_machine

    try:
        children["moto"], _ = start_moto(moto_port)
        create_state_machine()
        if not fresh:
            # Step Functions executions live in moto's memory; the deletions they were running are on the
            # device records: start each again with the same input (every step is safe to repeat).
            for merchant_id, device_id, deletion_id in redrive_running_deletions():
                print(f"[local] resumed the deletion {deletion_id} of POS {device_id} (merchant {merchant_id}), "
                      "cut off by the last stop", flush=True)
        print(f"[local] Step Functions (moto) ready after {time.monotonic() - started_at:.1f}s", flush=True)
    except Exception as exc:  # noqa: BLE001 - the API still serves; deletions answer 503 until a restart
        print(f"[local] Step Functions (moto) did not start: {exc}; deletions cannot run until a restart",
              flush=True)
    finally:
        WORKFLOW_READY.set()


def _raise_interrupt(*_args):
    raise KeyboardInterrupt


def _stop_children(children: dict) -> None:
    moto_server = children.get("moto")
    if moto_server is not None:
        threading.Thread(target=moto_server.stop, daemon=True).start()  # never wait on it


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


def _start(host: str, port: int, moto_endpoint: str, storage: dict, started_at: float) -> dict:
    """Storage, state machine, data (kept, demo or empty) and the HTTP server, not serving yet."""
    from local.stack import local_environment

    local_environment(moto_endpoint, storage.get("path"), storage.get("endpoint"))

    import app as chalice_module
    from chalicelib import config
    from chalicelib.wiring import adapters
    from local.bridge import LambdaBridge
    from local.seed import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
    from local.stack import STATE_MACHINE_ARN, create_tables

    if storage["kind"] == "sqlite":
        fresh = not storage["path"].exists()
        from chalicelib.adapters.sqlite import SCHEMA_VERSION, SchemaError

        try:
            adapters()  # opens the file: creates or migrates its schema, or refuses it
        except SchemaError as exc:
            raise StorageUnusable(str(exc)) from None
        storage["note"] = f"SQLite {storage['path']} (schema version {SCHEMA_VERSION})"
    else:
        _share_botocore_data()
        from chalicelib.adapters import models

        models.bind()
        where = storage["endpoint"] or "your AWS account"
        try:
            fresh = not models.MerchantModel.exists()
        except Exception as exc:  # noqa: BLE001 - any failure to reach it is said in one line
            raise StorageUnusable(f"DynamoDB at {where} does not answer: {exc}") from None
        missing = [model.Meta.table_name for model in models.ALL_MODELS if not model.exists()]
        if missing:
            print(f"[local] creating {len(missing)} missing table(s) on {where}: {', '.join(missing)}", flush=True)
        storage["note"] = f"DynamoDB at {where}, tables {config_prefix()}*"
    create_tables()
    # The state machine's ARN is known before moto makes it (_start_workflow): a deletion asked for meanwhile
    # waits for it (WORKFLOW_READY).
    os.environ["STATE_MACHINE_ARN"] = STATE_MACHINE_ARN.format(region=os.environ["AWS_DEFAULT_REGION"])
    config.reload()
    bridge = LambdaBridge(chalice_module.app).register()
    bridge.background = True  # POST /v1/audit/runs answers at once; the run goes on in a thread, as on Lambda
    _ROUTES.update({path: entry.keys() for path, entry in chalice_module.app.routes.items()})
    wipe = "make reset wipes it" if storage["kind"] == "sqlite" else "in those tables; make reset leaves them"
    if not fresh:
        data_note = f"kept from the last run ({wipe})"
        login = ({"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
                 if adapters().accounts.find_employee_by_email(DEMO_EMAIL) else None)
    elif os.environ.get("POS_SEED_DEMO", "1") != "0":
        login = seed_demo(chalice_module.app)
        data_note = f"demo data created ({wipe})"
    else:
        login = None
        data_note = "empty (POS_SEED_DEMO=0); sign up with POST /v1/signup"

    original_invoke = bridge.invoke

    def invoke_and_log(name, event):
        started = time.monotonic()
        payload, error = None, {"errorType": "crashed"}
        try:
            payload, error = original_invoke(name, event)
            return payload, error
        finally:
            outcome = f"raised {error['errorType']}" if error else "ok"
            if error or name != "audit_shard":  # the audit's 32 shards a run: its [audit] line says enough
                print(f"{time.strftime('%H:%M:%S')} [workflow] {name} {outcome} "
                      f"{(time.monotonic() - started) * 1000:.0f}ms", flush=True)

    bridge.invoke = invoke_and_log

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
    return {"server": server, "chalice_module": chalice_module, "login": login, "data_note": data_note,
            "storage_note": storage["note"], "fresh": fresh}


def config_prefix() -> str:
    from chalicelib.config import settings

    return settings().table_name_prefix


STOP_BUDGET = 4.5  # seconds from Ctrl-C to exit, whatever is in flight


def _serve(started: dict, children: dict, state_dir: Path, audit_interval: int, started_at: float) -> None:
    server = started["server"]
    stop = threading.Event()
    start_audit_timer(started["chalice_module"], audit_interval, stop)
    from chalicelib.config import settings

    start_webhook_dispatcher(settings().webhook_poll_seconds, stop)
    url = f"http://{server.host}:{server.port}"
    print(f"\nPOS back office running on {url}  (started in {time.monotonic() - started_at:.1f}s)", flush=True)
    print(f"  back office (SPA): {url}/", flush=True)
    print(f"  API:               {url}/v1/openapi.json  (OpenAPI document; every route is under {url}/v1/...)",
          flush=True)
    if started["login"]:
        print(f"  demo login:        {started['login']['email']} / {started['login']['password']}", flush=True)
    print(f"  data:              {started['data_note']}", flush=True)
    print(f"  database:          {started['storage_note']}", flush=True)
    print(f"  POS simulator:     .venv/bin/python -m local.pos_sim --base-url {url} --help", flush=True)
    print(f"  webhooks:          delivered from the outbox every {settings().webhook_poll_seconds:g}s "
          f"(http://127.0.0.1 allowed locally)", flush=True)
    sender = settings().invitation_sender
    invitations = (f"e-mailed from {sender}: saved as .eml files in {settings().mail_folder}" if sender else
                   "the link is shown in the back office and printed here (INVITATION_SENDER=... e-mails them)")
    print(f"  invitations:       {invitations}", flush=True)
    print(f"  audit every {audit_interval}s; data in {state_dir}; Ctrl-C stops\n", flush=True)

    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    _shutdown(server, children, stop)


def _shutdown(server, children: dict, stop: threading.Event) -> None:
    """Stop within STOP_BUDGET seconds: no new requests, a moment for those in flight, then exit. Every write
    that was answered is on disk already (SQLite with synchronous=FULL), so nothing needs saving. A second
    Ctrl-C (or the budget running out) exits at once."""
    from chalicelib import wiring

    def force(*_args):
        print("\n[local] forced stop.", flush=True)
        os._exit(130)

    signal.signal(signal.SIGINT, force)
    signal.signal(signal.SIGTERM, force)
    watchdog = threading.Timer(STOP_BUDGET, force)
    watchdog.daemon = True
    watchdog.start()
    print(f"\n[local] stopping ({Handler.in_flight} request(s) in flight; Ctrl-C again to force)…", flush=True)
    stop.set()
    server.server.server_close()
    deadline = time.monotonic() + 1.5
    while Handler.in_flight and time.monotonic() < deadline:
        time.sleep(0.05)
    _stop_children(children)
    wiring.reset()  # closes the idle connections: the last one folds the WAL back into the file
    print("[local] stopped; every acknowledged write is in the database.", flush=True)
    sys.stdout.flush()
    os._exit(0)  # request and workflow threads still running must not hold the exit up


if __name__ == "__main__":
    main()
