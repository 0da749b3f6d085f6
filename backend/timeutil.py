"""RFC 3339 UTC times, as API.md spells them, and the epoch milliseconds Redis keeps."""

from __future__ import annotations

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


def from_epoch_ms(epoch_ms: int) -> datetime:
    """A Redis-side time (ms since the epoch, as holds and admissions keep them) as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def parse_rfc3339(raw: str) -> datetime:
    """Parse a client's time; naive times are taken as UTC. Raises ValueError on anything else."""
    if len(raw) > 40:
        raise ValueError("too long")
    value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
