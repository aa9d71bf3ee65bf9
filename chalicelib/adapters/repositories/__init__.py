"""Repositories: the use cases' only way to DynamoDB, one module per aggregate. They return plain dicts and domain
objects and raise the ports' refusals (chalicelib/ports.py); chalicelib/wiring.py makes the instances the
services use."""
from chalicelib.adapters.repositories.accounts import AccountRepository
from chalicelib.adapters.repositories.audit_runs import AuditRunRepository
from chalicelib.adapters.repositories.devices import DeviceRepository, _device_item
from chalicelib.adapters.repositories.events import EventRepository
from chalicelib.adapters.repositories.findings import FindingRepository
from chalicelib.adapters.repositories.integrations import IntegrationRepository
from chalicelib.adapters.repositories.receipts import ReceiptRepository
from chalicelib.adapters.repositories.shifts import ShiftRepository
from chalicelib.adapters.repositories.stores import StoreRepository
from chalicelib.adapters.repositories.tokens import TokenRepository

__all__ = [
    "AccountRepository", "AuditRunRepository", "DeviceRepository", "EventRepository", "FindingRepository",
    "IntegrationRepository", "ReceiptRepository",
    "ShiftRepository", "StoreRepository", "TokenRepository",
    "_device_item",  # bench/audit_bench.py writes devices straight to the table
]
