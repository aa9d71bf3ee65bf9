"""The service rules on SQLite in memory (the real adapter) with fakes of the AWS services: no app, milliseconds
per test.

`fake` runs the use cases on a fresh database and fresh AWS fakes (chalicelib.wiring.use) with the clock frozen at FROZEN_AT; `shop` is a
merchant with its owner's principal and one store, made through the services themselves."""
import dataclasses
import uuid
from datetime import datetime, timedelta

import pytest

from chalicelib import clock, wiring
from chalicelib.services import accounts, devices
from chalicelib.services.common import Principal
from tests.conftest import FROZEN_AT
from tests.unit.aws_fakes import sqlite_adapters

PASSWORD = "correct horse 1"


@pytest.fixture
def fake():
    clock.set_now(FROZEN_AT)
    try:
        with wiring.use(sqlite_adapters()) as adapters:
            yield adapters
    finally:
        clock.set_now(None)


def later(**delta) -> None:
    """Move the frozen clock on."""
    clock.set_now(clock.now() + timedelta(**delta))


@dataclasses.dataclass
class Shop:
    adapters: wiring.Adapters
    email: str
    owner: Principal
    store_id: str

    @property
    def merchant_id(self) -> str:
        return self.owner.merchant_id

    def device(self, name: str = "Till 1", store_id: str | None = None):
        return devices.create_device(self.owner, name, store_id or self.store_id)

    def activate(self, device_id: str, installation_id: str | None = None) -> tuple[Principal, object, str]:
        """(device principal, slot, device token) of a fresh activation by the owner's e-mail and password."""
        login = devices.pos_login(self.email, PASSWORD)
        answer = devices.activate_device(login["login_token"], device_id,
                                         installation_id or f"install-{uuid.uuid4().hex[:8]}")
        principal = devices.authenticate_device(answer["device_token"])
        return principal, principal.device, answer["device_token"]

    def active_device(self, name: str = "Till 1"):
        return self.activate(self.device(name).id)

    def slot(self, device_id: str):
        return self.adapters.devices.get(self.merchant_id, device_id)

    def event_types(self, device_id: str | None = None) -> list[str]:
        """Newest first; events of one moment (the clock is frozen) come in no particular order."""
        items, _ = self.adapters.events.list(self.merchant_id, 250, None, pos_device_id=device_id)
        return [e["type"] for e in items]


@pytest.fixture
def shop(fake) -> Shop:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    signed = accounts.signup("Cafe", email, PASSWORD)
    owner = accounts.authenticate_user(signed["token"])
    store = accounts.create_store(owner, "Main", None)
    return Shop(fake, email, owner, store["id"])


def sale(number: int, seq: int, total: int = 700, created_at: datetime | None = None, **extra) -> dict:
    """A receipt as the sync route hands it to the service (validated, times parsed)."""
    return {"id": extra.pop("id", str(uuid.uuid4())), "receipt_number": f"{number}-{seq}", "receipt_type": "SALE",
            "created_at": created_at or FROZEN_AT - timedelta(hours=2), "employee_id": None, "shift_id": None,
            "line_items": [{"item_name": "Tea", "quantity": 2, "price": total // 2, "total_money": total}],
            "payments": [{"type": "CASH", "money_amount": total}], "total_money": total, "total_tax": 0} | extra


def state(last: int, open_tickets: int = 0, shift_open: bool = False) -> dict:
    return {"last_receipt_number": last, "open_tickets": open_tickets, "shift_open": shift_open}


def shift_in(shift_id: str | None = None, opened_at: datetime | None = None, closed_at: datetime | None = None) -> dict:
    return {"id": shift_id or str(uuid.uuid4()), "opened_at": opened_at or FROZEN_AT - timedelta(hours=3),
            "closed_at": closed_at, "opened_by_employee": None, "closed_by_employee": None, "starting_cash": 0,
            "expected_cash": None, "actual_cash": None}
