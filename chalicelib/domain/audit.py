"""Audit rules: which findings a device's record calls for, which devices need a look, and where the
missing receipt numbers are. Pure: the caller supplies time, numbers and a way to look receipts up."""
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from chalicelib.domain.devices import Device, Status

from chalicelib.i18n import render

UNSYNCED_RECEIPTS = "UNSYNCED_RECEIPTS"
DEVICE_SILENT = "DEVICE_SILENT"
SHIFT_OPEN_TOO_LONG = "SHIFT_OPEN_TOO_LONG"
FINDING_TYPES = (UNSYNCED_RECEIPTS, DEVICE_SILENT, SHIFT_OPEN_TOO_LONG)  # what the audit raises and resolves
# A shift still open when its slot was deactivated or deleted: raised then, it stays open as a record.
SHIFT_LEFT_OPEN = "SHIFT_LEFT_OPEN"
RAISED_ONCE = {SHIFT_LEFT_OPEN}  # not re-evaluated by the audit: what it reports does not change any more
MAX_LISTED_NUMBERS = 100
# Partition keys of the sparse audit indexes ("00".."31"). Changing it re-keys every indexed item:
# raise it only together with a backfill (see docs/SCALE.md).
SHARDS = 32
LOOKUP_BATCH = 100  # receipt numbers per lookup (DynamoDB BatchGetItem's limit)
RECEIPT_READS_PER_DEVICE = 2  # lookups one run may spend on one device's missing numbers


def shard_of(device_id: str) -> str:
    """The shard a device (and its findings) is indexed under: a stable hash, never Python's salted hash()."""
    return f"{zlib.crc32(device_id.encode()) % SHARDS:02d}"


def all_shards() -> list[str]:
    return [f"{n:02d}" for n in range(SHARDS)]


def needs_audit(device: Device) -> bool:
    """Does the audit have to look at this device? The ONE place that says so (open findings are indexed
    on the findings themselves). A device for which this is False is in no audit index."""
    if device.deleted_at:
        return False
    if device.final_sync_open:
        return True  # the window closes by time, and the audit is what closes it when nobody looks
    if device.status != Status.ACTIVATED:
        return False
    return device.unsynced_receipts > 0 or device.shift_open


def audit_shard(device: Device) -> str | None:
    """The device item's sparse index partition key: its shard while it needs a look, else none."""
    return shard_of(device.id) if needs_audit(device) else None


IMMEDIATELY = "0000-00-00T00:00:00Z"


def _stamp(moment: datetime) -> str:
    """Fixed width, so that string order is time order (the index's sort key)."""
    moment = moment.astimezone(timezone.utc)
    return f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%SZ")


def audit_due(device: Device, silent_hours: int, shift_max_hours: int) -> str | None:
    """From when the audit has something to say about the device (None: never, it needs no look).

    Missing receipts (and anything else that needs a look) count at once. A shift that is merely open
    matters only once it has been open `shift_max_hours`, or the device silent `silent_hours` while it is
    open; a device reports a shift open only when it syncs, so neither can happen before
    shift_opened_at + the smaller of the two. That moment does not change while the shift stays open, so the
    syncs of a busy day do not move the device in the index, and the audit skips it until then."""
    if not needs_audit(device):
        return None
    if device.status != Status.ACTIVATED:  # only an open final-sync window: due when it ends
        return _stamp(datetime.fromisoformat(device.final_sync_until.replace("Z", "+00:00")))
    if device.unsynced_receipts > 0 or not device.shift_open or not device.shift_opened_at:
        return IMMEDIATELY
    try:
        opened = datetime.fromisoformat(device.shift_opened_at.replace("Z", "+00:00"))
        return _stamp(opened + timedelta(hours=min(silent_hours, shift_max_hours)))
    except (ValueError, OverflowError):
        return IMMEDIATELY


def audit_key(device: Device, silent_hours: int, shift_max_hours: int) -> tuple[str, str] | tuple[None, None]:
    """(audit_shard, audit_due) of the device item: the index's partition and sort keys, or neither."""
    due = audit_due(device, silent_hours, shift_max_hours)
    return (shard_of(device.id), f"{due}#{device.id}") if due else (None, None)


def due_by(now: datetime) -> str:
    """Sort keys below this bound are due at `now`."""
    return _stamp(now) + "~"


@dataclass(frozen=True)
class Finding:
    type: str
    params: dict = field(default_factory=dict)  # of the catalog message `finding.<type>`
    missing_receipt_numbers: tuple[str, ...] = ()
    missing_count: int = 0

    @property
    def key(self) -> str:
        return f"finding.{self.type}"

    @property
    def details(self) -> str:
        """The English sentence (the API renders `key` and `params` in the reader's language)."""
        return render(self.key, self.params, "en")


def silent_finding(name: str, shift_open: bool, last_heard: datetime | None, now: datetime,
                   silent_hours: int) -> Finding | None:
    if not shift_open or last_heard is None or now - last_heard < timedelta(hours=silent_hours):
        return None
    hours = int((now - last_heard).total_seconds() // 3600)
    return Finding(DEVICE_SILENT, {"name": name, "hours": hours})


def long_shift_finding(name: str, shift_open: bool, opened_at: datetime | None, now: datetime,
                       max_hours: int) -> Finding | None:
    if not shift_open or opened_at is None or now - opened_at < timedelta(hours=max_hours):
        return None
    hours = int((now - opened_at).total_seconds() // 3600)
    return Finding(SHIFT_OPEN_TOO_LONG, {"name": name, "hours": hours})


def left_open_finding(name: str, opened_at: str, deleted: bool) -> Finding:
    return Finding(SHIFT_LEFT_OPEN, {"name": name, "opened_at": opened_at,
                                     "how": {"key": "finding.how.deleted" if deleted else "finding.how.deactivated",
                                             "params": {}}})


def unsynced_finding(name: str, missing_numbers: list[str], missing_count: int | None = None) -> Finding | None:
    """`missing_numbers` may be only the lowest ones when `missing_count` says how many are missing in all
    (or none yet, when the count is known from the device's counters but the numbers are still being looked for)."""
    count = len(missing_numbers) if missing_count is None else missing_count
    if not count:
        return None
    listed = missing_numbers[:MAX_LISTED_NUMBERS]
    more = count - len(listed)
    # The numbers may not be known yet (the audit looks for them a bounded number of lookups per run).
    shown = (", ".join(listed[:10]) + (" …" if count > 10 else "")) if listed else "…"
    return Finding(UNSYNCED_RECEIPTS, {"name": name, "count": count, "numbers": shown, "more": more if listed else 0},
                   tuple(listed), count)


# ---------------------------------------------------------------- where the missing receipts are


@dataclass(frozen=True)
class GapState:
    """What the audit knows of one device's missing receipts. Invariant: every seq in
    `first..checked_upto` that is not in `listed` is on the server; every seq in `listed` was missing."""
    first: int
    checked_upto: int
    listed: tuple[int, ...] = ()

    @classmethod
    def start(cls, first: int) -> "GapState":
        return cls(first, first - 1)


def find_missing(state: GapState, last: int, unsynced: int, lookup: Callable[[list[int]], Iterable[int]],
                 max_lookups: int = RECEIPT_READS_PER_DEVICE,
                 gap: tuple[int, int] | None = None) -> tuple[GapState, int]:
    """The next state and how many lookups it took (`lookup(seqs)` answers which of them the server holds,
    at most LOOKUP_BATCH at a time).

    A device's receipts are never read in full: the numbers listed last time are looked up again (one
    lookup), and only then the numbers issued since the last check, LOOKUP_BATCH at a time, as long as the
    budget lasts. The count comes from the device's counters (`unsynced`), so when every missing receipt
    is already known, nothing above them needs to be looked at.

    `gap` (first, last seq, inclusive) are numbers never issued: between an open final-sync window's range and
    the new activation's range (domain/final_sync.py). They are never looked up nor reported missing."""
    lookups = 0
    gap_first, gap_last = gap if gap and gap[0] <= gap[1] else (last + 1, last)

    def issued_above(seq: int) -> int:  # how many numbers in seq+1..last can have been issued
        return last - seq - max(0, min(last, gap_last) - max(seq, gap_first - 1))

    def upto(seq: int, size: int) -> int:  # the end of a run of at most `size` numbers after seq, before the gap
        end = min(last, seq + size)
        return min(end, gap_first - 1) if seq < gap_first else end
    if unsynced <= 0:
        return GapState(state.first, last), 0
    still = list(state.listed)
    if still:
        held = set(lookup(still))
        lookups += 1
        still = [seq for seq in still if seq not in held]
    checked = state.checked_upto
    found: list[int] = []
    while checked < last and len(still) + len(found) < MAX_LISTED_NUMBERS:
        if gap_first <= checked + 1 <= gap_last:  # never issued: nothing to look at
            checked = min(last, gap_last)
            continue
        remaining = unsynced - len(still) - len(found)
        if remaining <= 0:  # every missing receipt is known: the rest of the range is on the server
            checked = last
            break
        if remaining >= issued_above(checked):  # every number above `checked` is missing: no need to look
            end = upto(checked, MAX_LISTED_NUMBERS - len(still) - len(found))
            found += range(checked + 1, end + 1)
            checked = end
            continue
        if lookups >= max_lookups:
            break
        batch = list(range(checked + 1, upto(checked, LOOKUP_BATCH) + 1))
        held = set(lookup(batch))
        lookups += 1
        found += [seq for seq in batch if seq not in held]
        checked = batch[-1]
    listed = sorted(still + found)
    if len(listed) > MAX_LISTED_NUMBERS:
        listed = listed[:MAX_LISTED_NUMBERS]
        checked = listed[-1]
    return GapState(state.first, checked, tuple(listed)), lookups
