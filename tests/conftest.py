"""Shared fixtures: an in-process moto mock (Step Functions executes for real), the app, API helpers."""
import contextlib
import json
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

# `make test-dynamodb` runs some tests against a DynamoDB endpoint the user gives, with the user's credentials;
# every other test gets fake credentials, so that nothing ever reaches a real AWS account.
DYNAMODB_ENDPOINT = os.environ.get("POS_TEST_DYNAMODB_ENDPOINT") or None
if not DYNAMODB_ENDPOINT:
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
os.environ.update({
    "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1") if DYNAMODB_ENDPOINT else "us-east-1",
    "PASSWORD_HASH_PROFILE": "fast", "POS_SYNC_WAIT_SECONDS": "0", "POS_SYNC_WAIT_ATTEMPTS": "2",
})
# moto's in-process DynamoDB is not thread-safe: the scheduled audit runs its shards one after another in
# tests (threaded tests that make moto atomic may raise it), with short backoffs between a shard's attempts.
os.environ.update({"AUDIT_FANOUT_WORKERS": "1", "AUDIT_RETRY_BASE_SECONDS": "0.01"})
# An API request's budget (chalicelib/deadline.py, 14 s on AWS): in-process moto on a shared test machine takes seconds
# for what DynamoDB does in milliseconds (a 250-receipt sync). tests/robustness/test_request_budget.py sets its own.
os.environ.update({"REQUEST_BUDGET_SECONDS": "120"})
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_STEPFUNCTIONS", "DYNAMODB_HOST",
              "TABLE_NAME_PREFIX", "STATE_MACHINE_ARN", "AWS_PROFILE", "POS_STORAGE", "POS_SQLITE_PATH"):
    os.environ.pop(_name, None)

from chalice.test import Client  # noqa: E402

from chalicelib import clock  # noqa: E402
from local.stack import local_aws  # noqa: E402,F401  (shared with benchmarks)


# ---------------------------------------------------------------- speed of the suite (not its behaviour)

def _share_botocore_data_loader() -> None:
    """Every test's fresh moto brings fresh boto3 sessions, and each new session parsed botocore's JSON
    data again (endpoints, service models, rule sets: 0.1-0.2 s of CPU per test). The data is read-only
    and the same for every session of the process: one loader, and so one parse, serves them all."""
    import botocore.loaders
    import botocore.session

    loaders: dict = {}

    def register(session):
        session._components.lazy_register_component("data_loader", lambda: loaders.setdefault(
            session.get_config_variable("data_path"),
            botocore.loaders.create_loader(session.get_config_variable("data_path"))))

    botocore.session.Session._register_data_loader = register


def _validate_each_state_machine_definition_once() -> None:
    """moto parses a state machine's definition to validate it on every CreateStateMachine (about 0.1 s,
    once per test); a definition it accepted once is valid the next time. Executions still parse it."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    validate, accepted = StepFunctionsParserBackend._validate_definition, set()

    def validate_once(definition: str):
        if definition not in accepted:
            validate(definition=definition)
            accepted.add(definition)

    StepFunctionsParserBackend._validate_definition = staticmethod(validate_once)


# The workflow's Retry waits 1, 2 and 4 s (IntervalSeconds 1, BackoffRate 2: infra/test_template.py holds the
# template to those numbers). moto's interpreter really sleeps them; the tests count attempts and read the
# history, never the clock, so they wait a tenth as long, in the same order.
STEP_FUNCTIONS_RETRY_SCALE = 0.1


def _shorten_step_functions_retry_waits() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    class ScaledSleep:
        def __getattr__(self, name):
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            time.sleep(seconds * STEP_FUNCTIONS_RETRY_SCALE)

    retrier_decl.time = ScaledSleep()


_share_botocore_data_loader()
_validate_each_state_machine_definition_once()
_shorten_step_functions_retry_waits()


@contextlib.contextmanager
def atomic_moto_dynamodb():
    """moto's in-process DynamoDB checks conditions and writes without a lock (a TransactWriteItems
    even rolls back by restoring a copy of whole tables). DynamoDB applies each request atomically,
    so threaded tests let moto serve one DynamoDB request at a time; requests still interleave."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    original = BotocoreStubber.process_request

    def process_request(self, request):
        if "dynamodb." not in request.url:
            return original(self, request)
        with lock:
            return original(self, request)

    BotocoreStubber.process_request = process_request
    try:
        yield
    finally:
        BotocoreStubber.process_request = original


@pytest.fixture(scope="session", autouse=True)
def _moto_dynamodb_one_request_at_a_time():
    """Deletion workflows run on moto's own threads, beside the test's requests and each other's: a
    TransactWriteItems copying the tables while another thread wrote into them failed with "dictionary
    changed size during iteration" (seen in tests/robustness/test_faults.py). Every test gets moto made
    atomic per DynamoDB request, as DynamoDB is; requests still interleave."""
    with atomic_moto_dynamodb():
        yield


@pytest.fixture
def threaded_app(aws, engine):
    """The app with a thread-local `current_request` (Chalice's LocalChalice, what `chalice local` and the
    local server use; on Lambda one container serves one request at a time) and, on the moto engine, moto
    made atomic per request (SQLite's transactions are atomic already).

    chalice.test.Client alone is not thread-safe: Chalice keeps `current_request` on the app object and
    the test client swaps `os.environ` per request."""
    from chalice.local import LocalChalice

    from app import app

    original_class, environ, interval = app.__class__, os.environ, sys.getswitchinterval()
    if not issubclass(original_class, LocalChalice):
        app.__class__ = type("ThreadLocalChalice", (LocalChalice, original_class), {})
    sys.setswitchinterval(1e-4)  # switch threads often, so that requests really interleave
    try:
        with atomic_moto_dynamodb() if engine == "moto" else contextlib.nullcontext():
            yield app
    finally:
        sys.setswitchinterval(interval)
        app.__class__ = original_class
        os.environ = environ


def at_once(app, jobs: list, timeout: float = 60) -> list:
    """Run every `job(api)` on its own thread with its own chalice.test.Client, released together by a barrier;
    returns their results in order (exceptions are re-raised here)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def run(position, job):
        api = Api(Client(app))
        try:
            barrier.wait(timeout=timeout)
            results[position] = job(api)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a request never returned"
    if errors:
        raise errors[0]
    return results


# ---------------------------------------------------------------- engines

# Modules whose tests run on both storages (docs/CONTRACT.md section 6): the DynamoDB adapters on moto, and the
# SQLite adapters (`make run`'s embedded default). Every other test runs on moto unless marked `engine(...)`.
BOTH_ENGINES = ("tests/integration/test_sync_concurrency.py", "tests/functional/test_lifecycle.py",
                "tests/functional/test_sync.py", "tests/functional/test_deletion.py",
                "tests/functional/test_final_sync.py", "tests/functional/test_pairing.py",
                "tests/functional/test_device_names.py", "tests/robustness/test_concurrency.py",
                "tests/robustness/test_final_sync_races.py", "tests/robustness/test_audit_races.py",
                "tests/robustness/test_lockouts.py", "tests/robustness/test_sync_attacks.py",
                "tests/robustness/test_numbering_invariant.py", "tests/robustness/test_issue22_access.py",
                "tests/robustness/test_pairing_retry.py", "tests/robustness/test_request_budget.py",
                "tests/functional/test_audit_runs.py",
                "tests/functional/test_team_access.py", "tests/robustness/test_team_attacks.py",
                "tests/functional/test_webhooks.py",
                "tests/functional/test_signup_defaults.py", "tests/functional/test_sales_summary.py",
                "tests/functional/test_finding_acknowledge.py")
ENGINES = ("moto", "sqlite") + (("dynamodb",) if DYNAMODB_ENDPOINT else ())


def _runs_on_both_engines(path: str) -> bool:
    path = path.replace(os.sep, "/")
    return any(f"/{part}" in path or path.startswith(part) for part in BOTH_ENGINES)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite: runs on the SQLite adapters (parametrised engine)")
    config.addinivalue_line("markers", "dynamodb: runs on the DynamoDB endpoint of `make test-dynamodb`")
    config.addinivalue_line("markers", "both_engines: run this test on moto and on SQLite")
    config.addinivalue_line("markers", "engine(*names): run this test on these engines only (moto, sqlite)")


def pytest_generate_tests(metafunc):
    if "aws" not in metafunc.fixturenames:
        return
    only = metafunc.definition.get_closest_marker("engine")
    if only is not None:
        metafunc.parametrize("engine", only.args, indirect=True)
    elif _runs_on_both_engines(str(metafunc.definition.path)) or metafunc.definition.get_closest_marker(
            "both_engines"):
        metafunc.parametrize("engine", ENGINES, indirect=True)


# ---------------------------------------------------------------- pytest-xdist (`make test`)

# Directories whose conftest has session fixtures that are costly to make: each runs whole on one worker,
# so that they are made once (tests/e2e: the local server and the browser; tests/infra: the packaged template).
WHOLE_DIRECTORIES = ("tests/e2e", "tests/infra")
# The order the units are handed out in: the longest first, so that no long one is left for the end.
DIRECTORY_ORDER = ("tests/e2e", "tests/system", "tests/infra", "tests/robustness", "tests/functional",
                   "tests/integration", "tests/contract", "tests/unit")


def _unit_of_work(nodeid: str) -> str:
    """A test's unit of work on the workers: its module (module-scoped fixtures are made once), or the whole
    directory for WHOLE_DIRECTORIES."""
    path = nodeid.split("::", 1)[0]
    return next((directory for directory in WHOLE_DIRECTORIES if path.startswith(directory + "/")), path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's own `--dist loadgroup` cannot group on pytest 9 (pytest-xdist issue 1386), so the default
    `--dist load` hands out units of work (_unit_of_work) instead of single tests, in collection order."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitsOfWork(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit_of_work(nodeid)

    config.option.loadscopereorder = False  # keep the order of pytest_collection_modifyitems
    return UnitsOfWork(config, log)


def _rank(item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return next((rank for rank, directory in enumerate(DIRECTORY_ORDER) if path.startswith(directory + "/")),
                len(DIRECTORY_ORDER))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Marks each test by the storage it runs on (`make test-fast` leaves the moto ones out); on xdist's
    workers, the directories go in DIRECTORY_ORDER."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        engine = callspec.params.get("engine", "moto") if callspec is not None else "moto"
        if "engine" in item.fixturenames:
            item.add_marker(getattr(pytest.mark, engine))
    if os.environ.get("PYTEST_XDIST_WORKER"):  # each worker sorts alike (xdist checks they collected alike)
        items.sort(key=_rank)


@pytest.fixture
def engine(request):
    """"moto" unless the test is parametrised with both engines (BOTH_ENGINES) or marked `engine(...)`."""
    return getattr(request, "param", "moto")


FROZEN_AT = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def at():
    """The app's clock frozen at FROZEN_AT; `at(hours=2)` moves it to two hours later."""
    def move(**delta):
        clock.set_now(FROZEN_AT + timedelta(**delta))
    move()
    yield move
    clock.set_now(None)


@pytest.fixture
def aws(engine):
    """A fresh, empty AWS per test (see local_aws), with the data on the test's engine."""
    with local_aws(engine) as bridge:
        yield bridge


@pytest.fixture
def client(aws):
    from app import app as chalice_app

    with Client(chalice_app) as test_client:
        yield Api(test_client)


class Api:
    """Thin helper over chalice.test.Client: JSON in, (status, JSON) out."""

    def __init__(self, http):
        self.http = http

    def call(self, method, path, body=None, token=None, raw=None, headers=None):
        all_headers = {"Content-Type": "application/json"} | (headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.http.http, method.lower())(path, headers=all_headers, body=payload or b"")
        data = response.json_body if response.body else None
        return response.status_code, data

    def get(self, path, token=None, **kw):
        return self.call("GET", path, token=token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.call("POST", path, body=body, token=token, **kw)

    def patch(self, path, body=None, token=None, **kw):
        return self.call("PATCH", path, body=body, token=token, **kw)

    def delete(self, path, token=None, **kw):
        return self.call("DELETE", path, token=token, **kw)

    # ------------------------------------------------------------ story helpers

    def signup(self, name="Cafe", email=None, password="correct horse 1"):
        email = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
        status, body = self.post("/v1/signup", {"business_name": name, "email": email, "password": password})
        assert status == 201, body
        return Merchant(self, body["token"], email, password, body["employee"], body["merchant"])

    def wait_for_deletion(self, token, device_id, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, deletion = self.get(f"/v1/pos_devices/{device_id}/deletion", token=token)
            assert status == 200, deletion
            if deletion["status"] != "RUNNING":
                return deletion
            time.sleep(0.05)
        raise AssertionError(f"deletion still running after {timeout}s: {deletion}")


class Merchant:
    def __init__(self, api, token, email, password, owner, merchant):
        self.api, self.token, self.email, self.password = api, token, email, password
        self.owner, self.merchant = owner, merchant

    def store(self, name=None):
        # Store names are unique per merchant (issue 25): the default is "Main store", then "Main store 2" ...
        if name is None:
            self.stores_made = getattr(self, "stores_made", 0) + 1
            name = "Main store" if self.stores_made == 1 else f"Main store {self.stores_made}"
        status, body = self.api.post("/v1/stores", {"name": name}, token=self.token)
        assert status == 201, body
        return body

    def device(self, name="Till 1", store_id=None):
        store_id = store_id or self.store()["id"]
        status, body = self.api.post("/v1/pos_devices", {"name": name, "store_id": store_id}, token=self.token)
        assert status == 201, body
        return body

    def activate(self, device_id, installation_id=None):
        status, body = self.api.post("/v1/pos/login", {"email": self.email, "password": self.password})
        assert status == 200, body
        status, body = self.api.post("/v1/pos/activate", {
            "login_token": body["login_token"], "pos_device_id": device_id,
            "installation_id": installation_id or f"install-{uuid.uuid4().hex[:8]}"})
        assert status == 200, body
        return body

    def active_device(self, name="Till 1"):
        device = self.device(name)
        activation = self.activate(device["id"])
        return activation["pos_device"], activation["device_token"]

    def invite(self, employee_id, token=None):
        """POST /v1/employees/{id}/invitation (by the owner, or `token`): the 201 body."""
        status, body = self.api.post(f"/v1/employees/{employee_id}/invitation", token=token or self.token)
        assert status == 201, body
        return body

    def employee(self, name="Mia", role="MANAGER", email=None, password=None, store_ids=(), pin=None, token=None):
        """An employee added through the API; with `password`, given back-office access the only way there is: an
        invitation the employee accepts (a CASHIER with a password: invited as MANAGER, then made CASHIER, as a
        manager who lost the back office). Returns the employee, with `token` (their session) when a password was
        set."""
        body = {"name": name, "role": "MANAGER" if password and role == "CASHIER" else role,
                "store_ids": list(store_ids)}
        if email or password:
            body["email"] = email or f"{name.lower().replace(' ', '-')}-{uuid.uuid4().hex[:8]}@example.com"
        if pin:
            body["pin"] = pin
        status, employee = self.api.post("/v1/employees", body, token=token or self.token)
        assert status == 201, employee
        if not password:
            return employee
        invitation = self.invite(employee["id"], token=token)
        status, accepted = self.api.post("/v1/invitations/accept", {"token": invitation["token"], "password": password})
        assert status == 200, accepted
        employee, session = accepted["employee"], accepted["token"]
        if role == "CASHIER":
            status, employee = self.api.patch(f"/v1/employees/{employee['id']}", {"role": "CASHIER"},
                                              token=token or self.token)
            assert status == 200, employee
            session = None
        return employee | {"token": session}


def receipt(number: int, seq: int, total=700, created_at="2026-11-24T10:00:00Z", **extra):
    return {"id": extra.pop("id", str(uuid.uuid4())), "receipt_number": f"{number}-{seq}", "receipt_type": "SALE",
            "created_at": created_at,
            "line_items": [{"item_name": "Tea", "quantity": 2, "price": total // 2, "total_money": total}],
            "payments": [{"type": "CASH", "money_amount": total}], "total_money": total, "total_tax": 0} | extra
