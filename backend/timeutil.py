"""RFC 3339 UTC times, as API.md spells them, and the epoch milliseconds Redis keeps."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(value: datetime) -> str:
    return _utc_text(value, "seconds")


def rfc3339_ms(value: datetime) -> str:
    """With milliseconds, unlike other times in the API: a hold's (and so an order's) expiry, whose countdown and
    expiry tests need them."""
    return _utc_text(value, "milliseconds")


def _utc_text(value: datetime, timespec: str) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def epoch_ms(moment: datetime) -> int:
    """A time as Redis keeps it: milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def now_ms() -> int:
    return int(time.time() * 1000)


def from_epoch_ms(epoch_ms: int) -> datetime:
    """A Redis-side time (ms since the epoch, as holds and admissions keep them) as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


# Times a client may name: wide enough for any real query, far enough from datetime's limits (years 1 and 9999)
# that converting to UTC or adding a day or a window never overflows.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def parse_rfc3339(raw: str) -> datetime:
    """Parse a client's time; naive times are taken as UTC. Raises ValueError on anything else, including times
    outside EARLIEST..LATEST (`0001-01-01T00:00:00+14:00` is before year 1 in UTC)."""
    if len(raw) > 40 or not raw.isascii():
        raise ValueError("not an RFC 3339 time")
    value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None
    if not EARLIEST <= value < LATEST:
        raise ValueError("out of range")
    return value
