"""Which adapters the use cases talk to. Built on first use, so that `import app` loads no PynamoDB and no
AWS client: a Lambda cold start pays for them only when a request needs storage."""
from __future__ import annotations

import contextlib
import dataclasses
import threading

from chalicelib import ports
from chalicelib.config import settings


@dataclasses.dataclass(frozen=True)
class Adapters:
    accounts: ports.Accounts
    tokens: ports.Tokens
    audit_runs: ports.AuditRuns
    stores: ports.Stores
    devices: ports.Devices
    events: ports.Events
    receipts: ports.Receipts
    shifts: ports.Shifts
    findings: ports.Findings
    integrations: ports.Integrations
    workflow: ports.Workflow
    fanout: ports.AuditFanout
    secrets: ports.Secrets  # read only when a secret's ARN is configured (PIN_HASH_SECRET_ARN on AWS)
    mailer: ports.Mailer  # sends only when INVITATION_SENDER is configured


_current: Adapters | None = None
_built_for: tuple | None = None  # the settings the built adapters serve: other settings build others
_build_lock = threading.Lock()


_replacement: Adapters | None = None  # what `use` put in place


def adapters() -> Adapters:
    global _current, _built_for
    if _replacement is not None:
        return _replacement
    cfg = settings()
    wanted = (cfg.storage, cfg.sqlite_path if cfg.storage == "sqlite" else None, cfg.mail_folder)
    if _current is None or _built_for != wanted:
        with _build_lock:
            if _current is None or _built_for != wanted:
                _current = _sqlite(cfg.sqlite_path) if cfg.storage == "sqlite" else _aws()
                _built_for = wanted
    return _current


def reset() -> None:
    """Build the adapters again on next use (a test's fresh database; the local server after a reset)."""
    global _current, _built_for
    with _build_lock:
        if _current is not None and hasattr(_current.accounts, "db"):
            _current.accounts.db.close()
        _current, _built_for = None, None


@contextlib.contextmanager
def use(replacement: Adapters):
    """Run the use cases on other adapters (the unit tests' in-memory fakes)."""
    global _replacement
    previous, _replacement = _replacement, replacement
    try:
        yield replacement
    finally:
        _replacement = previous


def _sqlite(path: str) -> Adapters:
    """The storage ports on SQLite; Step Functions and the audit's fan-out stay AWS's (moto's, locally)."""
    from chalicelib.adapters import fanout, secrets, sqlite, workflow

    return Adapters(**sqlite.repositories(sqlite.Database(path)), workflow=workflow.WorkflowStarter(),
                    fanout=fanout.ShardInvoker(), secrets=secrets.SecretsManagerReader(), mailer=_mailer())


def _aws() -> Adapters:
    # The one place that names the concrete adapters.
    from chalicelib.adapters import fanout, repositories, secrets, workflow

    return Adapters(
        accounts=repositories.AccountRepository(), tokens=repositories.TokenRepository(),
        audit_runs=repositories.AuditRunRepository(),
        stores=repositories.StoreRepository(), devices=repositories.DeviceRepository(),
        events=repositories.EventRepository(), receipts=repositories.ReceiptRepository(),
        shifts=repositories.ShiftRepository(), findings=repositories.FindingRepository(),
        integrations=repositories.IntegrationRepository(),
        workflow=workflow.WorkflowStarter(), fanout=fanout.ShardInvoker(), secrets=secrets.SecretsManagerReader(),
        mailer=_mailer())


def _mailer() -> ports.Mailer:
    """SES; locally, with POS_MAIL_FOLDER set (`make run` sets it), a folder of .eml files instead."""
    from chalicelib.adapters import mail_folder, mailer

    folder = settings().mail_folder
    return mail_folder.FolderMailer(folder) if folder else mailer.SesMailer()


def webhook_sender():
    """The HTTP side of webhook deliveries (chalicelib/adapters/webhook_sender.py: send, check_url, UrlRefused)."""
    from chalicelib.adapters import webhook_sender as sender

    return sender


def stream_events(records) -> list[dict]:
    """The events of a DynamoDB Stream batch of the events table (the outbox's read side on AWS)."""
    from chalicelib.adapters.stream import event_of_record

    return [event for event in (event_of_record(record) for record in records) if event is not None]
