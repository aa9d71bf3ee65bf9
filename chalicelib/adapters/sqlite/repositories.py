"""Every storage port on SQLite, with the DynamoDB adapters' observable semantics (tests/contract holds both to it).

Each port write is one transaction (Database.write: BEGIN IMMEDIATE), in the same atomic units as the DynamoDB
adapters' conditional writes and TransactWriteItems: its conditions are checked first, in the order the DynamoDB
adapter adds its items (so the same refusal wins when several fail), and a refusal raises before anything is kept.
Records are JSON documents without the attributes that are None (as DynamoDB keeps them); the reads that fill
defaults fill the same ones. Key and sort columns beside the document serve the listings and the sparse indexes.
"""
from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterable

from chalicelib import ports
from chalicelib.adapters.sqlite.database import Database
from chalicelib.adapters.sqlite.listing import Listing
from chalicelib.config import settings
from chalicelib.domain import audit as audit_rules
from chalicelib.domain import sales
from chalicelib.domain.devices import Device, Status, name_key, store_name_guard, store_name_taken
from chalicelib.domain.receipts import format_receipt_number, parse_receipt_number
from chalicelib.errors import Conflict

# What the reads fill in for attributes a record lacks (the DynamoDB models' defaults).
EMPLOYEE_DEFAULTS = {"merchant_id": None, "id": None, "name": None, "email": None, "role": None, "store_ids": [],
                     "pin_hash": None, "password_hash": None, "session_epoch": None, "invitation_hash": None,
                     "invitation_expires_at": None, "created_at": None, "updated_at": None}
STORE_DEFAULTS = {"merchant_id": None, "id": None, "name": None, "address": None, "device_count": 0,
                  "created_at": None, "updated_at": None}
# Model defaults written on every put (a record saved without them has them).
WRITTEN_DEFAULTS = {"employee": {"store_ids": []}, "store": {"device_count": 0},
                    "finding": {"missing_receipt_numbers": [], "missing_count": 0}, "shift": {"starting_cash": 0},
                    "merchant": {"pos_number_counter": 0}, "event": {"details": {}}}
# What the open-finding index carries (besides its keys).
OPEN_FINDING_ATTRS = ("merchant_id", "id", "open_shard", "pos_device_id", "type", "missing_receipt_numbers",
                      "missing_count", "checked_from", "checked_upto")
MAX_PAYMENTS_PER_RECEIPT = 20  # api/schemas/pos.py ReceiptIn.payments: what the DynamoDB filter looks at
_IN_CHUNK = 500  # bound parameters per IN (...) list


# ---------------------------------------------------------------- documents


def _dump(record: dict) -> str:
    return json.dumps({k: v for k, v in record.items() if v is not None}, separators=(",", ":"))


def _put(kind: str, record: dict) -> dict:
    return copy.deepcopy(WRITTEN_DEFAULTS.get(kind, {})) | {k: v for k, v in record.items() if v is not None}


def _load(doc: str | None) -> dict | None:
    return None if doc is None else json.loads(doc)


def _filled(record: dict | None, defaults: dict) -> dict | None:
    return None if record is None else copy.deepcopy(defaults) | record


def _without(record: dict, *names: str) -> dict:
    return {k: v for k, v in record.items() if k not in names}


def _chunks(values: list, size: int = _IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _marks(values: list) -> str:
    return ", ".join("?" * len(values))


_DEVICE_FIELDS = {field.name for field in dataclasses.fields(Device)}


def _device(doc: str | dict | None) -> Device | None:
    if doc is None:
        return None
    data = {k: v for k, v in (json.loads(doc) if isinstance(doc, str) else doc).items() if k in _DEVICE_FIELDS}
    data["status"] = Status(data["status"])
    return Device(**data)


class _Tables:
    """The row-level operations the repositories share (their writes span tables, as the transactions do)."""

    def __init__(self, db: Database):
        self.db = db

    # guards: uniqueness claims and attempt windows
    @staticmethod
    def guard(conn, pk: str) -> dict | None:
        row = conn.execute("SELECT owner_id, count, window_start_epoch, expires_at_epoch FROM guards WHERE pk = ?",
                           (pk,)).fetchone()
        return None if row is None else {"pk": pk, "owner_id": row[0], "count": row[1], "window_start_epoch": row[2],
                                         "expires_at_epoch": row[3]}

    @staticmethod
    def claim(conn, pk: str, owner_id: str) -> None:
        conn.execute("INSERT OR REPLACE INTO guards (pk, owner_id, count) VALUES (?, ?, 0)", (pk, owner_id))

    @staticmethod
    def free(conn, pk: str) -> None:
        conn.execute("DELETE FROM guards WHERE pk = ?", (pk,))

    @staticmethod
    def add_event(conn, event: dict) -> None:
        record = _put("event", _without(event, "sort_at"))
        conn.execute("INSERT OR REPLACE INTO events (merchant_id, sk, pos_device_id, doc) VALUES (?, ?, ?, ?)",
                     (event["merchant_id"], f"{event['sort_at']}#{event['id']}", event.get("pos_device_id"),
                      _dump(record)))

    @staticmethod
    def device(conn, merchant_id: str, device_id: str) -> Device | None:
        row = conn.execute("SELECT doc FROM devices WHERE merchant_id = ? AND id = ?", (merchant_id, device_id)).fetchone()
        return _device(row[0]) if row else None

    @staticmethod
    def put_device(conn, device: Device, with_audit_key: bool = True) -> None:
        """A full write of the device; with `with_audit_key` it sets or removes its audit index key from the state
        it writes (a counter update leaves the key as it was, as the DynamoDB adapter's update does)."""
        data = dataclasses.asdict(device)
        data["status"] = device.status.value
        doc = json.dumps(data, separators=(",", ":"))
        if with_audit_key:
            cfg = settings()
            shard, due = audit_rules.audit_key(device, cfg.silent_hours, cfg.shift_max_hours)
            conn.execute(
                "INSERT INTO devices (merchant_id, id, number, version, audit_shard, audit_due, deleting, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (merchant_id, id) DO UPDATE SET number = excluded.number,"
                " version = excluded.version, audit_shard = excluded.audit_shard, audit_due = excluded.audit_due,"
                " deleting = excluded.deleting, doc = excluded.doc",
                (device.merchant_id, device.id, device.number, device.version, shard, due, int(device.deleting), doc))
        else:
            conn.execute("UPDATE devices SET number = ?, version = ?, deleting = ?, doc = ? WHERE merchant_id = ? AND id = ?",
                         (device.number, device.version, int(device.deleting), doc, device.merchant_id, device.id))

    def slot_holds(self, conn, device: Device, final_sync: tuple[str, str] | None) -> bool:
        """The condition of a device's writes: the slot is still this activation's, or (final_sync = (activation
        id, now)) that old installation's final-sync window is still open."""
        current = self.device(conn, device.merchant_id, device.id)
        if current is None:
            return False
        if final_sync is None:
            return current.activation_id == device.activation_id and current.status == Status.ACTIVATED
        activation_id, now = final_sync
        return current.final_sync_activation_id == activation_id and (current.final_sync_until or "") > now

    @staticmethod
    def docs(conn, table: str, key: str, merchant_id: str, values: Iterable[str]) -> dict[str, dict]:
        """{key value: document} of the rows of one merchant with these keys."""
        found = {}
        for chunk in _chunks(sorted(set(values))):
            for value, doc in conn.execute(f"SELECT {key}, doc FROM {table} WHERE merchant_id = ? AND {key} IN "
                                           f"({_marks(chunk)})", [merchant_id, *chunk]):
                found[value] = json.loads(doc)
        return found

    @staticmethod
    def doc(conn, table: str, key: str, merchant_id: str, value: str) -> dict | None:
        row = conn.execute(f"SELECT doc FROM {table} WHERE merchant_id = ? AND {key} = ?", (merchant_id, value)).fetchone()
        return _load(row[0]) if row else None


# ---------------------------------------------------------------- accounts


def _guard_keys(employee: dict) -> list[tuple[str, str]]:
    keys = []
    if employee.get("email"):
        keys.append((f"email#{employee['email'].lower()}", "EMAIL_TAKEN"))
    if employee.get("pin_hash"):
        keys.append((f"pin#{employee['merchant_id']}#{employee['pin_hash']}", "PIN_TAKEN"))
    return keys


class SqliteAccounts(_Tables):
    def _check_employee(self, conn, employee: dict, old: dict | None) -> None:
        current = self.doc(conn, "employees", "id", employee["merchant_id"], employee["id"])
        if (current is not None) if old is None else (current is None or current.get("updated_at") != old["updated_at"]):
            raise ports.VersionConflict()
        old_keys = {pk for pk, _code in _guard_keys(old or {})}
        for pk, code in _guard_keys(employee):
            if pk not in old_keys and self.guard(conn, pk) is not None:
                raise Conflict(field=code.split("_")[0].lower(), code=code)

    def _write_employee(self, conn, employee: dict, old: dict | None) -> None:
        new_keys = {pk for pk, _code in _guard_keys(employee)}
        for pk, _code in _guard_keys(old or {}):
            if pk not in new_keys:
                self.free(conn, pk)
        for pk in new_keys:
            self.claim(conn, pk, employee["id"])
        record = _put("employee", employee)
        conn.execute("INSERT OR REPLACE INTO employees (merchant_id, id, email, doc) VALUES (?, ?, ?, ?)",
                     (employee["merchant_id"], employee["id"], record.get("email"), _dump(record)))

    def create_merchant(self, merchant: dict, owner: dict, event: dict, store: dict | None = None) -> None:
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM merchants WHERE id = ?", (merchant["id"],)).fetchone():
                raise ports.VersionConflict()
            self._check_employee(conn, owner, None)
            if store is not None and self.doc(conn, "stores", "id", store["merchant_id"], store["id"]) is not None:
                raise ports.VersionConflict()
            conn.execute("INSERT INTO merchants (id, doc) VALUES (?, ?)", (merchant["id"], _dump(_put("merchant", merchant))))
            self._write_employee(conn, owner, None)
            self.add_event(conn, event)
            if store is not None:
                conn.execute("INSERT INTO stores (merchant_id, id, doc) VALUES (?, ?, ?)",
                             (store["merchant_id"], store["id"], _dump(_put("store", store))))
                self.claim(conn, store_name_guard(merchant["id"], store["name"]), store["id"])

    def get_merchant(self, merchant_id: str) -> dict | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT doc FROM merchants WHERE id = ?", (merchant_id,)).fetchone()
        return _load(row[0]) if row else None

    def get_employee(self, merchant_id: str, employee_id: str) -> dict | None:
        with self.db.read() as conn:
            return _filled(self.doc(conn, "employees", "id", merchant_id, employee_id), EMPLOYEE_DEFAULTS)

    def find_employee_by_email(self, email: str) -> dict | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT doc FROM employees WHERE email = ? LIMIT 1", (email.lower(),)).fetchone()
        return _filled(_load(row[0]), EMPLOYEE_DEFAULTS) if row else None

    def find_employee_by_pin(self, merchant_id: str, pin_hash: str) -> dict | None:
        with self.db.read() as conn:
            guard = self.guard(conn, f"pin#{merchant_id}#{pin_hash}")
            return _filled(self.doc(conn, "employees", "id", merchant_id, guard["owner_id"]),
                           EMPLOYEE_DEFAULTS) if guard else None

    def get_employees(self, merchant_id: str, employee_ids: Iterable[str]) -> dict[str, dict]:
        with self.db.read() as conn:
            return self.docs(conn, "employees", "id", merchant_id, employee_ids)

    def list_employees(self, merchant_id: str, limit: int, cursor: str | None) -> ports.Page:
        listing = Listing("employees", merchant_id, merchant_id, ("id",), (str,))
        with self.db.read() as conn:
            rows, next_cursor = listing.page(conn, "SELECT id, doc FROM employees", "merchant_id = ?", [merchant_id],
                                             limit, cursor)
        return [_filled(json.loads(doc), EMPLOYEE_DEFAULTS) for (doc,) in rows], next_cursor

    def save_employee(self, employee: dict, old: dict | None, event: dict) -> None:
        with self.db.write() as conn:
            self._check_employee(conn, employee, old)
            self._write_employee(conn, employee, old)
            self.add_event(conn, event)

    def delete_employee(self, employee: dict, event: dict) -> None:
        with self.db.write() as conn:
            gone = conn.execute("DELETE FROM employees WHERE merchant_id = ? AND id = ?",
                                (employee["merchant_id"], employee["id"])).rowcount == 0
            if gone:
                raise ports.VersionConflict()
            for pk, _code in _guard_keys(employee):
                self.free(conn, pk)
            self.add_event(conn, event)

    # Attempt windows: every attempt is counted before the credentials are checked, in one transaction.
    def reserve_attempt(self, key: str, now_epoch: int, limit: int, window_seconds: int) -> int | None:
        pk = f"login#{key.lower()}"
        with self.db.write() as conn:
            current = self.guard(conn, pk)
            start = current["window_start_epoch"] if current else None
            if start is None or start <= now_epoch - window_seconds:
                conn.execute("INSERT OR REPLACE INTO guards (pk, owner_id, count, window_start_epoch, expires_at_epoch)"
                             " VALUES (?, ?, 1, ?, ?)", (pk, current and current["owner_id"], now_epoch,
                                                         now_epoch + window_seconds))
                return None
            if current["count"] >= limit:
                return start
            conn.execute("UPDATE guards SET count = count + 1 WHERE pk = ?", (pk,))
            return None

    def clear_attempts(self, key: str) -> None:
        with self.db.write() as conn:
            self.free(conn, f"login#{key.lower()}")

    def release_attempt(self, key: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE guards SET count = count - 1 WHERE pk = ? AND count > 0", (f"login#{key.lower()}",))


class SqliteTokens(_Tables):
    def put(self, token_hash: str, **fields) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO tokens (token_hash, doc) VALUES (?, ?)",
                         (token_hash, _dump(fields | {"token_hash": token_hash})))

    def get(self, token_hash: str) -> dict | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT doc FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
        return _load(row[0]) if row else None

    def delete(self, token_hash: str) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM tokens WHERE token_hash = ?", (token_hash,))


class SqliteAuditRuns(_Tables):
    """The back office's audit runs, in the tokens table as on DynamoDB (repositories/audit_runs.py): the run, and
    the merchant's lock on running one, checked and claimed in one transaction."""

    def start(self, run: dict, now_epoch: int) -> dict:
        merchant_id = run["merchant_id"]
        lock_key = f"audit_run_lock#{merchant_id}"
        with self.db.write() as conn:
            row = conn.execute("SELECT doc FROM tokens WHERE token_hash = ?", (lock_key,)).fetchone()
            if row:
                lock = _load(row[0])
                holder = conn.execute("SELECT doc FROM tokens WHERE token_hash = ?",
                                      (f"audit_run#{merchant_id}#{lock['run_id']}",)).fetchone()
                holder = _load(holder[0])["run"] if holder else None
                if (lock["running_until_epoch"] >= now_epoch and holder is not None
                        and holder.get("status") == "RUNNING"):
                    return holder
            self._save(conn, run)
            conn.execute("INSERT OR REPLACE INTO tokens (token_hash, doc) VALUES (?, ?)", (lock_key, _dump({
                "token_hash": lock_key, "kind": "audit_run_lock", "merchant_id": merchant_id, "run_id": run["id"],
                "running_until_epoch": run["running_until_epoch"],
                "expires_at_epoch": run["running_until_epoch"]})))
        return run

    def get(self, merchant_id: str, run_id: str) -> dict | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT doc FROM tokens WHERE token_hash = ?",
                               (f"audit_run#{merchant_id}#{run_id}",)).fetchone()
        return _load(row[0])["run"] if row else None

    def finish(self, run: dict) -> None:
        merchant_id = run["merchant_id"]
        with self.db.write() as conn:
            self._save(conn, run)
            conn.execute("DELETE FROM tokens WHERE token_hash = ? AND json_extract(doc, '$.run_id') = ?",
                         (f"audit_run_lock#{merchant_id}", run["id"]))

    @staticmethod
    def _save(conn, run: dict) -> None:
        key = f"audit_run#{run['merchant_id']}#{run['id']}"
        conn.execute("INSERT OR REPLACE INTO tokens (token_hash, doc) VALUES (?, ?)", (key, _dump({
            "token_hash": key, "kind": "audit_run", "merchant_id": run["merchant_id"], "run_id": run["id"],
            "run": run, "expires_at_epoch": int(run["running_until_epoch"]) + 7 * 24 * 3600})))


class SqliteStores(_Tables):
    def get(self, merchant_id: str, store_id: str) -> dict | None:
        with self.db.read() as conn:
            return _filled(self.doc(conn, "stores", "id", merchant_id, store_id), STORE_DEFAULTS)

    def get_many(self, merchant_id: str, store_ids: Iterable[str]) -> dict[str, dict]:
        with self.db.read() as conn:
            return self.docs(conn, "stores", "id", merchant_id, store_ids)

    def list(self, merchant_id: str, limit: int, cursor: str | None) -> ports.Page:
        listing = Listing("stores", merchant_id, merchant_id, ("id",), (str,))
        with self.db.read() as conn:
            rows, next_cursor = listing.page(conn, "SELECT id, doc FROM stores", "merchant_id = ?", [merchant_id],
                                             limit, cursor)
        return [_filled(json.loads(doc), STORE_DEFAULTS) for (doc,) in rows], next_cursor

    def save(self, store: dict, event: dict, expected_updated_at: str | None = None,
             previous_name: str | None = None) -> None:
        new_key = store_name_guard(store["merchant_id"], store["name"])
        old_key = None if previous_name is None else store_name_guard(store["merchant_id"], previous_name)
        claims = expected_updated_at is None or (old_key is not None and old_key != new_key)
        with self.db.write() as conn:
            current = self.doc(conn, "stores", "id", store["merchant_id"], store["id"])
            if (current is not None) if expected_updated_at is None else (
                    current is None or current.get("updated_at") != expected_updated_at):
                raise ports.VersionConflict()
            if claims and self.guard(conn, new_key) is not None:
                raise store_name_taken(store["name"])
            conn.execute("INSERT OR REPLACE INTO stores (merchant_id, id, doc) VALUES (?, ?, ?)",
                         (store["merchant_id"], store["id"], _dump(_put("store", store))))
            if claims:
                self.claim(conn, new_key, store["id"])
                if old_key is not None:
                    self.free(conn, old_key)
            self.add_event(conn, event)

    def delete(self, store: dict, event: dict) -> None:
        with self.db.write() as conn:
            current = self.doc(conn, "stores", "id", store["merchant_id"], store["id"]) or {}
            if current.get("device_count", 0) != 0:
                raise Conflict(code="STORE_HAS_POS_DEVICES")
            conn.execute("DELETE FROM stores WHERE merchant_id = ? AND id = ?", (store["merchant_id"], store["id"]))
            self.free(conn, store_name_guard(store["merchant_id"], store["name"]))
            self.add_event(conn, event)


# ---------------------------------------------------------------- devices


def _name_guard(device: Device) -> str | None:
    """The claim that keeps POS names unique within a store (a deleted POS frees its name)."""
    if device.deleted_at:
        return None
    return f"posname#{device.merchant_id}#{device.store_id}#{name_key(device.name)}"


class SqliteDevices(_Tables):
    def get(self, merchant_id: str, device_id: str) -> Device | None:
        with self.db.read() as conn:
            return self.device(conn, merchant_id, device_id)

    def get_many(self, merchant_id: str, device_ids: Iterable[str]) -> dict[str, Device]:
        with self.db.read() as conn:
            docs = self.docs(conn, "devices", "id", merchant_id, device_ids)
        return {device_id: _device(doc) for device_id, doc in docs.items()}

    def list(self, merchant_id: str, limit: int, cursor: str | None, store_id: str | None = None,
             status: str | None = None, show_deleted: bool = False) -> ports.Page:
        where, params = ["merchant_id = ?"], [merchant_id]
        if store_id:
            where.append("json_extract(doc, '$.store_id') = ?")
            params.append(store_id)
        if status:
            where.append("json_extract(doc, '$.status') = ?")
            params.append(status)
        if not show_deleted:
            where.append("json_extract(doc, '$.deleted_at') IS NULL")
        listing = Listing("devices", merchant_id, merchant_id, ("number", "id"), (int, str))
        with self.db.read() as conn:
            rows, next_cursor = listing.page(conn, "SELECT number, id, doc FROM devices", " AND ".join(where), params,
                                             limit, cursor)
        return [_device(doc) for (doc,) in rows], next_cursor

    def keys_needing_audit(self, shard: str, due_by: str) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            return [tuple(row) for row in conn.execute(
                "SELECT merchant_id, id FROM devices WHERE audit_shard = ? AND audit_due < ? ORDER BY audit_due",
                (shard, due_by))]

    def get_for_audit(self, keys: Iterable[tuple[str, str]]) -> list[Device]:
        with self.db.read() as conn:
            found = (self.device(conn, merchant_id, device_id) for merchant_id, device_id in set(keys))
            return [device for device in found if device is not None]

    def scan_with_deletion_running(self) -> list[Device]:
        with self.db.read() as conn:
            devices = [_device(doc) for (doc,) in conn.execute("SELECT doc FROM devices WHERE deleting = 1")]
        return [device for device in devices if device.deleting]

    def create(self, device: Device, counter_was: int, event: dict) -> None:
        guard = _name_guard(device)
        with self.db.write() as conn:
            if self.guard(conn, guard) is not None:
                raise Conflict(field="name", code="NAME_TAKEN", params={"name": device.name})
            store = self.doc(conn, "stores", "id", device.merchant_id, device.store_id)
            if store is None:
                raise ports.UnknownStore()
            merchant = _load((conn.execute("SELECT doc FROM merchants WHERE id = ?", (device.merchant_id,)).fetchone()
                              or (None,))[0])
            if (merchant is None or merchant.get("pos_number_counter") != counter_was
                    or self.device(conn, device.merchant_id, device.id) is not None):
                raise ports.VersionConflict()
            merchant["pos_number_counter"] = device.number
            conn.execute("UPDATE merchants SET doc = ? WHERE id = ?", (_dump(merchant), device.merchant_id))
            self._count(conn, device.merchant_id, device.store_id, +1)
            self.claim(conn, guard, device.id)
            self.put_device(conn, device)
            self.add_event(conn, event)

    def save_transition(self, before: Device, after: Device, event: dict | list[dict] | None,
                        token_writes: Iterable = (), leaves_store: bool = False, token_deletes: Iterable = (),
                        extra_events: Iterable = ()) -> None:
        after = dataclasses.replace(after, version=before.version + 1)
        token_writes, token_deletes = list(token_writes), list(token_deletes)
        old_guard, new_guard = _name_guard(before), _name_guard(after)
        moves = not leaves_store and after.store_id != before.store_id
        with self.db.write() as conn:
            # In the DynamoDB transaction's order of items: a taken name wins, then a stale slot or used code,
            # then a store that is gone.
            if new_guard is not None and new_guard != old_guard and self.guard(conn, new_guard) is not None:
                raise Conflict(field="name", code="NAME_TAKEN", params={"name": after.name})
            current = self.device(conn, before.merchant_id, before.id)
            if current is None or current.version != before.version or any(
                    must_exist and not conn.execute("SELECT 1 FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
                    for token_hash, must_exist in token_deletes):
                raise ports.VersionConflict()
            if moves and self.doc(conn, "stores", "id", after.merchant_id, after.store_id) is None:
                raise ports.UnknownStore()
            if new_guard != old_guard:
                if old_guard:
                    self.free(conn, old_guard)
                if new_guard:
                    self.claim(conn, new_guard, after.id)
            self.put_device(conn, after)
            for one in [*([event] if isinstance(event, dict) else event or []), *extra_events]:
                self.add_event(conn, one)
            for token in token_writes:
                conn.execute("INSERT OR REPLACE INTO tokens (token_hash, doc) VALUES (?, ?)",
                             (token["token_hash"], _dump(token)))
            for token_hash, _must_exist in token_deletes:
                conn.execute("DELETE FROM tokens WHERE token_hash = ?", (token_hash,))
            if leaves_store or moves:
                self._count(conn, before.merchant_id, before.store_id if moves else after.store_id, -1)
            if moves:
                self._count(conn, after.merchant_id, after.store_id, +1)

    def _count(self, conn, merchant_id: str, store_id: str, delta: int) -> None:
        # An update makes the record when it is missing, as DynamoDB's UpdateItem does.
        store = self.doc(conn, "stores", "id", merchant_id, store_id) or {"merchant_id": merchant_id, "id": store_id}
        store["device_count"] = store.get("device_count", 0) + delta
        conn.execute("INSERT OR REPLACE INTO stores (merchant_id, id, doc) VALUES (?, ?, ?)",
                     (merchant_id, store_id, _dump(store)))

    def record_sync_state(self, device: Device, state: dict, now: str,
                          expected: Device | None = None) -> Device | None:
        """The device's own report on top of the slot as it now is (one transaction: no race to retry).
        `expected` is the DynamoDB adapter's shortcut (a write without a read first); here the read is free."""
        with self.db.write() as conn:
            current = self.device(conn, device.merchant_id, device.id)
            if current is None or current.activation_id != device.activation_id or current.status != Status.ACTIVATED:
                return current
            after, _changes = current.reported(state, now)
            self.put_device(conn, after)
            return after

    def drop_stale_audit_key(self, device: Device) -> bool:
        if audit_rules.needs_audit(device):
            return False
        with self.db.write() as conn:
            return conn.execute("UPDATE devices SET audit_shard = NULL, audit_due = NULL WHERE merchant_id = ? AND id = ?"
                                " AND version = ? AND audit_shard IS NOT NULL",
                                (device.merchant_id, device.id, device.version)).rowcount == 1

    def record_final_sync_state(self, device: Device, activation_id: str, last_seq: int, now: str) -> None:
        with self.db.write() as conn:
            current = self.device(conn, device.merchant_id, device.id)
            if current and current.final_sync_activation_id == activation_id and current.final_sync_last_seq < last_seq:
                self.put_device(conn, dataclasses.replace(current, final_sync_last_seq=last_seq, updated_at=now,
                                                          version=current.version + 1), with_audit_key=False)


# ---------------------------------------------------------------- events


class SqliteEvents(_Tables):
    def list(self, merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             actor_ids: tuple[str, ...] = ()) -> ports.Page:
        if pos_device_id:
            listing = Listing("events/device", pos_device_id, merchant_id, ("sk",), (str,), newest_first=True)
            where, params = "pos_device_id = ? AND merchant_id = ?", [pos_device_id, merchant_id]
        else:
            listing = Listing("events", merchant_id, merchant_id, ("sk",), (str,), newest_first=True)
            where, params = "merchant_id = ?", [merchant_id]
        if actor_ids:
            where += f" AND json_extract(doc, '$.actor.id') IN ({_marks(actor_ids)})"
            params += list(actor_ids)
        with self.db.read() as conn:
            where += f" AND json_extract(doc, '$.type') NOT IN ({_marks(ports.OUTBOX_ONLY_EVENT_TYPES)})"
            rows, next_cursor = listing.page(conn, "SELECT sk, doc FROM events", where,
                                             [*params, *ports.OUTBOX_ONLY_EVENT_TYPES], limit, cursor)
        return [_without(json.loads(doc), "merchant_id") for (doc,) in rows], next_cursor


# ---------------------------------------------------------------- receipts and shifts


def _narrowest(name: str, sort: str, merchant_id: str, pos_device_id: str | None,
               store_id: str | None) -> tuple[Listing, list[str], list]:
    """The listing a receipt or shift query reads (the most selective filter: a device's, a store's, the
    merchant's), each with cursors of its own, and its WHERE terms."""
    where, params = ["merchant_id = ?"], [merchant_id]
    if pos_device_id:
        listing = Listing(f"{name}/device", pos_device_id, merchant_id, (sort,), (str,), newest_first=True)
    elif store_id:
        listing = Listing(f"{name}/store", store_id, merchant_id, (sort,), (str,), newest_first=True)
    else:
        listing = Listing(f"{name}/merchant", merchant_id, merchant_id, (sort,), (str,), newest_first=True)
    if pos_device_id:
        where.append("pos_device_id = ?")
        params.append(pos_device_id)
    if store_id:
        where.append("store_id = ?")
        params.append(store_id)
    return listing, where, params


def _receipt_id_key(merchant_id: str, receipt_id: str) -> str:
    return f"receipt#{merchant_id}#{receipt_id}"


class SqliteReceipts(_Tables):
    # A whole sync batch in one transaction: no item limit here, and each commit costs an fsync.
    per_transaction = 250

    def get_many(self, merchant_id: str, receipt_numbers: Iterable[str]) -> dict[str, dict]:
        with self.db.read() as conn:
            return self.docs(conn, "receipts", "receipt_number", merchant_id, receipt_numbers)

    def get(self, merchant_id: str, receipt_number: str) -> dict | None:
        with self.db.read() as conn:
            return self.doc(conn, "receipts", "receipt_number", merchant_id, receipt_number)

    def ids_taken(self, merchant_id: str, receipt_ids: Iterable[str]) -> dict[str, str]:
        keys = {_receipt_id_key(merchant_id, rid): rid for rid in set(receipt_ids)}
        taken = {}
        with self.db.read() as conn:
            for chunk in _chunks(sorted(keys)):
                for pk, owner_id in conn.execute(f"SELECT pk, owner_id FROM guards WHERE pk IN ({_marks(chunk)})", chunk):
                    taken[keys[pk]] = owner_id
        return taken

    def store_batch(self, device: Device, receipts: list[dict], final_sync: tuple[str, str] | None = None,
                    event: dict | None = None) -> None:
        with self.db.write() as conn:
            if not self.slot_holds(conn, device, final_sync):
                raise ports.SlotRevoked()
            numbers = [r["receipt_number"] for r in receipts]
            if self.docs(conn, "receipts", "receipt_number", device.merchant_id, numbers) or any(
                    self.guard(conn, _receipt_id_key(device.merchant_id, r["id"])) is not None for r in receipts):
                raise ports.AlreadyStored()
            conn.executemany(
                "INSERT INTO receipts (merchant_id, receipt_number, pos_device_id, store_id, created_sk, doc)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(device.merchant_id, r["receipt_number"], r["pos_device_id"], r["store_id"], r["created_sk"], _dump(r))
                 for r in receipts])
            conn.executemany("INSERT INTO guards (pk, owner_id, count) VALUES (?, ?, 0)",
                             [(_receipt_id_key(device.merchant_id, r["id"]), r["receipt_number"]) for r in receipts])
            current = self.device(conn, device.merchant_id, device.id)
            changes = {"synced_receipts": current.synced_receipts + len(receipts), "version": current.version + 1}
            # The slot's high-water mark of stored seqs rises with the receipts (never lowered): stored_seq_high for
            # its own activation, final_sync_last_seq for an old installation's upload.
            top = max((parse_receipt_number(r["receipt_number"])[1] for r in receipts), default=0)
            if final_sync is None:
                changes["stored_seq_high"] = max(current.stored_seq_high, top)
            else:
                changes |= {"final_sync_held": current.final_sync_held + len(receipts),
                            "final_sync_received": current.final_sync_received + len(receipts),
                            "final_sync_last_seq": max(current.final_sync_last_seq, top)}
            # A counter update: the audit index key stays as it was (the state report that follows sets it).
            self.put_device(conn, dataclasses.replace(current, **changes), with_audit_key=False)
            if event is not None:
                self.add_event(conn, event)
            # The sales summary's counters, in the same transaction (domain/sales.py).
            conn.executemany(
                "INSERT INTO sales_counters (merchant_id, scope, day, name, value) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (merchant_id, scope, day, name) DO UPDATE SET value = value + excluded.value",
                [(device.merchant_id, scope, day, name, value)
                 for (scope, day), counters in sorted(sales.counter_deltas(receipts).items())
                 for name, value in sorted(counters.items())])

    def sales_counters(self, merchant_id: str, scope: str, day_from: str, day_to: str) -> list[tuple[str, dict]]:
        rows: dict[str, dict[str, int]] = {}
        with self.db.read() as conn:
            for day, name, value in conn.execute(
                    "SELECT day, name, value FROM sales_counters WHERE merchant_id = ? AND scope = ? AND day >= ?"
                    " AND day <= ? ORDER BY day", (merchant_id, scope, day_from, day_to)):
                rows.setdefault(day, {})[name] = value
        return list(rows.items())

    def list(self, merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             store_id: str | None = None, created_min: str | None = None, created_max: str | None = None,
             receipt_number: str | None = None, employee_id: str | None = None,
             payment_type: str | None = None) -> ports.Page:
        listing, where, params = _narrowest("receipts", "created_sk", merchant_id, pos_device_id, store_id)
        if created_min:
            where.append("created_sk >= ?")
            params.append(created_min)
        if created_max:
            where.append("created_sk <= ?")
            params.append(created_max + "\uffff")
        if receipt_number:
            where.append("substr(receipt_number, 1, ?) = ?")
            params += [len(receipt_number), receipt_number]
        if employee_id:
            where.append("json_extract(doc, '$.employee_id') = ?")
            params.append(employee_id)
        if payment_type:
            where.append("EXISTS (SELECT 1 FROM json_each(receipts.doc, '$.payments') AS payment"
                         " WHERE payment.key < ? AND json_extract(payment.value, '$.type') = ?)")
            params += [MAX_PAYMENTS_PER_RECEIPT, payment_type]
        with self.db.read() as conn:
            rows, next_cursor = listing.page(conn, "SELECT created_sk, doc FROM receipts", " AND ".join(where), params,
                                             limit, cursor)
        return [_without(json.loads(doc), "created_sk") for (doc,) in rows], next_cursor

    def held_seqs(self, merchant_id: str, pos_number: int, seqs: list[int]) -> set[int]:
        numbers = {format_receipt_number(pos_number, seq): seq for seq in seqs}
        held = set()
        with self.db.read() as conn:
            for chunk in _chunks(sorted(numbers)):
                held |= {numbers[n] for (n,) in conn.execute(
                    f"SELECT receipt_number FROM receipts WHERE merchant_id = ? AND receipt_number IN ({_marks(chunk)})",
                    [merchant_id, *chunk])}
        return held

    def seqs_of_device(self, merchant_id: str, pos_number: int) -> set[int]:
        prefix = f"{pos_number}-"
        with self.db.read() as conn:
            # A range of the primary key: "{n}-" up to "{n}." ('.' follows '-').
            return {int(number[len(prefix):]) for (number,) in conn.execute(
                "SELECT receipt_number FROM receipts WHERE merchant_id = ? AND receipt_number >= ? AND receipt_number < ?",
                (merchant_id, prefix, f"{pos_number}."))}


class SqliteShifts(_Tables):
    def get_many(self, merchant_id: str, shift_ids: Iterable[str]) -> dict[str, dict]:
        with self.db.read() as conn:
            return self.docs(conn, "shifts", "id", merchant_id, shift_ids)

    def store(self, device: Device, shifts: list[dict], final_sync: tuple[str, str] | None = None,
              events: Iterable[dict] = ()) -> None:
        with self.db.write() as conn:
            if not self.slot_holds(conn, device, final_sync):
                raise ports.SlotRevoked()
            # A shift belongs to the activation that first stored it: another one (an old installation in its
            # final-sync window, or the new one) never rewrites it.
            writer = device.activation_id if final_sync is None else final_sync[0]
            current = self.docs(conn, "shifts", "id", device.merchant_id, [s["id"] for s in shifts])
            for shift in shifts:
                stored = current.get(shift["id"])
                if stored is not None and (stored["pos_device_id"] != device.id or stored.get("closed_at")
                                           or stored.get("activation_id", writer) != writer):
                    raise ports.AlreadyStored()
            for shift in shifts:
                self._put_shift(conn, _put("shift", shift | {"activation_id": writer}))
            for event in events:
                self.add_event(conn, event)

    @staticmethod
    def _put_shift(conn, shift: dict) -> None:
        conn.execute("INSERT OR REPLACE INTO shifts (merchant_id, id, pos_device_id, store_id, opened_sk, doc)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (shift["merchant_id"], shift["id"], shift["pos_device_id"],
                                                    shift["store_id"], shift["opened_sk"], _dump(shift)))

    def flag_open_of_device(self, merchant_id: str, pos_device_id: str, at: str,
                            activation_id: str | None = None) -> list[dict]:
        """Mark the device's still-open shifts (of one activation, when given) as orphaned; returns them."""
        flagged = []
        mine = "" if activation_id is None else " AND json_extract(doc, '$.activation_id') IS ?"
        with self.db.write() as conn:
            for (doc,) in conn.execute(
                    "SELECT doc FROM shifts WHERE pos_device_id = ? AND merchant_id = ?"
                    " AND json_extract(doc, '$.closed_at') IS NULL AND json_extract(doc, '$.orphaned_at') IS NULL"
                    f"{mine} ORDER BY opened_sk",
                    (pos_device_id, merchant_id, *(() if activation_id is None else (activation_id,)))).fetchall():
                shift = json.loads(doc) | {"orphaned_at": at}
                self._put_shift(conn, shift)
                flagged.append(_without(shift, "opened_sk"))
        return flagged

    def list(self, merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             store_id: str | None = None) -> ports.Page:
        listing, where, params = _narrowest("shifts", "opened_sk", merchant_id, pos_device_id, store_id)
        with self.db.read() as conn:
            rows, next_cursor = listing.page(conn, "SELECT opened_sk, doc FROM shifts", " AND ".join(where), params,
                                             limit, cursor)
        return [_without(json.loads(doc), "opened_sk") for (doc,) in rows], next_cursor


# ---------------------------------------------------------------- findings


def _finding_guard(merchant_id: str, device_id: str, type_: str) -> str:
    """A device has at most one open finding of a type: this key is claimed while it is open."""
    return f"finding#{merchant_id}#{device_id}#{type_}"


class SqliteFindings(_Tables):
    @staticmethod
    def _put_finding(conn, finding: dict) -> None:
        conn.execute("INSERT OR REPLACE INTO findings (merchant_id, id, pos_device_id, first_seen_at, open_shard, doc)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (finding["merchant_id"], finding["id"], finding["pos_device_id"],
                                                    finding["first_seen_at"], finding.get("open_shard"), _dump(finding)))

    def open_in_shard(self, shard: str) -> list[dict]:
        with self.db.read() as conn:
            docs = [json.loads(doc) for (doc,) in conn.execute(
                "SELECT doc FROM findings WHERE open_shard = ? ORDER BY id", (shard,))]
        return [{k: f[k] for k in OPEN_FINDING_ATTRS if k in f} for f in docs]

    def open_for_merchant(self, merchant_id: str) -> list[dict]:
        with self.db.read() as conn:
            return [json.loads(doc) for (doc,) in conn.execute(
                "SELECT doc FROM findings WHERE merchant_id = ? AND json_extract(doc, '$.resolved_at') IS NULL"
                " ORDER BY first_seen_at, id", (merchant_id,))]

    def open_ids_for_device(self, merchant_id: str, device_id: str) -> list[tuple[str, str]]:
        with self.db.read() as conn:
            found = [(t, self.guard(conn, _finding_guard(merchant_id, device_id, t))) for t in audit_rules.FINDING_TYPES]
        return [(t, guard["owner_id"]) for t, guard in found if guard]

    def raise_finding(self, finding: dict, activation_id: str | None, event: dict | None = None) -> bool:
        merchant_id, device_id = finding["merchant_id"], finding["pos_device_id"]
        guard = _finding_guard(merchant_id, device_id, finding["type"])
        with self.db.write() as conn:
            device = self.device(conn, merchant_id, device_id)
            if (device is None or device.activation_id != activation_id or device.status != Status.ACTIVATED
                    or self.guard(conn, guard) is not None
                    or self.doc(conn, "findings", "id", merchant_id, finding["id"]) is not None):
                return False
            self.claim(conn, guard, finding["id"])
            self._put_finding(conn, _put("finding", finding | {"open_shard": audit_rules.shard_of(device_id)}))
            if event is not None:
                self.add_event(conn, event)
            return True

    def put(self, finding: dict, event: dict | None = None) -> None:
        with self.db.write() as conn:
            if self.doc(conn, "findings", "id", finding["merchant_id"], finding["id"]) is not None:
                raise ports.VersionConflict()
            self._put_finding(conn, _put("finding", finding))
            if event is not None:
                self.add_event(conn, event)

    def refresh(self, merchant_id: str, finding_id: str, fields: dict) -> bool:
        with self.db.write() as conn:
            current = self.doc(conn, "findings", "id", merchant_id, finding_id)
            if current is None or current.get("resolved_at"):
                return False
            for name, value in fields.items():
                if value is None:
                    current.pop(name, None)
                else:
                    current[name] = value
            self._put_finding(conn, current)
            return True

    def resolve(self, merchant_id: str, device_id: str, type_: str, finding_id: str, at: str,
                event: dict | None = None) -> bool:
        guard_key = _finding_guard(merchant_id, device_id, type_)
        with self.db.write() as conn:
            current = self.doc(conn, "findings", "id", merchant_id, finding_id)
            guard = self.guard(conn, guard_key)
            if current is None or current.get("resolved_at") or (guard and guard.get("owner_id") != finding_id):
                return False
            current["resolved_at"] = at
            current.pop("open_shard", None)
            self._put_finding(conn, current)
            self.free(conn, guard_key)
            if event is not None:
                self.add_event(conn, event)
            return True

    def list(self, merchant_id: str, limit: int, cursor: str | None, status: str | None = None,
             pos_device_id: str | None = None) -> ports.Page:
        where, params = ["merchant_id = ?"], [merchant_id]
        if pos_device_id:
            listing = Listing("findings/device", pos_device_id, merchant_id, ("first_seen_at", "id"), (str, str),
                              newest_first=True)
            where.append("pos_device_id = ?")
            params.append(pos_device_id)
        else:
            listing = Listing("findings", merchant_id, merchant_id, ("first_seen_at", "id"), (str, str),
                              newest_first=True)
        if status == "open":
            where.append("json_extract(doc, '$.resolved_at') IS NULL")
        elif status == "resolved":
            where.append("json_extract(doc, '$.resolved_at') IS NOT NULL")
        with self.db.read() as conn:
            rows, next_cursor = listing.page(conn, "SELECT first_seen_at, id, doc FROM findings", " AND ".join(where),
                                             params, limit, cursor)
        hidden = ("merchant_id", "missing_count", "open_shard", "checked_from", "checked_upto")
        return [_without(f, *hidden) | {"missing_count": f.get("missing_count", 0)}
                for f in (json.loads(doc) for (doc,) in rows)], next_cursor


# ---------------------------------------------------------------- integrations (issue 24)


API_TOKEN_FIELDS = ("api_token_id", "name", "access", "store_ids", "last_used_at")


def _delivery_columns(delivery: dict) -> tuple:
    pending = delivery.get("status") == "PENDING"
    due = f"{delivery['next_attempt_at']}#{delivery['webhook_id']}#{delivery['id']}" if pending else None
    device = f"{delivery['webhook_id']}#{delivery.get('pos_device_id') or '-'}" if pending else None
    return (delivery["webhook_id"], delivery["id"], delivery["merchant_id"], delivery["order_key"], due, device,
            _dump(delivery))


class SqliteIntegrations(_Tables):
    def create_api_token(self, token: dict) -> None:
        bearer = {"kind": "api", "merchant_id": token["merchant_id"], "api_token_id": token["id"],
                  "name": token["name"], "access": token["access"], "store_ids": token.get("store_ids"),
                  "token_hash": token["token_hash"]}
        with self.db.write() as conn:
            conn.execute("INSERT INTO api_tokens (merchant_id, id, created_at, doc) VALUES (?, ?, ?, ?)",
                         (token["merchant_id"], token["id"], token["created_at"], _dump(token)))
            conn.execute("INSERT INTO tokens (token_hash, doc) VALUES (?, ?)", (token["token_hash"], _dump(bearer)))

    def list_api_tokens(self, merchant_id: str) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT doc FROM api_tokens WHERE merchant_id = ? ORDER BY created_at, id",
                                (merchant_id,)).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def revoke_api_token(self, merchant_id: str, token_id: str) -> bool:
        with self.db.write() as conn:
            token = self.doc(conn, "api_tokens", "id", merchant_id, token_id)
            if token is None:
                return False
            conn.execute("DELETE FROM api_tokens WHERE merchant_id = ? AND id = ?", (merchant_id, token_id))
            conn.execute("DELETE FROM tokens WHERE token_hash = ?", (token["token_hash"],))
        return True

    def touch_api_token(self, merchant_id: str, token_id: str, token_hash: str, at: str) -> None:
        with self.db.write() as conn:
            token = self.doc(conn, "api_tokens", "id", merchant_id, token_id)
            row = conn.execute("SELECT doc FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
            if token is None or row is None:
                return  # revoked meanwhile: nothing to touch
            conn.execute("UPDATE api_tokens SET doc = ? WHERE merchant_id = ? AND id = ?",
                         (_dump(token | {"last_used_at": at}), merchant_id, token_id))
            conn.execute("UPDATE tokens SET doc = ? WHERE token_hash = ?",
                         (_dump(json.loads(row[0]) | {"last_used_at": at}), token_hash))

    def put_webhook(self, webhook: dict) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO webhooks (merchant_id, id, created_at, doc) VALUES (?, ?, ?, ?)",
                         (webhook["merchant_id"], webhook["id"], webhook["created_at"], _dump(webhook)))

    def get_webhook(self, merchant_id: str, webhook_id: str) -> dict | None:
        with self.db.read() as conn:
            return self.doc(conn, "webhooks", "id", merchant_id, webhook_id)

    def list_webhooks(self, merchant_id: str) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT doc FROM webhooks WHERE merchant_id = ? ORDER BY created_at, id",
                                (merchant_id,)).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def delete_webhook(self, merchant_id: str, webhook_id: str) -> bool:
        with self.db.write() as conn:
            return conn.execute("DELETE FROM webhooks WHERE merchant_id = ? AND id = ?",
                                (merchant_id, webhook_id)).rowcount > 0

    def add_delivery(self, delivery: dict) -> bool:
        with self.db.write() as conn:
            return conn.execute("INSERT OR IGNORE INTO webhook_deliveries (webhook_id, id, merchant_id, order_key,"
                                " pending_due, device_key, doc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                _delivery_columns(delivery)).rowcount > 0

    def get_delivery(self, webhook_id: str, delivery_id: str) -> dict | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT doc FROM webhook_deliveries WHERE webhook_id = ? AND id = ?",
                               (webhook_id, delivery_id)).fetchone()
        return _load(row[0]) if row else None

    def put_delivery(self, delivery: dict) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO webhook_deliveries (webhook_id, id, merchant_id, order_key,"
                         " pending_due, device_key, doc) VALUES (?, ?, ?, ?, ?, ?, ?)", _delivery_columns(delivery))

    def list_deliveries(self, merchant_id: str, webhook_id: str, limit: int, cursor: str | None) -> ports.Page:
        listing = Listing("webhook_deliveries", webhook_id, merchant_id, ("order_key", "id"), (str, str),
                          newest_first=True)
        with self.db.read() as conn:
            rows, next_cursor = listing.page(conn, "SELECT order_key, id, doc FROM webhook_deliveries",
                                             "webhook_id = ? AND merchant_id = ?", [webhook_id, merchant_id],
                                             limit, cursor)
        return [json.loads(doc) for (doc,) in rows], next_cursor

    def due_deliveries(self, now: str, limit: int) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute("SELECT doc FROM webhook_deliveries WHERE pending_due IS NOT NULL AND pending_due <= ?"
                                " ORDER BY pending_due LIMIT ?", (now + "\uffff", limit)).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def pending_before(self, delivery: dict) -> bool:
        key = f"{delivery['webhook_id']}#{delivery.get('pos_device_id') or '-'}"
        with self.db.read() as conn:
            return conn.execute("SELECT 1 FROM webhook_deliveries WHERE device_key = ? AND order_key < ? LIMIT 1",
                                (key, delivery["order_key"])).fetchone() is not None

    def outbox_after(self, position: str | None, limit: int) -> tuple[list[dict], str | None]:
        """Events in commit order (SQLite's rowid: one writer at a time) after `position`."""
        after = int(position) if position else 0
        with self.db.read() as conn:
            rows = conn.execute("SELECT rowid, sk, doc FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                (after, limit)).fetchall()
        events = [json.loads(doc) | {"sk": sk} for _rowid, sk, doc in rows]
        return events, (str(rows[-1][0]) if rows else position)

    def set_outbox_position(self, position: str) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO outbox_positions (name, position) VALUES ('webhooks', ?)",
                         (int(position),))

    def outbox_position(self) -> str | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT position FROM outbox_positions WHERE name = 'webhooks'").fetchone()
        return str(row[0]) if row else None


def repositories(db: Database) -> dict:
    """The repositories on one database, by their port names."""
    return {"accounts": SqliteAccounts(db), "tokens": SqliteTokens(db), "audit_runs": SqliteAuditRuns(db),
            "stores": SqliteStores(db),
            "devices": SqliteDevices(db), "events": SqliteEvents(db), "receipts": SqliteReceipts(db),
            "shifts": SqliteShifts(db), "findings": SqliteFindings(db), "integrations": SqliteIntegrations(db)}
