"""The one clock. Tests and benchmarks move it with `set_now`."""
from datetime import datetime, timezone

_override: datetime | None = None


def now() -> datetime:
    return _override or datetime.now(timezone.utc)


def set_now(moment: datetime | None) -> None:
    global _override
    _override = moment


def iso(moment: datetime | None = None) -> str:
    moment = (moment or now()).astimezone(timezone.utc)
    # Year zero-padded by hand: strftime's %Y gives "976", which fromisoformat cannot read back.
    return f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%S") + (
        f".{moment.microsecond // 1000:03d}Z" if moment.microsecond else "Z")


def sort_key(moment: datetime) -> str:
    """Fixed width, so that string order is time order."""
    moment = moment.astimezone(timezone.utc)
    return f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%S.%f") + "Z"


def parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamp needs a zone, e.g. 2026-11-24T10:00:00Z")
    return moment.astimezone(timezone.utc)


def epoch(moment: datetime | None = None) -> int:
    return int((moment or now()).timestamp())


def iso_from_epoch(seconds: int) -> str:
    return iso(datetime.fromtimestamp(seconds, timezone.utc))
