"""What the seat-state calls answer: holds as stored, and the typed outcome of every write."""

from __future__ import annotations

from typing import Final, Literal

import msgspec

# A seat's status as the API spells it (seat map, live-map diffs); a snapshot lists only the HeldOrSold ones.
SeatStatus = Literal["available", "held", "sold"]
HeldOrSold = Literal["held", "sold"]


class StateUnavailable(RuntimeError):
    """The show's live state could not be built (Redis is being flushed over and over)."""


# Frozen msgspec Structs rather than frozen dataclasses: made on every hold request, and a frozen dataclass's
# __init__ sets each field through object.__setattr__ (ten times slower).


class HoldRecord(msgspec.Struct, frozen=True):
    hold_id: str
    show_id: int
    profile_id: int
    seat_ids: list[str]
    expires_at_ms: int
    amount_cents: int
    currency: str


class Placed(msgspec.Struct, frozen=True):
    record: HoldRecord


class SeatsTaken(msgspec.Struct, frozen=True):
    seat_ids: list[str]


class TooManySeats(msgspec.Struct, frozen=True):
    total: int


class NoBlock(msgspec.Struct, frozen=True):
    """Best available: no `count` seats satisfy the request (with its wishes) anywhere in the show."""


class SaleClosed(msgspec.Struct, frozen=True):
    """The show's closing mark is set (booking's: the show was cancelled): no new seats are held."""


class InCheckout(msgspec.Struct, frozen=True):
    """The hold went to checkout: its open order must be cleared by the payments lifecycle before its seats change
    (then the caller asks again with `checkout_cleared=True`)."""

    hold_id: str


class Released(msgspec.Struct, frozen=True):
    """The hold (or its last seat) was released: its seats are available."""


class NoHold(msgspec.Struct, frozen=True):
    """The profile has no such live hold on the show (unknown, another profile's, expired or already ended)."""


class NoSeat(msgspec.Struct, frozen=True):
    """The seat is not in that hold."""


RELEASED: Final = Released()
NO_HOLD: Final = NoHold()
NO_SEAT: Final = NoSeat()
SALE_CLOSED: Final = SaleClosed()
