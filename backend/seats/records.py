"""What the seat-state calls answer: holds as stored, and the outcomes of a lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# A seat's status as the API spells it (seat map, live-map diffs); a snapshot lists only the HeldOrSold ones.
SeatStatus = Literal["available", "held", "sold"]
HeldOrSold = Literal["held", "sold"]


class StateUnavailable(RuntimeError):
    """The show's live state could not be built (Redis is being flushed over and over)."""


@dataclass(frozen=True)
class HoldRecord:
    hold_id: str
    show_id: int
    profile_id: int
    seat_ids: list[str]
    expires_at_ms: int
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class Placed:
    record: HoldRecord


@dataclass(frozen=True)
class SeatsTaken:
    seat_ids: list[str]


@dataclass(frozen=True)
class TooManySeats:
    total: int


@dataclass(frozen=True)
class InCheckout:
    """The hold went to checkout: its open order must be cleared by the payments lifecycle before its seats change
    (then the caller asks again with `checkout_cleared=True`)."""

    hold_id: str
