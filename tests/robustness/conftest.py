"""Fixtures of the robustness tests: a populated merchant ("world"), a second merchant, thread-safe app."""
import uuid
from dataclasses import dataclass, field

import pytest

from tests.conftest import Merchant, receipt

PASSWORD = "correct horse 1"


@dataclass
class World:
    """One merchant with every kind of object, and the credentials of each role."""

    api: object
    owner: Merchant
    store: dict
    empty_store: dict
    device: dict  # ACTIVATED, 3 receipts synced, one open shift
    device_token: str
    idle_device: dict  # NOT_ACTIVATED
    manager: dict
    manager_token: str
    cashier: dict
    cashier_token: str
    receipt_numbers: list[str] = field(default_factory=list)
    shift_id: str = ""
    audit_run_id: str = ""  # the owner's audit run (GET /v1/audit/runs/{run_id})
    secrets: set[str] = field(default_factory=set)
    api_token: dict = field(default_factory=dict)  # issue 24: a WRITE token, a webhook and a test delivery of it
    webhook: dict = field(default_factory=dict)
    delivery: dict = field(default_factory=dict)

    def login_token(self) -> str:
        status, body = self.api.post("/v1/pos/login", {"email": self.owner.email, "password": self.owner.password})
        assert status == 200, body
        self.secrets.add(body["login_token"])
        return body["login_token"]


def _employee(api, owner, role, store_id, pin):
    email = f"{role.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    body = owner.employee(f"{role.title()} One", role, email=email, password=PASSWORD, pin=pin, store_ids=[store_id])
    body.pop("token")
    status, login = api.post("/v1/auth/login", {"email": email, "password": PASSWORD})
    if role == "CASHIER":
        # A CASHIER has no back-office session (DESIGN.md 3.2). Their token here is one issued the way a login
        # did before that rule: every back-office route must still refuse it.
        assert status == 403, login
        from chalicelib.services import accounts
        from chalicelib.wiring import adapters

        token, _ = accounts._issue_user_token(adapters().accounts.get_employee(owner.merchant["id"], body["id"]))
        return body, token
    assert status == 200, login
    return body, login["token"]


def build_world(api, name="Cafe") -> World:
    owner = api.signup(name=name, password=PASSWORD)
    store = owner.store("Main store")
    empty_store = owner.store("Empty store")
    device = owner.device("Till 1", store_id=store["id"])
    activation = owner.activate(device["id"])
    token = activation["device_token"]
    idle = owner.device("Till 2", store_id=store["id"])
    manager, manager_token = _employee(api, owner, "MANAGER", store["id"], "1111")
    cashier, cashier_token = _employee(api, owner, "CASHIER", store["id"], "2222")
    shift_id = str(uuid.uuid4())
    receipts = [receipt(device["number"], seq, shift_id=shift_id) for seq in (1, 2, 3)]
    status, body = api.post("/v1/pos/sync", {
        "state": {"last_receipt_number": 3, "open_tickets": 0, "shift_open": True},
        "shifts": [{"id": shift_id, "opened_at": "2026-11-24T08:00:00Z", "starting_cash": 10000}],
        "receipts": receipts}, token=token)
    assert (status, body["accepted"]) == (200, 3), body
    device = body["pos_device"]
    status, run = api.post("/v1/audit/runs", token=owner.token)
    assert status == 202, run
    world = World(api=api, owner=owner, store=store, empty_store=empty_store, device=device,
                  device_token=token, idle_device=idle, manager=manager, manager_token=manager_token,
                  cashier=cashier, cashier_token=cashier_token,
                  receipt_numbers=[r["receipt_number"] for r in receipts], shift_id=shift_id, audit_run_id=run["id"])
    status, world.api_token = api.post("/v1/api_tokens", {"name": "ERP", "access": "WRITE"}, token=owner.token)
    assert status == 201, world.api_token
    status, world.webhook = api.post("/v1/webhooks", {"url": "http://127.0.0.1:9/hooks",
                                                      "event_types": ["receipts.created"]}, token=owner.token)
    assert status == 201, world.webhook
    status, world.delivery = api.post(f"/v1/webhooks/{world.webhook['id']}/test", token=owner.token)
    assert status == 202, world.delivery
    world.secrets |= {owner.token, token, manager_token, cashier_token, PASSWORD, world.api_token["token"],
                      world.webhook["secret"]}
    return world


def _settled(world: World) -> None:
    """No deletion workflow may outlive the test's moto (its worker thread would call AWS for real)."""
    from chalicelib import clock
    from tests.robustness.harness import settle_deletions

    clock.set_now(None)
    settle_deletions(world.api, world.owner.token)


@pytest.fixture
def world(client):
    built = build_world(client)
    yield built
    _settled(built)


@pytest.fixture
def other_world(client, world):
    built = build_world(client, name="Other shop")
    yield built
    _settled(built)


