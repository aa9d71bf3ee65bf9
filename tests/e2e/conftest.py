"""Browser tests: the real local server (`python -m local.server`) driven through Debian's Chromium.

No mocks: the server runs the whole stack (embedded moto, Step Functions, the Lambda bridge) in a
subprocess on a free port with its own state directory; Playwright drives the SPA it serves.
"""
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SERVER_START_TIMEOUT = 120
PASSWORD = "correct-horse-1"

expect.set_options(timeout=15_000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _python() -> str:
    venv_python = ROOT / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


@contextlib.contextmanager
def local_server(state_dir: Path, log_name: str = "server.log", **env_overrides: str):
    """`python -m local.server` on a free port with its own state directory (empty: no demo data), until the block
    ends; yields its base URL. `env_overrides`: settings of this server (e.g. POS_SYNC_WAIT_SECONDS); its log is
    kept as tests/e2e/artifacts/`log_name`."""
    port = _free_port()
    log_path = state_dir / "server.log"
    env = dict(os.environ)
    env.update({"PORT": str(port), "POS_LOCAL_STATE_DIR": str(state_dir), "POS_SEED_DEMO": "0",
                "POS_SYNC_WAIT_SECONDS": "0", "PASSWORD_HASH_PROFILE": "fast", "PYTHONUNBUFFERED": "1"})
    env.update(env_overrides)
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        process = subprocess.Popen([_python(), "-m", "local.server"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"local.server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/v1/openapi.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"local.server did not answer within {SERVER_START_TIMEOUT}s:\n"
                            f"{log_path.read_text()[-4000:]}")
            time.sleep(0.25)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / log_name).write_text(log_path.read_text())


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of a freshly started local server (empty: no demo data)."""
    with local_server(tmp_path_factory.mktemp("pos-local-state")) as base_url:
        yield base_url


class Api:
    """The HTTP API as a POS app (or a test's set-up) uses it: JSON in, (status, JSON) out."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def call(self, method: str, path: str, body=None, token: str | None = None):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, (json.loads(raw) if raw else None)

    def ok(self, method: str, path: str, body=None, token: str | None = None, status: int | tuple = (200, 201, 202)):
        code, data = self.call(method, path, body, token)
        expected = status if isinstance(status, tuple) else (status,)
        assert code in expected, f"{method} {path} -> {code} {data}"
        return data

    def run_audit(self, token: str, timeout: float = 60) -> dict:
        """POST /v1/audit/runs (202: the server runs it in a thread, as Lambda would in the background), then its
        status polled until it has finished."""
        run = self.ok("POST", "/v1/audit/runs", token=token, status=202)
        deadline = time.monotonic() + timeout
        while run["status"] == "RUNNING":
            assert time.monotonic() < deadline, run
            time.sleep(0.2)
            run = self.ok("GET", f"/v1/audit/runs/{run['id']}", token=token, status=200)
        assert run["status"] == "SUCCEEDED", run
        return run

    # ------------------------------------------------------------ set-up helpers

    def signup(self, business_name: str = "Test shop") -> dict:
        email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
        data = self.ok("POST", "/v1/signup", {"business_name": business_name, "email": email, "password": PASSWORD},
                       status=201)
        return {"email": email, "password": PASSWORD, "token": data["token"], "employee": data["employee"]}

    def create_store(self, token: str, name: str) -> dict:
        return self.ok("POST", "/v1/stores", {"name": name}, token=token, status=201)

    def create_device(self, token: str, name: str, store_id: str) -> dict:
        return self.ok("POST", "/v1/pos_devices", {"name": name, "store_id": store_id}, token=token, status=201)

    def activate(self, email: str, password: str, device_name: str) -> dict:
        """What the POS app does: log in with the owner's credentials, pick the slot, activate it."""
        login = self.ok("POST", "/v1/pos/login", {"email": email, "password": password})
        device = next(d for d in login["pos_devices"] if d["name"] == device_name)
        activated = self.ok("POST", "/v1/pos/activate", {
            "login_token": login["login_token"], "pos_device_id": device["id"],
            "installation_id": f"install-{uuid.uuid4().hex[:8]}"})
        return {"device_token": activated["device_token"], "device": activated["pos_device"],
                "employee": activated["employee"], "next_receipt_seq": activated["next_receipt_seq"]}

    def sync(self, device_token: str, body: dict) -> dict:
        return self.ok("POST", "/v1/pos/sync", body, token=device_token)


def receipt(number: int, seq: int, total: int, employee_id: str | None = None, shift_id: str | None = None,
            item: str = "Tea", created_at: str | None = None) -> dict:
    """A receipt as the POS app sends it (docs/CONTRACT.md section 3), total = one line item."""
    return {"id": str(uuid.uuid4()), "receipt_number": f"{number}-{seq}", "receipt_type": "SALE",
            "created_at": created_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "employee_id": employee_id, "shift_id": shift_id,
            "line_items": [{"item_name": item, "quantity": 1, "price": total, "total_money": total}],
            "payments": [{"type": "CASH", "money_amount": total}], "total_money": total, "total_tax": 0}


@pytest.fixture
def api(server) -> Api:
    return Api(server)


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _open_page(browser, request, server, viewport):
    context = browser.new_context(viewport=viewport, locale="en-GB", base_url=server)
    page = context.new_page()
    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("console", lambda message: page_errors.append(message.text) if message.type == "error"
            and "Failed to load resource" not in message.text else None)
    yield page
    failed = any(getattr(request.node, f"rep_{when}", None) and getattr(request.node, f"rep_{when}").failed
                 for when in ("setup", "call"))
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / f"{request.node.name}.png"
        try:
            page.screenshot(path=str(target), full_page=True)
            print(f"screenshot saved: {target}")
        except Exception as exc:  # noqa: BLE001 - the test's own failure matters more
            print(f"screenshot failed: {exc}")
    context.close()
    assert not page_errors, f"JavaScript errors in the page: {page_errors}"


@pytest.fixture
def page(browser, request, server) -> Page:
    yield from _open_page(browser, request, server, {"width": 1280, "height": 860})


@pytest.fixture
def phone_page(browser, request, server) -> Page:
    yield from _open_page(browser, request, server, {"width": 390, "height": 844})


def login_ui(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/#/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("pos-list-page")).to_be_visible()


def save_review_screenshot(page: Page, name: str) -> None:
    """Screenshots kept for people to look at (tests/e2e/artifacts is not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
