"""In-memory fakes of every port (chalicelib/ports.py), for the service rules tested in milliseconds.

They keep the real adapters' observable semantics: conditional writes that write nothing and raise the ports'
errors, uniqueness guards (e-mails, PINs, POS names per store, receipt ids, one open finding per device and
type), counters and version bumps, the sparse audit index key (chalicelib.domain.audit), newest-first
listings with opaque cursors that another listing refuses (InvalidCursor), and records shaped like the
adapters' (attributes that are None are not stored; the reads that fill defaults fill them).
tests/contract runs one suite against these and the real repositories, so they cannot drift.

    with wiring.use(fake_adapters()) as fake: ...   # fake.workflow.drive(deletion_id) runs the workflow's steps
"""
from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import json
from collections.abc import Callable, Iterable

from chalicelib import ports, wiring
from chalicelib.config import settings
from chalicelib.domain import audit as audit_rules
from chalicelib.domain.devices import Device, Status, name_key
from chalicelib.domain.receipts import format_receipt_number
from chalicelib.errors import Conflict, InvalidCursor, ServiceUnavailable


def _stored(record: dict) -> dict:
    """What DynamoDB keeps of a record: a deep copy without the attributes that are None."""
    return copy.deepcopy({k: v for k, v in record.items() if v is not None})


def _copy(record):
    return copy.deepcopy(record)


def _without(record: dict, *names: str) -> dict:
    return {k: copy.deepcopy(v) for k, v in record.items() if k not in names}


# What the adapters' reads fill in for attributes an item lacks (their models' defaults).
EMPLOYEE_DEFAULTS = {"merchant_id": None, "id": None, "name": None, "email": None, "role": None, "store_ids": [],
                     "pin_hash": None, "password_hash": None, "session_epoch": None, "created_at": None,
                     "updated_at": None}
STORE_DEFAULTS = {"merchant_id": None, "id": None, "name": None, "address": None, "device_count": 0,
                  "created_at": None, "updated_at": None}
# Model defaults written on every put (an item saved without them has them).
_WRITTEN_DEFAULTS = {"employee": {"store_ids": []}, "store": {"device_count": 0},
                     "finding": {"missing_receipt_numbers": [], "missing_count": 0}, "shift": {"starting_cash": 0},
                     "merchant": {"pos_number_counter": 0}, "event": {"details": {}}}


def _filled(record: dict | None, defaults: dict) -> dict | None:
    return None if record is None else _copy(defaults) | _copy(record)


def _put(kind: str, record: dict) -> dict:
    return {k: _copy(v) for k, v in _WRITTEN_DEFAULTS.get(kind, {}).items()} | _stored(record)


# ---------------------------------------------------------------- cursors


class _Listing:
    """One listing (a table or index and its partition): pages in a fixed order; a cursor is the position after
    the last item handed out, base64url JSON that names the listing, so that any other listing refuses it."""

    def __init__(self, scope: str, partition: str, merchant_id: str):
        self.scope, self.partition, self.merchant_id = scope, partition, merchant_id

    def page(self, rows: list[tuple[tuple, dict]], limit: int, cursor: str | None, newest_first: bool) -> ports.Page:
        """`rows` are (sort position, item) of everything that matches."""
        rows = sorted(rows, key=lambda row: row[0], reverse=newest_first)
        after = self._decode(cursor)
        if after is not None:
            try:
                rows = [row for row in rows if (row[0] < after if newest_first else row[0] > after)]
            except TypeError:  # a position of another shape: not one this listing handed out
                raise InvalidCursor(field="cursor") from None
        chosen = rows[:limit]
        next_cursor = self._encode(chosen[-1][0]) if chosen and len(chosen) == limit else None
        return [item for _position, item in chosen], next_cursor

    def _encode(self, position: tuple) -> str:
        raw = json.dumps({"~": self.scope, "p": self.partition, "m": self.merchant_id, "k": list(position)},
                         separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str | None) -> tuple | None:
        if cursor in (None, ""):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")))
        except (ValueError, binascii.Error, UnicodeError):
            raise InvalidCursor(field="cursor") from None
        if not isinstance(data, dict) or not isinstance(data.get("k"), list) or (
                data.get("~"), data.get("p"), data.get("m")) != (self.scope, self.partition, self.merchant_id):
            raise InvalidCursor(field="cursor")
        return tuple(data["k"])


# ---------------------------------------------------------------- the shared state


class FakeDatabase:
    """Every table, shared by the fake repositories (their writes span tables, as the transactions do)."""

    def __init__(self):
        self.merchants: dict[str, dict] = {}
        self.employees: dict[tuple[str, str], dict] = {}
        self.stores: dict[tuple[str, str], dict] = {}
        self.devices: dict[tuple[str, str], Device] = {}
        self.audit_keys: dict[tuple[str, str], tuple[str, str]] = {}  # the sparse audit index
        self.tokens: dict[str, dict] = {}
        self.guards: dict[str, dict] = {}
        self.events: dict[tuple[str, str], dict] = {}
        self.receipts: dict[tuple[str, str], dict] = {}
        self.shifts: dict[tuple[str, str], dict] = {}
        self.findings: dict[tuple[str, str], dict] = {}

    def add_event(self, event: dict) -> None:
        record = _put("event", _without(event, "sort_at"))
        self.events[(event["merchant_id"], f"{event['sort_at']}#{event['id']}")] = record

    def put_device(self, device: Device, with_audit_key: bool = True) -> None:
        """A full write of the device; it sets or removes its audit index key from the state it writes."""
        key = (device.merchant_id, device.id)
        self.devices[key] = _copy(device)
        if with_audit_key:
            cfg = settings()
            shard, due = audit_rules.audit_key(device, cfg.silent_hours, cfg.shift_max_hours)
            if shard:
                self.audit_keys[key] = (shard, due)
            else:
                self.audit_keys.pop(key, None)

    def slot_holds(self, device: Device, final_sync: tuple[str, str] | None) -> bool:
        """The condition of a device's writes: the slot is still this activation's, or (final_sync = (activation
        id, now)) that old installation's final-sync window is still open."""
        current = self.devices.get((device.merchant_id, device.id))
        if current is None:
            return False
        if final_sync is None:
            return current.activation_id == device.activation_id and current.status == Status.ACTIVATED
        activation_id, now = final_sync
        return current.final_sync_activation_id == activation_id and (current.final_sync_until or "") > now


# ---------------------------------------------------------------- accounts


def _guard_keys(employee: dict) -> list[tuple[str, str]]:
    keys = []
    if employee.get("email"):
        keys.append((f"email#{employee['email'].lower()}", "EMAIL_TAKEN"))
    if employee.get("pin_hash"):
        keys.append((f"pin#{employee['merchant_id']}#{employee['pin_hash']}", "PIN_TAKEN"))
    return keys


class FakeAccounts:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def _check_employee(self, employee: dict, old: dict | None) -> None:
        current = self.db.employees.get((employee["merchant_id"], employee["id"]))
        if (current is not None) if old is None else (current is None or current.get("updated_at") != old["updated_at"]):
            raise ports.VersionConflict()
        old_keys = {pk for pk, _code in _guard_keys(old or {})}
        for pk, code in _guard_keys(employee):
            if pk not in old_keys and pk in self.db.guards:
                raise Conflict(field=code.split("_")[0].lower(), code=code)

    def _write_employee(self, employee: dict, old: dict | None) -> None:
        new_keys = {pk for pk, _code in _guard_keys(employee)}
        for pk, _code in _guard_keys(old or {}):
            if pk not in new_keys:
                self.db.guards.pop(pk, None)
        for pk in new_keys:
            self.db.guards[pk] = {"pk": pk, "owner_id": employee["id"], "count": 0}
        self.db.employees[(employee["merchant_id"], employee["id"])] = _put("employee", employee)

    def create_merchant(self, merchant: dict, owner: dict, event: dict) -> None:
        if merchant["id"] in self.db.merchants:
            raise ports.VersionConflict()
        self._check_employee(owner, None)
        self.db.merchants[merchant["id"]] = _put("merchant", merchant)
        self._write_employee(owner, None)
        self.db.add_event(event)

    def get_merchant(self, merchant_id: str) -> dict | None:
        return _copy(self.db.merchants.get(merchant_id))

    def get_employee(self, merchant_id: str, employee_id: str) -> dict | None:
        return _filled(self.db.employees.get((merchant_id, employee_id)), EMPLOYEE_DEFAULTS)

    def find_employee_by_email(self, email: str) -> dict | None:
        for employee in self.db.employees.values():
            if employee.get("email") == email.lower():
                return _filled(employee, EMPLOYEE_DEFAULTS)
        return None

    def find_employee_by_pin(self, merchant_id: str, pin_hash: str) -> dict | None:
        guard = self.db.guards.get(f"pin#{merchant_id}#{pin_hash}")
        return self.get_employee(merchant_id, guard["owner_id"]) if guard else None

    def get_employees(self, merchant_id: str, employee_ids: Iterable[str]) -> dict[str, dict]:
        return {eid: _copy(self.db.employees[(merchant_id, eid)]) for eid in set(employee_ids)
                if (merchant_id, eid) in self.db.employees}

    def list_employees(self, merchant_id: str, limit: int, cursor: str | None) -> ports.Page:
        rows = [((eid,), _filled(e, EMPLOYEE_DEFAULTS)) for (mid, eid), e in self.db.employees.items()
                if mid == merchant_id]
        return _Listing("employees", merchant_id, merchant_id).page(rows, limit, cursor, newest_first=False)

    def save_employee(self, employee: dict, old: dict | None, event: dict) -> None:
        self._check_employee(employee, old)
        self._write_employee(employee, old)
        self.db.add_event(event)

    def delete_employee(self, employee: dict, event: dict) -> None:
        if (employee["merchant_id"], employee["id"]) not in self.db.employees:
            raise ports.VersionConflict()
        del self.db.employees[(employee["merchant_id"], employee["id"])]
        for pk, _code in _guard_keys(employee):
            self.db.guards.pop(pk, None)
        self.db.add_event(event)

    def reserve_attempt(self, key: str, now_epoch: int, limit: int, window_seconds: int) -> int | None:
        pk = f"login#{key.lower()}"
        current = self.db.guards.get(pk)
        start = current.get("window_start_epoch") if current else None
        if start is None or start <= now_epoch - window_seconds:
            self.db.guards[pk] = {"pk": pk, "count": 1, "window_start_epoch": now_epoch,
                                  "expires_at_epoch": now_epoch + window_seconds}
            return None
        if current.get("count", 0) >= limit:
            return start
        current["count"] = current.get("count", 0) + 1
        return None

    def clear_attempts(self, key: str) -> None:
        self.db.guards.pop(f"login#{key.lower()}", None)

    def release_attempt(self, key: str) -> None:
        guard = self.db.guards.get(f"login#{key.lower()}")
        if guard and guard.get("count", 0) > 0:
            guard["count"] -= 1


class FakeTokens:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def put(self, token_hash: str, **fields) -> None:
        self.db.tokens[token_hash] = _stored(fields | {"token_hash": token_hash})

    def get(self, token_hash: str) -> dict | None:
        return _copy(self.db.tokens.get(token_hash))

    def delete(self, token_hash: str) -> None:
        self.db.tokens.pop(token_hash, None)


class FakeStores:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def get(self, merchant_id: str, store_id: str) -> dict | None:
        return _filled(self.db.stores.get((merchant_id, store_id)), STORE_DEFAULTS)

    def get_many(self, merchant_id: str, store_ids: Iterable[str]) -> dict[str, dict]:
        return {sid: _copy(self.db.stores[(merchant_id, sid)]) for sid in set(store_ids)
                if (merchant_id, sid) in self.db.stores}

    def list(self, merchant_id: str, limit: int, cursor: str | None) -> ports.Page:
        rows = [((sid,), _filled(s, STORE_DEFAULTS)) for (mid, sid), s in self.db.stores.items() if mid == merchant_id]
        return _Listing("stores", merchant_id, merchant_id).page(rows, limit, cursor, newest_first=False)

    def save(self, store: dict, event: dict, expected_updated_at: str | None = None) -> None:
        current = self.db.stores.get((store["merchant_id"], store["id"]))
        if (current is not None) if expected_updated_at is None else (
                current is None or current.get("updated_at") != expected_updated_at):
            raise ports.VersionConflict()
        self.db.stores[(store["merchant_id"], store["id"])] = _put("store", store)
        self.db.add_event(event)

    def delete(self, store: dict, event: dict) -> None:
        key = (store["merchant_id"], store["id"])
        if self.db.stores.get(key, {}).get("device_count", 0) != 0:
            raise Conflict(code="STORE_HAS_POS_DEVICES")
        self.db.stores.pop(key, None)
        self.db.add_event(event)


# ---------------------------------------------------------------- devices


def _name_guard(device: Device) -> str | None:
    if device.deleted_at:
        return None
    return f"posname#{device.merchant_id}#{device.store_id}#{name_key(device.name)}"


class FakeDevices:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def get(self, merchant_id: str, device_id: str) -> Device | None:
        return _copy(self.db.devices.get((merchant_id, device_id)))

    def get_many(self, merchant_id: str, device_ids: Iterable[str]) -> dict[str, Device]:
        return {did: _copy(self.db.devices[(merchant_id, did)]) for did in set(device_ids)
                if (merchant_id, did) in self.db.devices}

    def list(self, merchant_id: str, limit: int, cursor: str | None, store_id: str | None = None,
             status: str | None = None, show_deleted: bool = False) -> ports.Page:
        rows = [((d.number, d.id), _copy(d)) for (mid, _id), d in self.db.devices.items()
                if mid == merchant_id and (not store_id or d.store_id == store_id)
                and (not status or d.status.value == status) and (show_deleted or not d.deleted_at)]
        return _Listing("devices", merchant_id, merchant_id).page(rows, limit, cursor, newest_first=False)

    def keys_needing_audit(self, shard: str, due_by: str) -> list[tuple[str, str]]:
        return [key for key, (s, due) in sorted(self.db.audit_keys.items(), key=lambda kv: kv[1][1])
                if s == shard and due < due_by]

    def get_for_audit(self, keys: Iterable[tuple[str, str]]) -> list[Device]:
        return [_copy(self.db.devices[key]) for key in set(keys) if key in self.db.devices]

    def scan_with_deletion_running(self) -> list[Device]:
        return [_copy(d) for d in self.db.devices.values() if d.deleting]

    def create(self, device: Device, counter_was: int, event: dict) -> None:
        guard = _name_guard(device)
        if guard in self.db.guards:
            raise Conflict(field="name", code="NAME_TAKEN", params={"name": device.name})
        store = self.db.stores.get((device.merchant_id, device.store_id))
        if store is None:
            raise ports.UnknownStore()
        merchant = self.db.merchants.get(device.merchant_id)
        if (merchant is None or merchant.get("pos_number_counter") != counter_was
                or (device.merchant_id, device.id) in self.db.devices):
            raise ports.VersionConflict()
        merchant["pos_number_counter"] = device.number
        store["device_count"] = store.get("device_count", 0) + 1
        self.db.guards[guard] = {"pk": guard, "owner_id": device.id, "count": 0}
        self.db.put_device(device)
        self.db.add_event(event)

    def save_transition(self, before: Device, after: Device, event: dict | list[dict] | None,
                        token_writes: Iterable = (), leaves_store: bool = False, token_deletes: Iterable = (),
                        extra_events: Iterable = ()) -> None:
        after = dataclasses.replace(after, version=before.version + 1)
        token_writes, token_deletes = list(token_writes), list(token_deletes)
        old_guard, new_guard = _name_guard(before), _name_guard(after)
        claims = new_guard is not None and new_guard != old_guard
        if claims and new_guard in self.db.guards:
            raise Conflict(field="name", code="NAME_TAKEN", params={"name": after.name})
        current = self.db.devices.get((before.merchant_id, before.id))
        moves = not leaves_store and after.store_id != before.store_id
        if current is None or current.version != before.version or any(
                must_exist and token_hash not in self.db.tokens for token_hash, must_exist in token_deletes):
            raise ports.VersionConflict()
        if moves and (after.merchant_id, after.store_id) not in self.db.stores:
            raise ports.UnknownStore()
        if new_guard != old_guard:
            self.db.guards.pop(old_guard, None)
            if new_guard:
                self.db.guards[new_guard] = {"pk": new_guard, "owner_id": after.id, "count": 0}
        self.db.put_device(after)
        for one in [*([event] if isinstance(event, dict) else event or []), *extra_events]:
            self.db.add_event(one)
        for token in token_writes:
            self.db.tokens[token["token_hash"]] = _stored(token)
        for token_hash, _must_exist in token_deletes:
            self.db.tokens.pop(token_hash, None)
        if leaves_store or moves:
            self._count(before.merchant_id, before.store_id if moves else after.store_id, -1)
        if moves:
            self._count(after.merchant_id, after.store_id, +1)

    def _count(self, merchant_id: str, store_id: str, delta: int) -> None:
        # An update creates the item when it is missing, as DynamoDB's does.
        store = self.db.stores.setdefault((merchant_id, store_id), {"merchant_id": merchant_id, "id": store_id})
        store["device_count"] = store.get("device_count", 0) + delta

    def record_sync_state(self, device: Device, state: dict, now: str,
                          expected: Device | None = None) -> Device | None:
        current = self.db.devices.get((device.merchant_id, device.id))
        if current is None or current.activation_id != device.activation_id or current.status != Status.ACTIVATED:
            return _copy(current)
        changes = {name: state[name] for name in ("open_tickets", "shift_open", "open_shift_id", "shift_opened_at")
                   if name in state}
        if state.get("last_receipt_number") is not None:
            changes["last_receipt_number"] = max(current.last_receipt_number, state["last_receipt_number"])
        after = dataclasses.replace(current, last_sync_at=now, updated_at=now, version=current.version + 1, **changes)
        if after.unsynced_receipts == 0 and after.complete_upto < after.last_receipt_number:
            after = dataclasses.replace(after, complete_upto=after.last_receipt_number)
        self.db.put_device(after)
        return _copy(after)

    def drop_stale_audit_key(self, device: Device) -> bool:
        key = (device.merchant_id, device.id)
        current = self.db.devices.get(key)
        if audit_rules.needs_audit(device) or current is None or current.version != device.version \
                or key not in self.db.audit_keys:
            return False
        del self.db.audit_keys[key]
        return True

    def record_final_sync_state(self, device: Device, activation_id: str, last_seq: int, now: str) -> None:
        current = self.db.devices.get((device.merchant_id, device.id))
        if current and current.final_sync_activation_id == activation_id and current.final_sync_last_seq < last_seq:
            self.db.put_device(dataclasses.replace(current, final_sync_last_seq=last_seq, updated_at=now,
                                                   version=current.version + 1), with_audit_key=False)


# ---------------------------------------------------------------- events


class FakeEvents:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def list(self, merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None) -> ports.Page:
        rows = [((sk,), _without(e, "merchant_id")) for (mid, sk), e in self.db.events.items()
                if mid == merchant_id and (not pos_device_id or e.get("pos_device_id") == pos_device_id)]
        listing = _Listing("events/device", pos_device_id, merchant_id) if pos_device_id else \
            _Listing("events", merchant_id, merchant_id)
        return listing.page(rows, limit, cursor, newest_first=True)


# ---------------------------------------------------------------- receipts and shifts


def _by_index(merchant_id: str, pos_device_id: str | None, store_id: str | None, name: str) -> _Listing:
    """The index a receipt or shift listing reads (the most selective filter): its cursors are its own."""
    if pos_device_id:
        return _Listing(f"{name}/device", pos_device_id, merchant_id)
    if store_id:
        return _Listing(f"{name}/store", store_id, merchant_id)
    return _Listing(f"{name}/merchant", merchant_id, merchant_id)


class FakeReceipts:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def get_many(self, merchant_id: str, receipt_numbers: Iterable[str]) -> dict[str, dict]:
        return {n: _copy(self.db.receipts[(merchant_id, n)]) for n in set(receipt_numbers)
                if (merchant_id, n) in self.db.receipts}

    def get(self, merchant_id: str, receipt_number: str) -> dict | None:
        return _copy(self.db.receipts.get((merchant_id, receipt_number)))

    def ids_taken(self, merchant_id: str, receipt_ids: Iterable[str]) -> dict[str, str]:
        guards = {rid: self.db.guards.get(f"receipt#{merchant_id}#{rid}") for rid in set(receipt_ids)}
        return {rid: guard["owner_id"] for rid, guard in guards.items() if guard}

    def store_batch(self, device: Device, receipts: list[dict], final_sync: tuple[str, str] | None = None) -> None:
        if not self.db.slot_holds(device, final_sync):
            raise ports.SlotRevoked()
        if any((device.merchant_id, r["receipt_number"]) in self.db.receipts
               or f"receipt#{device.merchant_id}#{r['id']}" in self.db.guards for r in receipts):
            raise ports.AlreadyStored()
        for receipt in receipts:
            self.db.receipts[(device.merchant_id, receipt["receipt_number"])] = _stored(receipt)
            pk = f"receipt#{device.merchant_id}#{receipt['id']}"
            self.db.guards[pk] = {"pk": pk, "owner_id": receipt["receipt_number"], "count": 0}
        current = self.db.devices[(device.merchant_id, device.id)]
        changes = {"synced_receipts": current.synced_receipts + len(receipts), "version": current.version + 1}
        if final_sync is not None:
            changes |= {"final_sync_held": current.final_sync_held + len(receipts),
                        "final_sync_received": current.final_sync_received + len(receipts)}
        # A counter update: the audit index key stays as it was (the state report that follows sets it).
        self.db.put_device(dataclasses.replace(current, **changes), with_audit_key=False)

    def list(self, merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             store_id: str | None = None, created_min: str | None = None, created_max: str | None = None,
             receipt_number: str | None = None, employee_id: str | None = None,
             payment_type: str | None = None) -> ports.Page:
        def matches(r: dict) -> bool:
            return ((not pos_device_id or r["pos_device_id"] == pos_device_id)
                    and (not store_id or r["store_id"] == store_id)
                    and (not created_min or r["created_sk"] >= created_min)
                    and (not created_max or r["created_sk"] <= created_max + "\uffff")
                    and (not receipt_number or r["receipt_number"].startswith(receipt_number))
                    and (not employee_id or r.get("employee_id") == employee_id)
                    and (not payment_type or any(p.get("type") == payment_type for p in r.get("payments", [])[:20])))

        rows = [((r["created_sk"],), _without(r, "created_sk")) for (mid, _n), r in self.db.receipts.items()
                if mid == merchant_id and matches(r)]
        return _by_index(merchant_id, pos_device_id, store_id, "receipts").page(rows, limit, cursor, newest_first=True)

    def held_seqs(self, merchant_id: str, pos_number: int, seqs: list[int]) -> set[int]:
        return {seq for seq in seqs if (merchant_id, format_receipt_number(pos_number, seq)) in self.db.receipts}

    def seqs_of_device(self, merchant_id: str, pos_number: int) -> set[int]:
        prefix = f"{pos_number}-"
        return {int(number[len(prefix):]) for (mid, number) in self.db.receipts
                if mid == merchant_id and number.startswith(prefix)}


class FakeShifts:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def get_many(self, merchant_id: str, shift_ids: Iterable[str]) -> dict[str, dict]:
        return {sid: _copy(self.db.shifts[(merchant_id, sid)]) for sid in set(shift_ids)
                if (merchant_id, sid) in self.db.shifts}

    def store(self, device: Device, shifts: list[dict], final_sync: tuple[str, str] | None = None) -> None:
        if not self.db.slot_holds(device, final_sync):
            raise ports.SlotRevoked()
        for shift in shifts:
            current = self.db.shifts.get((device.merchant_id, shift["id"]))
            if current is not None and (current["pos_device_id"] != device.id or current.get("closed_at")):
                raise ports.AlreadyStored()
        for shift in shifts:
            self.db.shifts[(device.merchant_id, shift["id"])] = _put("shift", shift)

    def flag_open_of_device(self, merchant_id: str, pos_device_id: str, at: str) -> list[dict]:
        flagged = []
        for (mid, _sid), shift in sorted(self.db.shifts.items(), key=lambda kv: kv[1]["opened_sk"]):
            if (mid == merchant_id and shift["pos_device_id"] == pos_device_id and not shift.get("closed_at")
                    and not shift.get("orphaned_at")):
                shift["orphaned_at"] = at
                flagged.append(_without(shift, "opened_sk"))
        return flagged

    def list(self, merchant_id: str, limit: int, cursor: str | None, pos_device_id: str | None = None,
             store_id: str | None = None) -> ports.Page:
        rows = [((s["opened_sk"],), _without(s, "opened_sk")) for (mid, _id), s in self.db.shifts.items()
                if mid == merchant_id and (not pos_device_id or s["pos_device_id"] == pos_device_id)
                and (not store_id or s["store_id"] == store_id)]
        return _by_index(merchant_id, pos_device_id, store_id, "shifts").page(rows, limit, cursor, newest_first=True)


# ---------------------------------------------------------------- findings

# What the open-finding index projects (besides the keys).
_OPEN_INDEX_ATTRS = ("merchant_id", "id", "open_shard", "pos_device_id", "type", "missing_receipt_numbers",
                     "missing_count", "checked_from", "checked_upto")


def _finding_guard(merchant_id: str, device_id: str, type_: str) -> str:
    return f"finding#{merchant_id}#{device_id}#{type_}"


class FakeFindings:
    def __init__(self, db: FakeDatabase):
        self.db = db

    def open_in_shard(self, shard: str) -> list[dict]:
        return [{k: _copy(f[k]) for k in _OPEN_INDEX_ATTRS if k in f}
                for _key, f in sorted(self.db.findings.items(), key=lambda kv: kv[0][1]) if f.get("open_shard") == shard]

    def open_for_merchant(self, merchant_id: str) -> list[dict]:
        return [_copy(f) for (mid, _id), f in sorted(self.db.findings.items(), key=lambda kv: kv[1]["first_seen_at"])
                if mid == merchant_id and not f.get("resolved_at")]

    def open_ids_for_device(self, merchant_id: str, device_id: str) -> list[tuple[str, str]]:
        found = [(t, self.db.guards.get(_finding_guard(merchant_id, device_id, t))) for t in audit_rules.FINDING_TYPES]
        return [(t, guard["owner_id"]) for t, guard in found if guard]

    def raise_finding(self, finding: dict, activation_id: str | None) -> bool:
        merchant_id, device_id = finding["merchant_id"], finding["pos_device_id"]
        device = self.db.devices.get((merchant_id, device_id))
        guard = _finding_guard(merchant_id, device_id, finding["type"])
        if (device is None or device.activation_id != activation_id or device.status != Status.ACTIVATED
                or guard in self.db.guards or (merchant_id, finding["id"]) in self.db.findings):
            return False
        self.db.guards[guard] = {"pk": guard, "owner_id": finding["id"], "count": 0}
        self.db.findings[(merchant_id, finding["id"])] = _put("finding", finding | {
            "open_shard": audit_rules.shard_of(device_id)})
        return True

    def put(self, finding: dict) -> None:
        if (finding["merchant_id"], finding["id"]) in self.db.findings:
            raise ports.VersionConflict()
        self.db.findings[(finding["merchant_id"], finding["id"])] = _put("finding", finding)

    def refresh(self, merchant_id: str, finding_id: str, fields: dict) -> bool:
        current = self.db.findings.get((merchant_id, finding_id))
        if current is None or current.get("resolved_at"):
            return False
        for name, value in fields.items():
            if value is None:
                current.pop(name, None)
            else:
                current[name] = _copy(value)
        return True

    def resolve(self, merchant_id: str, device_id: str, type_: str, finding_id: str, at: str) -> bool:
        current = self.db.findings.get((merchant_id, finding_id))
        guard_key = _finding_guard(merchant_id, device_id, type_)
        guard = self.db.guards.get(guard_key)
        if current is None or current.get("resolved_at") or (guard and guard.get("owner_id") != finding_id):
            return False
        current["resolved_at"] = at
        current.pop("open_shard", None)
        self.db.guards.pop(guard_key, None)
        return True

    def list(self, merchant_id: str, limit: int, cursor: str | None, status: str | None = None,
             pos_device_id: str | None = None) -> ports.Page:
        hidden = ("merchant_id", "missing_count", "open_shard", "checked_from", "checked_upto")
        rows = [((f["first_seen_at"], f["id"]), _without(f, *hidden) | {"missing_count": f.get("missing_count", 0)})
                for (mid, _id), f in self.db.findings.items()
                if mid == merchant_id and (not pos_device_id or f["pos_device_id"] == pos_device_id)
                and (status != "open" or not f.get("resolved_at")) and (status != "resolved" or f.get("resolved_at"))]
        listing = _Listing("findings/device", pos_device_id, merchant_id) if pos_device_id else \
            _Listing("findings", merchant_id, merchant_id)
        return listing.page(rows, limit, cursor, newest_first=True)


# ---------------------------------------------------------------- AWS services


class FakeWorkflow:
    """Records the executions started (name -> input); `drive(name)` runs the SafeDeletePosDevice state machine's
    route in process by calling the services' step functions, as the Lambda tasks do."""

    def __init__(self):
        self.executions: dict[str, dict] = {}
        self.statuses: dict[str, str] = {}
        self.unavailable = False  # True: starting fails (Step Functions unreachable)

    def start(self, name: str, execution_input: dict) -> str:
        if self.unavailable:
            raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.deletion_not_started")
        self.executions[name] = _copy(execution_input)
        self.statuses[name] = "RUNNING"
        return f"arn:aws:states:us-east-1:123456789012:execution:SafeDeletePosDevice:{name}"

    def status(self, name: str) -> str | None:
        return self.statuses.get(name, "ABORTED")

    def drive(self, name: str, on_wait: Callable[[dict], None] | None = None) -> list[str]:
        """Run the execution's states until it ends; returns the states it went through. `on_wait(state)` is
        called at each WaitForLateSync (a test's late sync goes there)."""
        from chalicelib.services import deletion

        state = _copy(self.executions[name])
        states: list[str] = []

        def task(label: str, step, result_path: str | None = "last_step_result"):
            states.append(label)
            for attempt in range(4):  # the state machine's Retry: TransientError, 3 more attempts
                try:
                    result = deletion.run_step(step, state)
                    break
                except deletion.TransientError:
                    if attempt == 3:
                        raise
            if result_path:
                state[result_path] = result

        try:
            if state["route"] == "CHECKS":
                task("CheckOpenTickets", deletion.step_check_open_tickets)
                task("CheckShiftClosed", deletion.step_check_shift_closed)
                while True:
                    task("VerifyReceiptsSynced", deletion.step_verify_receipts_synced, "sync")
                    if state["sync"]["synced"]:
                        break
                    states.append("WaitForLateSync")
                    if on_wait:
                        on_wait(state)
            if state["route"] in ("CHECKS", "DEACTIVATE"):
                task("Deactivate", deletion.step_deactivate)
            task("Delete", deletion.step_delete)
            self.statuses[name] = "SUCCEEDED"
        except Exception as exc:  # noqa: BLE001 - what the state machine's Catch does
            error_name = type(exc).__name__
            refused = error_name in deletion.ERROR_CODES
            state["error"] = {"Error": error_name,
                              "Cause": json.dumps({"errorMessage": str(exc), "errorType": error_name})}
            task("RecordRefusal" if refused else "RecordFailure", deletion.step_record_failure,
                 "recorded" if refused else "last_step_result")
            self.statuses[name] = "SUCCEEDED" if refused else "FAILED"
        return states


class FakeFanout:
    """Runs an audit shard in process (what the `audit_shard` function does); `failing` shards raise ShardFailed."""

    def __init__(self):
        self.failing: set[str] = set()
        self.invoked: list[str] = []

    def invoke(self, shard: str) -> dict:
        from chalicelib.services import audit

        self.invoked.append(shard)
        if shard in self.failing:
            raise ports.ShardFailed(f"RuntimeError: shard {shard} made to fail")
        try:
            return audit.run_shard(shard)
        except Exception as exc:
            raise ports.ShardFailed(f"{type(exc).__name__}: {exc}") from exc


def fake_repositories(db: FakeDatabase | None = None) -> dict:
    db = db or FakeDatabase()
    return {"accounts": FakeAccounts(db), "tokens": FakeTokens(db), "stores": FakeStores(db),
            "devices": FakeDevices(db), "events": FakeEvents(db), "receipts": FakeReceipts(db),
            "shifts": FakeShifts(db), "findings": FakeFindings(db)}


def fake_adapters() -> wiring.Adapters:
    return wiring.Adapters(**fake_repositories(), workflow=FakeWorkflow(), fanout=FakeFanout())
