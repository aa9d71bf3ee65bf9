"""Sync from a POS app: receipts exactly once, shift events, and the device's own state report.

Cost: one batch read per 100 receipts of their id guards (finding duplicates and reused ids), one transaction
per `receipts.per_transaction` new receipts (each receipt with the guard that keeps its id unique, and the slot's
counter, so receipts and `synced_receipts` land together or not at all: 49 on DynamoDB, whose transactions hold
100 items; a whole batch on SQLite), one update that records the state report and returns the slot.

Every write is conditioned on the slot still being ACTIVATED for this activation, and everything is validated
before the first write: a sync that answers 401 (or 400) has written nothing. If the slot is deactivated while
a multi-transaction batch is being stored, what already landed is reported (200) and the rest is rejected per
receipt with DEVICE_DEACTIVATED.
"""
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib import backoff, clock
from chalicelib.domain import actors, sales
from chalicelib.domain.devices import Action, Device
from chalicelib.domain.receipts import (
    format_receipt_number,
    parse_receipt_number,
    payments_match_total,
)
from chalicelib.errors import (
    DeviceDeactivated,
    DomainError,
    InvalidInput,
    PayloadTooLarge,
    ServiceUnavailable,
)
from chalicelib.ports import AlreadyStored, SlotRevoked
from chalicelib.services.common import Principal, new_event
from chalicelib.wiring import adapters

MAX_RECEIPTS_PER_BATCH = 250
MAX_ATTEMPTS = 6
# The backoff between tries when a write found a guard taken by another request (chalicelib/backoff.py).
RETRY_BASE_SECONDS = 0.02
RETRY_CAP_SECONDS = 0.5
# How far above what the server has recorded for the slot a device may report or number a receipt. A till that
# sells 1,000 receipts a day stays within it for 100 days offline; a report of 10**9 (which would leave the slot
# owing ~10**9 receipts forever) is refused. Receipt seqs have at most 9 digits (domain/receipts.py).
MAX_SEQ_AHEAD = 100_000
MAX_SEQ = 999_999_999


@dataclass
class SyncResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    rejected_shifts: list[dict] = field(default_factory=list)
    device: Device | None = None
    # Writes this sync made to the slot's item (each bumps its version): the slot as they left it is known
    # without reading it again, unless somebody else wrote meanwhile (the version check tells).
    slot_writes: int = field(default=0, repr=False)
    # The highest seq this sync stored (each store raised the slot's stored_seq_high to at least this).
    stored_top: int = field(default=0, repr=False)
    # An old installation's upload: the slot while its window was still open (None once it closed), which is
    # what that installation is shown.
    window: Device | None = field(default=None, repr=False)

    def reject(self, receipt_id, code: str, details: str | None = None, params: dict | None = None,
               key: str | None = None) -> None:
        """`{id, code, details}` in the answer; the sentence is the catalog's `key` (the code by default) with
        `params`, rendered in the caller's language by the route (an English `details` is kept as it is)."""
        self.rejected.append(rejection(receipt_id, code, details=details, params=params, key=key))


def rejection(item_id, code: str, details: str | None = None, params: dict | None = None,
              key: str | None = None) -> dict:
    """One refused receipt or shift as the sync answer lists it (`rejected`, `rejected_shifts`): `{id, code,
    details, key, params}`. The sentence is the catalog's `key` (the code by default) with `params`, rendered in
    the caller's language by the route; an English `details` is kept as it is (and then has no key)."""
    return {"id": item_id, "code": code, "details": details, "key": None if details else (key or code),
            "params": params or {}}


def check_batch_size(count: int) -> None:
    if count > MAX_RECEIPTS_PER_BATCH:
        raise PayloadTooLarge(code="BATCH_TOO_LARGE", params={"max": MAX_RECEIPTS_PER_BATCH, "count": count})


def held_upto(device: Device) -> int:
    """The highest seq the server is known to hold for the slot (or that lies below its current activation's
    range): what a report may run ahead of. Reports alone never raise it, so a device reporting +MAX_SEQ_AHEAD
    again and again cannot ratchet it; only stored receipts (and a deactivation's write-off) do."""
    return max(device.stored_seq_high, device.complete_upto, device.written_off_upto, device.first_seq - 1)


def highest_allowed_seq(device: Device) -> int:
    return min(MAX_SEQ, held_upto(device) + MAX_SEQ_AHEAD)


def check_state(device: Device, state: dict | None) -> None:
    """400 before anything is written when the reported last receipt number is out of reach."""
    if state is None:
        return
    limit = highest_allowed_seq(device)
    if state["last_receipt_number"] > limit:
        raise InvalidInput(field="state.last_receipt_number", code="LAST_RECEIPT_NUMBER_OUT_OF_RANGE",
                           params={"reported": state["last_receipt_number"], "recorded": held_upto(device),
                                   "limit": limit, "ahead": MAX_SEQ_AHEAD})


def sync_batch(principal: Principal, device: Device, receipts: list[dict], rejected: list[dict],
               shifts: list[dict], state: dict | None) -> SyncResult:
    """`receipts` passed schema validation; `rejected` are the ones that did not (already in result form)."""
    # The table's rule (an ACTIVATED slot may sync, also while it is being deleted). authenticate_device has
    # already answered 401 for any other slot, so this never changes a device's refusal code.
    device.check(Action.SYNC)
    check_state(device, state)
    result = SyncResult(rejected=list(rejected))
    now = clock.iso()
    candidates = _domain_checks(device, receipts, result)
    highest_seq = max((seq for seq, _ in candidates.values()), default=0)
    applied = store_uploads(device, candidates, shifts, now, result)
    # A stale open copy of a closed shift is not stored, so it must not reopen the slot's shift either.
    expected = dataclasses.replace(device, version=device.version + result.slot_writes,
                                   synced_receipts=device.synced_receipts + result.accepted,
                                   stored_seq_high=max(device.stored_seq_high, result.stored_top))
    slots = adapters().devices
    result.device = slots.record_sync_state(device, _state_update(device, state, applied, highest_seq), now,
                                            expected) or slots.get(device.merchant_id, device.id)
    return result


def store_uploads(device: Device, candidates: dict[str, tuple[int, dict]], shifts: list[dict], now: str,
                  result: SyncResult, final_sync: tuple[str, str] | None = None) -> list[dict]:
    """Store what a batch carries that the server does not hold yet: its shifts (one transaction), then its
    receipts (`candidates`, from `check_receipts`), chunked and retried; duplicates and refusals go to `result`.
    Returns the shifts written.

    `device` is the writer: the slot (a sync), or the old installation as its final-sync window knows it, with
    `final_sync` = (its activation id, now): then every write is conditioned on that window being still open
    rather than on the slot being this activation's, the numbers already held are read before the first write
    too, and a receipt sent without its shift is not put in the slot's open shift (the new installation's)."""
    new = _classify_existing(device, candidates, result, by_number=final_sync is not None)
    # A shift belongs to the slot and installation that first sent it; a closed shift is final.
    owned, to_write = _classify_shifts(device, _last_copy_of_each(shifts), result)
    applied = _store_shifts(device, to_write, result, final_sync)
    open_shift_id = None if final_sync else device.open_shift_id
    for receipt in new:
        receipt["shift_id"] = receipt.get("shift_id") or _shift_of(receipt, owned) or open_shift_id
    _store(device, new, now, result, wrote_before=bool(applied), final_sync=final_sync)
    return applied


def _last_copy_of_each(shifts: list[dict]) -> list[dict]:
    """A batch may carry a shift's open and closed copies: the closed one (else the last one) stands for it."""
    chosen: dict[str, dict] = {}
    for shift in shifts:
        if not (chosen.get(shift["id"], {}).get("closed_at") and not shift.get("closed_at")):
            chosen[shift["id"]] = shift
    return list(chosen.values())


def _classify_shifts(device: Device, shifts: list[dict], result: SyncResult) -> tuple[list[dict], list[dict]]:
    """(this slot's shifts of the batch, those to write). A shift belongs to the slot, and the activation
    (installation) of it, that first sent it: another slot's or another installation's id is rejected
    SHIFT_NOT_OWNED (an old installation in its final-sync window cannot touch the new one's shift, nor the
    reverse); a closed shift is final, so a copy of it is a duplicate. `device.activation_id` is the writer's."""
    stored = adapters().shifts.get_many(device.merchant_id, [shift["id"] for shift in shifts])
    owned, to_write = [], []
    for shift in shifts:
        current = stored.get(shift["id"])
        other_slot = bool(current) and current["pos_device_id"] != device.id
        if other_slot or (current and current.get("activation_id", device.activation_id) != device.activation_id):
            result.rejected_shifts.append(rejection(
                shift["id"], "SHIFT_NOT_OWNED", key="SHIFT_NOT_OWNED" if other_slot else "SHIFT_NOT_OWNED.installation",
                params={"id": shift["id"]}))
            continue
        owned.append(shift)
        if not (current and current.get("closed_at")):
            to_write.append(shift)
    return owned, to_write


def _store_shifts(device: Device, shifts: list[dict], result: SyncResult,
                  final_sync: tuple[str, str] | None = None) -> list[dict]:
    """Write the shifts in one transaction with a check that the slot is still this activation's (or, with
    `final_sync` = (activation id, now), that the old installation's window is still open); returns them."""
    for attempt in range(MAX_ATTEMPTS):
        if not shifts:
            return []
        try:
            items = [_shift_item(device, shift) for shift in shifts]
            # Each shift that arrives closed carries its shift.closed event (the outbox) in its transaction; a
            # DynamoDB transaction holds 100 items (the slot's check + 49 shifts + their events), so a batch of more
            # than 49 shifts (the schema allows 50) is stored in two transactions.
            for start in range(0, len(items), SHIFTS_PER_TRANSACTION):
                chunk = items[start:start + SHIFTS_PER_TRANSACTION]
                adapters().shifts.store(device, chunk, final_sync, events=[shift_closed_event(device, s) for s in chunk
                                                                           if s.get("closed_at")])
            return shifts
        except SlotRevoked:
            raise DeviceDeactivated() from None  # revoked since the request was authenticated: nothing written
        except AlreadyStored:
            # Another request closed or claimed one of these meanwhile: sort them again.
            _owned, shifts = _classify_shifts(device, shifts, result)
            backoff.pause(attempt, RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)
    raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.shifts")


def _domain_checks(device: Device, receipts: list[dict], result: SyncResult) -> dict[str, tuple[int, dict]]:
    """receipt_number -> (seq, receipt) for receipts that fit this slot; the rest go to `rejected`."""

    def fits(receipt_id: str, pos_number: int, seq: int, number: str) -> bool:
        if pos_number != device.number:
            result.reject(receipt_id, "WRONG_POS_NUMBER", params={"expected": device.number, "got": pos_number})
        elif seq <= device.written_off_upto:
            result.reject(receipt_id, "RECEIPT_WRITTEN_OFF", params={"number": number, "next": device.next_receipt_seq})
        elif seq < device.first_seq:
            result.reject(receipt_id, "RECEIPT_NUMBER_RESERVED",
                          params={"number": number, "first": f"{device.number}-{device.first_seq}"})
        elif seq > highest_allowed_seq(device):
            result.reject(receipt_id, "RECEIPT_NUMBER_OUT_OF_RANGE",
                          params={"number": number, "last": held_upto(device),
                                  "highest": highest_allowed_seq(device)})
        else:
            return True
        return False

    return check_receipts(receipts, result, fits)


def check_receipts(receipts: list[dict], result: SyncResult, fits) -> dict[str, tuple[int, dict]]:
    """receipt_number -> (seq, receipt) for the receipts of a batch that pass: an id used once in the batch, a
    well-formed number that `fits(receipt_id, pos_number, seq, number)` accepts for the slot (it rejects the
    receipt itself otherwise), payments that add up, one receipt per number. The rest go to `rejected`."""
    by_number: dict[str, tuple[int, dict]] = {}
    seen_ids: dict[str, str] = {}
    for receipt in receipts:
        if receipt["id"] in seen_ids:
            if seen_ids[receipt["id"]] == receipt["receipt_number"]:
                result.duplicates += 1
            else:
                result.reject(receipt["id"], "RECEIPT_ID_REUSED", key="RECEIPT_ID_REUSED.batch",
                              params={"id": receipt["id"]})
            continue
        seen_ids[receipt["id"]] = receipt["receipt_number"]
        try:
            pos_number, seq = parse_receipt_number(receipt["receipt_number"])
        except DomainError as error:
            result.reject(receipt["id"], error.code, key=error.key, params=error.params)
            continue
        number = format_receipt_number(pos_number, seq)
        if not fits(receipt["id"], pos_number, seq, number):
            continue
        if not payments_match_total(receipt):
            result.reject(receipt["id"], "PAYMENTS_MISMATCH")
        elif number in by_number:
            result.reject(receipt["id"], "RECEIPT_NUMBER_TAKEN", key="RECEIPT_NUMBER_TAKEN.batch",
                          params={"number": number})
        else:
            by_number[number] = (seq, receipt | {"receipt_number": number})
    return by_number


def _classify_existing(device: Device, candidates: dict[str, tuple[int, dict]], result: SyncResult,
                       by_number: bool = True) -> list[dict]:
    """Drop what the server already holds. An id held by the same number is a duplicate, by another number a
    reused id; a number held by another id is taken. Reading the numbers too (`by_number`) is needed only after
    a write found one taken (a receipt stored without an id guard, or another receipt's number)."""
    ids = adapters().receipts.ids_taken(device.merchant_id, [receipt["id"] for _seq, receipt in candidates.values()])
    existing = adapters().receipts.get_many(device.merchant_id, candidates) if by_number else {}
    new = []
    for number, (_seq, receipt) in candidates.items():
        held_by_id, stored = ids.get(receipt["id"]), existing.get(number)
        if held_by_id is not None and held_by_id != number:
            result.reject(receipt["id"], "RECEIPT_ID_REUSED", params={"id": receipt["id"], "held_by": held_by_id})
        elif held_by_id == number or (stored is not None and stored["id"] == receipt["id"]):
            result.duplicates += 1
        elif stored is not None:
            result.reject(receipt["id"], "RECEIPT_NUMBER_TAKEN", params={"number": number})
        else:
            new.append(receipt)
    return new


_TIME_ZONES: dict[str, str] = {}  # merchant id -> time zone: fixed at sign-up, so a process may keep it
_TIME_ZONES_KEPT = 10_000


def time_zone_of(merchant_id: str) -> str:
    """The merchant's time zone: what decides the local day a receipt counts on in the sales summary. Set at
    sign-up and never changed, so it is read once per process and merchant (a sync's request budget, DESIGN 6)."""
    zone = _TIME_ZONES.get(merchant_id)
    if zone is None:
        merchant = adapters().accounts.get_merchant(merchant_id)
        zone = (merchant or {}).get("time_zone") or "UTC"
        if merchant is not None:
            if len(_TIME_ZONES) >= _TIME_ZONES_KEPT:
                _TIME_ZONES.clear()
            _TIME_ZONES[merchant_id] = zone
    return zone


def chunks_of(receipts: list[dict], time_zone: str) -> list[tuple[int, int]]:
    """(start, end) of the store_batch calls a batch takes: per_transaction receipts and a few local days each."""
    days = [sales.local_day(r["created_at"], time_zone) for r in receipts]
    return sales.batch_bounds(days, adapters().receipts.per_transaction)


def _store(device: Device, receipts: list[dict], now: str, result: SyncResult, wrote_before: bool,
           final_sync: tuple[str, str] | None = None) -> None:
    """The receipts in chunks (`chunks_of`), each chunk in one transaction (with `final_sync`, conditioned on the
    window being open: see store_uploads)."""
    time_zone = time_zone_of(device.merchant_id) if receipts else "UTC"
    for start, end in chunks_of(receipts, time_zone):
        chunk = receipts[start:end]
        for attempt in range(MAX_ATTEMPTS):
            if not chunk:
                break
            try:
                items = [_receipt_item(device, r, now, time_zone) for r in chunk]
                adapters().receipts.store_batch(device, items, final_sync, event=receipts_event(device, items))
                result.accepted += len(chunk)
                result.slot_writes += 1
                result.stored_top = max([result.stored_top] + [_seq(r) for r in chunk])
                break
            except SlotRevoked:
                # Revoked meanwhile: this chunk was not written. With nothing written yet the whole sync is
                # refused; otherwise the answer reports what landed and rejects the rest.
                if not (wrote_before or result.accepted):
                    raise DeviceDeactivated() from None
                for receipt in chunk + receipts[end:]:
                    result.reject(receipt["id"], "DEVICE_DEACTIVATED", key="DEVICE_DEACTIVATED.during_sync")
                return
            except AlreadyStored:
                # Another request stored some of these meanwhile: sort them again and store the rest.
                chunk = _classify_existing(device, {r["receipt_number"]: (0, r) for r in chunk}, result)
                backoff.pause(attempt, RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)
        else:
            raise ServiceUnavailable(key="SERVICE_UNAVAILABLE.receipts")


SHIFTS_PER_TRANSACTION = 49


def device_actor(device: Device) -> dict:
    return actors.device(device.id, device.name, device.current_employee_id)


def receipts_event(device: Device, items: list[dict]) -> dict:
    """The receipts.created event of one transaction's receipts (webhooks load the receipts by number)."""
    return new_event(device.merchant_id, "receipts.created", device_actor(device), device.id,
                     {"receipt_numbers": [r["receipt_number"] for r in items], "store_id": device.store_id})


def shift_closed_event(device: Device, shift: dict) -> dict:
    return new_event(device.merchant_id, "shift.closed", device_actor(device), device.id,
                     {"shift_id": shift["id"], "store_id": shift["store_id"], "closed_at": shift["closed_at"]})


def _seq(receipt: dict) -> int:
    return parse_receipt_number(receipt["receipt_number"])[1]


def _shift_of(receipt: dict, shifts: list[dict]) -> str | None:
    """A receipt sent without its shift belongs to the batch's shift that was open when it was issued."""
    for shift in shifts:
        closed = shift.get("closed_at")
        if shift["opened_at"] <= receipt["created_at"] and (closed is None or receipt["created_at"] <= closed):
            return shift["id"]
    return None


def _receipt_item(device: Device, receipt: dict, now: str, time_zone: str) -> dict:
    created = receipt["created_at"]
    return {
        "merchant_id": device.merchant_id, "receipt_number": receipt["receipt_number"], "id": receipt["id"],
        "receipt_type": receipt["receipt_type"], "pos_device_id": device.id, "pos_device_name": device.name,
        "store_id": device.store_id, "shift_id": receipt["shift_id"],
        "employee_id": receipt.get("employee_id") or device.current_employee_id,
        "created_at": clock.iso(created), "created_sk": f"{clock.sort_key(created)}#{receipt['receipt_number']}",
        "sales_day": sales.local_day(created, time_zone),  # the merchant's day it counts on in the sales summary
        "synced_at": now, "line_items": receipt["line_items"], "payments": receipt["payments"],
        "total_money": receipt["total_money"], "total_tax": receipt["total_tax"],
    }


def _shift_item(device: Device, shift: dict) -> dict:
    opened: datetime = shift["opened_at"]
    closed: datetime | None = shift.get("closed_at")
    return {
        "merchant_id": device.merchant_id, "id": shift["id"], "pos_device_id": device.id, "store_id": device.store_id,
        "opened_at": clock.iso(opened), "opened_sk": f"{clock.sort_key(opened)}#{shift['id']}",
        "closed_at": clock.iso(closed) if closed else None,
        "opened_by_employee": shift.get("opened_by_employee") or device.current_employee_id,
        "closed_by_employee": shift.get("closed_by_employee") if closed else None,
        "starting_cash": shift.get("starting_cash") or 0, "expected_cash": shift.get("expected_cash"),
        "actual_cash": shift.get("actual_cash"),
    }


def _state_update(device: Device, state: dict | None, shifts: list[dict], highest_seq: int) -> dict:
    """What the slot records about the device: its report, corrected by what the batch itself shows."""
    update: dict = {}
    reported_last = (state or {}).get("last_receipt_number", 0)
    update["last_receipt_number"] = max(reported_last, highest_seq)
    open_shift = next((s for s in reversed(shifts) if not s.get("closed_at")), None)
    closed_ids = {s["id"] for s in shifts if s.get("closed_at")}
    if state is not None:
        update["open_tickets"] = state["open_tickets"]
        shift_open = state["shift_open"]
    elif open_shift or device.open_shift_id in closed_ids:
        shift_open = bool(open_shift)
    else:
        return update
    update["shift_open"] = shift_open
    if not shift_open:
        update.update(open_shift_id=None, shift_opened_at=None)
    elif open_shift:
        update.update(open_shift_id=open_shift["id"], shift_opened_at=clock.iso(open_shift["opened_at"]))
    elif not device.shift_opened_at:
        # The device says a shift is open but never sent it: count its age from now.
        update["shift_opened_at"] = clock.iso()
    return update
