"""Builders for the contract suite: records made through the ports themselves, shaped as the services make them."""
import dataclasses
import itertools
import uuid

from chalicelib.domain.devices import Device

_ticks = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


def stamp(n: int) -> str:
    """An ISO time n minutes after 2026-11-24T10:00Z (distinct n: distinct, ordered times)."""
    return f"2026-11-24T{10 + n // 60:02d}:{n % 60:02d}:00Z"


def event(merchant_id: str, type_: str = "test.event", pos_device_id: str | None = None, details=None) -> dict:
    """An activity-log entry; each one made later sorts later (newest first in listings)."""
    tick = next(_ticks)
    at = f"2026-11-24T10:00:00.{tick:06d}Z"
    return {"id": new_id(), "merchant_id": merchant_id, "pos_device_id": pos_device_id, "type": type_,
            "actor": {"type": "employee", "id": "someone"}, "at": at, "sort_at": at, "details": details or {}}


def employee(merchant_id: str, email: str | None = None, pin_hash: str | None = None, role: str = "CASHIER",
             name: str = "Ann") -> dict:
    return {"merchant_id": merchant_id, "id": new_id(), "name": name, "email": email, "role": role, "store_ids": [],
            "pin_hash": pin_hash, "password_hash": "hash", "session_epoch": None, "invitation_hash": None,
            "invitation_expires_at": None, "created_at": stamp(0), "updated_at": stamp(0)}


class World:
    """A merchant with stores and POS slots, written through one implementation's repositories."""

    def __init__(self, repos, email: str | None = None):
        self.repos = repos
        self.merchant_id = new_id()
        self.owner = employee(self.merchant_id, email or f"owner-{new_id()[:8]}@example.com", role="OWNER",
                              name="Owner")
        repos.accounts.create_merchant({"id": self.merchant_id, "business_name": "Cafe", "currency": "EUR",
                                        "pos_number_counter": 0, "created_at": stamp(0)},
                                       self.owner, event(self.merchant_id, "merchant.created"))
        self.counter = 0

    def store_record(self, name: str = "Main") -> dict:
        return {"merchant_id": self.merchant_id, "id": new_id(), "name": name, "address": None, "device_count": 0,
                "created_at": stamp(0), "updated_at": stamp(0)}

    def store(self, name: str | None = None) -> dict:
        # Store names are unique per merchant: "Main", then "Main 2" ...
        self.stores_made = getattr(self, "stores_made", 0) + 1
        store = self.store_record(name or ("Main" if self.stores_made == 1 else f"Main {self.stores_made}"))
        self.repos.stores.save(store, event(self.merchant_id, "store.created"))
        return store

    def device(self, store_id: str, name: str | None = None) -> Device:
        device = Device(merchant_id=self.merchant_id, id=new_id(), name=name or f"Till {self.counter + 1}",
                        store_id=store_id, number=self.counter + 1, created_at=stamp(0), updated_at=stamp(0))
        self.repos.devices.create(device, self.counter, event(self.merchant_id, "pos_device.created", device.id))
        self.counter += 1
        return device

    def activate(self, device: Device, now: str = stamp(1)) -> Device:
        current = self.repos.devices.get(device.merchant_id, device.id)
        after = current.activated(f"install-{new_id()[:8]}", new_id(), f"token-{new_id()}", self.owner["id"], now)
        self.repos.devices.save_transition(current, after, event(self.merchant_id, "pos_device.activated", device.id))
        return self.repos.devices.get(device.merchant_id, device.id)

    def change(self, device: Device, **changes) -> Device:
        """A plain write of the slot (version-checked), as change_device makes."""
        current = self.repos.devices.get(device.merchant_id, device.id)
        self.repos.devices.save_transition(current, dataclasses.replace(current, **changes), None)
        return self.repos.devices.get(device.merchant_id, device.id)

    def active_device(self, store_id: str | None = None, name: str | None = None) -> Device:
        return self.activate(self.device(store_id or self.store()["id"], name))


def receipt(device: Device, seq: int, minute: int = 0, employee_id: str | None = None, payment: str = "CASH",
            receipt_id: str | None = None, **extra) -> dict:
    """A receipt item as the sync stores it."""
    number = f"{device.number}-{seq}"
    created = stamp(minute)
    return {"merchant_id": device.merchant_id, "receipt_number": number, "id": receipt_id or new_id(),
            "receipt_type": "SALE", "pos_device_id": device.id, "pos_device_name": device.name,
            "store_id": device.store_id, "shift_id": None, "employee_id": employee_id,
            "created_at": created, "created_sk": f"{created[:-1]}.000000Z#{number}", "synced_at": stamp(200),
            "line_items": [{"item_name": "Tea", "quantity": 2, "price": 350, "total_money": 700}],
            "payments": [{"type": payment, "money_amount": 700}], "total_money": 700, "total_tax": 0} | extra


def shift(device: Device, minute: int = 0, closed_minute: int | None = None, shift_id: str | None = None) -> dict:
    opened = stamp(minute)
    sid = shift_id or new_id()
    return {"merchant_id": device.merchant_id, "id": sid, "pos_device_id": device.id, "store_id": device.store_id,
            "opened_at": opened, "opened_sk": f"{opened[:-1]}.000000Z#{sid}",
            "closed_at": stamp(closed_minute) if closed_minute is not None else None,
            "opened_by_employee": None, "closed_by_employee": None, "starting_cash": 0, "expected_cash": None,
            "actual_cash": None}


def finding(device: Device, type_: str, minute: int = 0, **extra) -> dict:
    return {"merchant_id": device.merchant_id, "id": new_id(), "pos_device_id": device.id, "type": type_,
            "details": None, "details_key": f"finding.{type_}", "details_params": {"name": device.name},
            "missing_receipt_numbers": [], "missing_count": 0, "first_seen_at": stamp(minute),
            "last_seen_at": stamp(minute), "resolved_at": None} | extra
