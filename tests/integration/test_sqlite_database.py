"""The embedded database itself: durable settings, the versioned schema (a file is migrated or refused, never wiped
or misread), concurrent writers from many threads, and a database kept busy answering 503 instead of failing."""
import sqlite3
import threading

import pytest

from chalicelib.adapters import sqlite
from chalicelib.adapters.sqlite import database as sqlite_database
from chalicelib.errors import ServiceUnavailable
from tests.contract.world import World, receipt


def _pragma(path, name):
    with sqlite3.connect(path) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_a_new_file_gets_the_current_schema_in_wal_mode_and_writes_are_synchronous(tmp_path):
    path = tmp_path / "pos.sqlite3"
    db = sqlite.Database(path)
    assert _pragma(path, "user_version") == sqlite.SCHEMA_VERSION
    assert _pragma(path, "journal_mode") == "wal"
    with db.write() as conn:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: committed means on disk
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == set(sqlite_database.TABLES)
    db.close()


def test_a_file_from_a_newer_version_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "pos.sqlite3"
    sqlite.Database(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {sqlite.SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(sqlite.SchemaError, match="newer version of the POS back office"):
        sqlite.Database(path)
    assert path.read_bytes() == before
    assert _pragma(path, "user_version") == sqlite.SCHEMA_VERSION + 1


def test_a_file_that_is_not_ours_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    with pytest.raises(sqlite.SchemaError, match="not this project's"):
        sqlite.Database(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT text FROM notes").fetchall() == [("keep me",)]
        assert {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")} == {"notes"}


def test_an_older_file_is_migrated_step_by_step_and_keeps_its_data(tmp_path, monkeypatch):
    path = tmp_path / "pos.sqlite3"
    repos = sqlite.repositories(sqlite.Database(path))
    world = World(type("Repos", (), repos))
    store = world.store()
    # The next release adds a step: the file written by this one is brought to it at the next start.
    step = ["ALTER TABLE stores ADD COLUMN region TEXT", "UPDATE stores SET region = 'north'"]
    monkeypatch.setattr(sqlite_database, "MIGRATIONS", [*sqlite_database.MIGRATIONS, step])
    monkeypatch.setattr(sqlite_database, "SCHEMA_VERSION", len(sqlite_database.MIGRATIONS))
    again = sqlite.Database(path)
    assert _pragma(path, "user_version") == sqlite_database.SCHEMA_VERSION
    assert sqlite.repositories(again)["stores"].get(world.merchant_id, store["id"])["name"] == store["name"]
    with again.read() as conn:
        assert conn.execute("SELECT region FROM stores").fetchall() == [("north",)]


def test_a_migration_that_fails_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "pos.sqlite3"
    sqlite.Database(path).close()
    broken = ["ALTER TABLE stores ADD COLUMN region TEXT", "THIS IS NOT SQL"]
    monkeypatch.setattr(sqlite_database, "MIGRATIONS", [*sqlite_database.MIGRATIONS, broken])
    monkeypatch.setattr(sqlite_database, "SCHEMA_VERSION", len(sqlite_database.MIGRATIONS))
    with pytest.raises(sqlite3.OperationalError):
        sqlite.Database(path)
    assert _pragma(path, "user_version") == len(sqlite_database.MIGRATIONS) - 1
    with sqlite3.connect(path) as conn:
        assert "region" not in {row[1] for row in conn.execute("PRAGMA table_info(stores)")}


def test_sixteen_threads_storing_overlapping_batches_store_each_receipt_once(tmp_path):
    """Each thread has its own connection (the pool); BEGIN IMMEDIATE makes each batch's checks and writes one
    unit, so overlapping batches are refused whole (AlreadyStored) and the counter equals what is stored."""
    from chalicelib import ports

    repos = sqlite.repositories(sqlite.Database(tmp_path / "pos.sqlite3"))
    world = World(type("Repos", (), repos))
    device = world.active_device()
    outcomes, barrier = [], threading.Barrier(16)

    def store(first: int):
        barrier.wait()
        batch = [receipt(device, seq, receipt_id=f"r-{seq}") for seq in range(first, first + 10)]
        try:
            repos["receipts"].store_batch(device, batch)
            outcomes.append("stored")
        except ports.AlreadyStored:
            outcomes.append("refused")

    threads = [threading.Thread(target=store, args=(1 + 5 * (i % 8),)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    stored = repos["receipts"].seqs_of_device(world.merchant_id, device.number)
    slot = repos["devices"].get(world.merchant_id, device.id)
    assert len(outcomes) == 16
    assert outcomes.count("stored") >= 1
    assert slot.synced_receipts == len(stored) == 10 * outcomes.count("stored")


def test_a_database_kept_busy_past_the_timeout_answers_service_unavailable(tmp_path):
    path = tmp_path / "pos.sqlite3"
    db = sqlite.Database(path, busy_timeout_ms=100)
    repos = sqlite.repositories(db)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer that does not let go
    try:
        with pytest.raises(ServiceUnavailable):
            repos["tokens"].put("hash", kind="user", merchant_id="m")
    finally:
        blocker.execute("ROLLBACK")
    repos["tokens"].put("hash", kind="user", merchant_id="m")
    assert repos["tokens"].get("hash")["kind"] == "user"
