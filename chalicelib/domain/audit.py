"""Audit rules: which findings a device's record calls for. Pure: the caller supplies time and numbers."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.i18n import render

UNSYNCED_RECEIPTS = "UNSYNCED_RECEIPTS"
DEVICE_SILENT = "DEVICE_SILENT"
SHIFT_OPEN_TOO_LONG = "SHIFT_OPEN_TOO_LONG"
# A shift still open when its slot was deactivated or deleted: raised then, it stays open as a record.
SHIFT_LEFT_OPEN = "SHIFT_LEFT_OPEN"
RAISED_ONCE = {SHIFT_LEFT_OPEN}  # not re-evaluated by the audit: what it reports does not change any more
MAX_LISTED_NUMBERS = 100


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
    """`missing_numbers` may be only the lowest ones when `missing_count` says how many are missing in all."""
    count = len(missing_numbers) if missing_count is None else missing_count
    if not missing_numbers or not count:
        return None
    listed = missing_numbers[:MAX_LISTED_NUMBERS]
    more = count - len(listed)
    shown = ", ".join(listed[:10]) + (" …" if count > 10 else "")
    return Finding(UNSYNCED_RECEIPTS, {"name": name, "count": count, "numbers": shown, "more": more},
                   tuple(listed), count)
