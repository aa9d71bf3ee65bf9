"""The embedded database: one SQLite file (or an in-memory database for tests), its schema and its transactions.

Durability and concurrency, as the DynamoDB adapters promise them: WAL with `synchronous=FULL` (a write that
returned is on disk before the API answers), one transaction (`BEGIN IMMEDIATE`) per port write, a busy timeout
instead of an error while another writer commits, and a connection per thread at a time (a small pool: a threaded
server makes a thread per request, which must not mean a file handle per request).

The schema is versioned with `PRAGMA user_version`: a new file is created at the current version, an older one is
migrated step by step in one transaction, and a file from a newer version of the project (or not ours at all) is
refused with a message that says what to do; nothing is ever wiped or misread.
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

from chalicelib import deadline
from chalicelib.errors import ServiceUnavailable

log = logging.getLogger(__name__)

MEMORY = ":memory:"

# Each entry upgrades the schema from version (index) to version (index + 1). Append; never edit a released step.
MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE merchants (id TEXT PRIMARY KEY, doc TEXT NOT NULL) STRICT",
        "CREATE TABLE employees (merchant_id TEXT NOT NULL, id TEXT NOT NULL, email TEXT, doc TEXT NOT NULL,"
        " PRIMARY KEY (merchant_id, id)) STRICT",
        "CREATE INDEX employees_by_email ON employees (email) WHERE email IS NOT NULL",
        "CREATE TABLE stores (merchant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,"
        " PRIMARY KEY (merchant_id, id)) STRICT",
        # audit_shard/audit_due: the sparse audit index (set only while the device needs the audit's look).
        "CREATE TABLE devices (merchant_id TEXT NOT NULL, id TEXT NOT NULL, number INTEGER NOT NULL,"
        " version INTEGER NOT NULL, audit_shard TEXT, audit_due TEXT, deleting INTEGER NOT NULL DEFAULT 0,"
        " doc TEXT NOT NULL, PRIMARY KEY (merchant_id, id)) STRICT",
        "CREATE INDEX devices_by_number ON devices (merchant_id, number, id)",
        "CREATE INDEX devices_by_audit_due ON devices (audit_shard, audit_due) WHERE audit_shard IS NOT NULL",
        "CREATE INDEX devices_deleting ON devices (deleting) WHERE deleting = 1",
        "CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, doc TEXT NOT NULL) STRICT",
        # Uniqueness claims (e-mails, PINs, POS names per store, receipt ids, open findings) and attempt windows.
        "CREATE TABLE guards (pk TEXT PRIMARY KEY, owner_id TEXT, count INTEGER NOT NULL DEFAULT 0,"
        " window_start_epoch INTEGER, expires_at_epoch INTEGER) STRICT",
        "CREATE TABLE events (merchant_id TEXT NOT NULL, sk TEXT NOT NULL, pos_device_id TEXT, doc TEXT NOT NULL,"
        " PRIMARY KEY (merchant_id, sk)) STRICT",
        "CREATE INDEX events_by_device ON events (pos_device_id, sk) WHERE pos_device_id IS NOT NULL",
        "CREATE TABLE receipts (merchant_id TEXT NOT NULL, receipt_number TEXT NOT NULL, pos_device_id TEXT NOT NULL,"
        " store_id TEXT NOT NULL, created_sk TEXT NOT NULL, doc TEXT NOT NULL,"
        " PRIMARY KEY (merchant_id, receipt_number)) STRICT",
        "CREATE INDEX receipts_by_merchant ON receipts (merchant_id, created_sk)",
        "CREATE INDEX receipts_by_device ON receipts (pos_device_id, created_sk)",
        "CREATE INDEX receipts_by_store ON receipts (store_id, created_sk)",
        "CREATE TABLE shifts (merchant_id TEXT NOT NULL, id TEXT NOT NULL, pos_device_id TEXT NOT NULL,"
        " store_id TEXT NOT NULL, opened_sk TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (merchant_id, id)) STRICT",
        "CREATE INDEX shifts_by_merchant ON shifts (merchant_id, opened_sk)",
        "CREATE INDEX shifts_by_device ON shifts (pos_device_id, opened_sk)",
        "CREATE INDEX shifts_by_store ON shifts (store_id, opened_sk)",
        "CREATE TABLE findings (merchant_id TEXT NOT NULL, id TEXT NOT NULL, pos_device_id TEXT NOT NULL,"
        " first_seen_at TEXT NOT NULL, open_shard TEXT, doc TEXT NOT NULL, PRIMARY KEY (merchant_id, id)) STRICT",
        "CREATE INDEX findings_by_merchant ON findings (merchant_id, first_seen_at, id)",
        "CREATE INDEX findings_by_device ON findings (pos_device_id, first_seen_at, id)",
        "CREATE INDEX findings_open ON findings (open_shard, id) WHERE open_shard IS NOT NULL",
    ],
    [
        # Issue 24: API access tokens, webhook subscriptions and deliveries, the outbox readers' positions.
        "CREATE TABLE api_tokens (merchant_id TEXT NOT NULL, id TEXT NOT NULL, created_at TEXT NOT NULL,"
        " doc TEXT NOT NULL, PRIMARY KEY (merchant_id, id)) STRICT",
        "CREATE TABLE webhooks (merchant_id TEXT NOT NULL, id TEXT NOT NULL, created_at TEXT NOT NULL,"
        " doc TEXT NOT NULL, PRIMARY KEY (merchant_id, id)) STRICT",
        # pending_due/device_key: set only while the delivery is PENDING (the sparse indexes of the DynamoDB table).
        "CREATE TABLE webhook_deliveries (webhook_id TEXT NOT NULL, id TEXT NOT NULL, merchant_id TEXT NOT NULL,"
        " order_key TEXT NOT NULL, pending_due TEXT, device_key TEXT, doc TEXT NOT NULL,"
        " PRIMARY KEY (webhook_id, id)) STRICT",
        "CREATE INDEX deliveries_by_order ON webhook_deliveries (webhook_id, order_key, id)",
        "CREATE INDEX deliveries_pending ON webhook_deliveries (pending_due) WHERE pending_due IS NOT NULL",
        "CREATE INDEX deliveries_device_pending ON webhook_deliveries (device_key, order_key)"
        " WHERE device_key IS NOT NULL",
        "CREATE TABLE outbox_positions (name TEXT PRIMARY KEY, position INTEGER NOT NULL) STRICT",
    ],
    [
        # The sales summary's counters (chalicelib/domain/sales.py): one row per merchant, scope, local day and
        # counter name, added to by the transaction that stores the receipts.
        "CREATE TABLE sales_counters (merchant_id TEXT NOT NULL, scope TEXT NOT NULL, day TEXT NOT NULL,"
        " name TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (merchant_id, scope, day, name)) STRICT",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)
# The tables this project makes: a file with other tables and no version is somebody else's.
TABLES = ("merchants", "employees", "stores", "devices", "tokens", "guards", "events", "receipts", "shifts",
          "findings", "api_tokens", "webhooks", "webhook_deliveries", "outbox_positions", "sales_counters")


class SchemaError(RuntimeError):
    """The file cannot be used by this version of the project (said in a sentence a user can act on)."""


class Database:
    """A SQLite database the repositories share. `path` is a file, or ":memory:" (one connection, serialised)."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 10_000, pool_size: int = 16):
        self.path = str(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._pool_size = pool_size
        self._idle: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._local = threading.local()
        self._memory_lock = threading.RLock() if self.path == MEMORY else None
        self._memory_conn: sqlite3.Connection | None = None
        if self.path == MEMORY:
            with self._connection() as conn:
                migrate(conn, self.path)
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # A plain connection first: a file that is refused must not even get the WAL mark in its header.
            conn = sqlite3.connect(self.path, timeout=busy_timeout_ms / 1000, isolation_level=None)
            try:
                migrate(conn, self.path)
            finally:
                conn.close()
            with self._connection():  # the first pooled connection puts the file in WAL mode
                pass

    # ------------------------------------------------------------ connections

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        if self.path != MEMORY:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    @contextlib.contextmanager
    def _connection(self):
        """This thread's connection: the one it holds already (a nested use), or one from the pool."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        if self._memory_lock is not None:
            with self._memory_lock:
                if self._memory_conn is None:
                    self._memory_conn = self._open()
                self._local.conn = self._memory_conn
                try:
                    yield self._memory_conn
                finally:
                    self._local.conn = None
            return
        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
        conn = conn or self._open()
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None
            if conn.in_transaction:  # never hand on a connection in the middle of somebody's transaction
                conn.rollback()
            with self._pool_lock:
                if len(self._idle) < self._pool_size:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    @contextlib.contextmanager
    def read(self):
        """A connection for reads (each statement sees committed data; a write block's own writes inside it)."""
        with _translated(), self._connection() as conn:
            self._within_budget(conn)
            yield conn

    @contextlib.contextmanager
    def write(self):
        """One transaction, all or nothing: BEGIN IMMEDIATE takes the write lock first, so the checks made in the
        block hold until it commits. An exception (a refusal included) rolls everything back. Nested: one
        transaction."""
        with _translated(), self._connection() as conn:
            if conn.in_transaction:
                yield conn
                return
            self._within_budget(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.execute("COMMIT")

    def _within_budget(self, conn) -> None:
        """Inside an API request (chalicelib/deadline.py): nothing once its budget is spent, and a lock is waited
        for at most what is left of it (then SQLite answers busy: 503)."""
        left = deadline.remaining()
        if left is not None:
            deadline.check()
        # Set each time: a pooled connection may come from a request with a smaller budget.
        wait_ms = self.busy_timeout_ms if left is None else min(self.busy_timeout_ms, max(1, int(left * 1000)))
        conn.execute(f"PRAGMA busy_timeout = {wait_ms}")

    def close(self) -> None:
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        if self._memory_conn is not None:
            self._memory_conn.close()
            self._memory_conn = None


@contextlib.contextmanager
def _translated():
    """A database that stays locked past the busy timeout is briefly unavailable: 503, as DynamoDB's throttling."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            log.warning("SQLite busy: %s", exc)
            raise ServiceUnavailable() from exc
        raise


def migrate(conn: sqlite3.Connection, path: str) -> None:
    """Bring the file to SCHEMA_VERSION, or refuse it (SchemaError) when it is newer or not ours."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"{path} was written by a newer version of the POS back office (schema {version}; this one "
                f"knows up to {SCHEMA_VERSION}). Update the project, or point POS_SQLITE_PATH at another file.")
        if version == 0:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables:
                raise SchemaError(f"{path} holds tables that are not this project's ({', '.join(sorted(tables))}); "
                                  f"point POS_SQLITE_PATH at another file (nothing was changed).")
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
            log.info("SQLite schema of %s migrated to version %d", path, step + 1)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.rollback()
        raise
    conn.execute("COMMIT")
