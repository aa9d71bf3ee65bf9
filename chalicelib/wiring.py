"""Which adapters the use cases talk to. Built on first use, so that `import app` loads no PynamoDB and no
AWS client: a Lambda cold start pays for them only when a request needs storage."""
from __future__ import annotations

import contextlib
import dataclasses

from chalicelib import ports


@dataclasses.dataclass(frozen=True)
class Adapters:
    accounts: ports.Accounts
    tokens: ports.Tokens
    stores: ports.Stores
    devices: ports.Devices
    events: ports.Events
    receipts: ports.Receipts
    shifts: ports.Shifts
    findings: ports.Findings
    workflow: ports.Workflow
    fanout: ports.AuditFanout
    secrets: ports.Secrets  # read only when a secret's ARN is configured (PIN_HASH_SECRET_ARN on AWS)


_current: Adapters | None = None


def adapters() -> Adapters:
    global _current
    if _current is None:
        _current = _aws()
    return _current


@contextlib.contextmanager
def use(replacement: Adapters):
    """Run the use cases on other adapters (the unit tests' in-memory fakes)."""
    global _current
    previous, _current = _current, replacement
    try:
        yield replacement
    finally:
        _current = previous


def _aws() -> Adapters:
    # The one place that names the concrete adapters.
    from chalicelib.adapters import fanout, repositories, secrets, workflow

    return Adapters(
        accounts=repositories.AccountRepository(), tokens=repositories.TokenRepository(),
        stores=repositories.StoreRepository(), devices=repositories.DeviceRepository(),
        events=repositories.EventRepository(), receipts=repositories.ReceiptRepository(),
        shifts=repositories.ShiftRepository(), findings=repositories.FindingRepository(),
        workflow=workflow.WorkflowStarter(), fanout=fanout.ShardInvoker(), secrets=secrets.SecretsManagerReader())
