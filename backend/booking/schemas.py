from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

SeatId = Annotated[str, Meta(min_length=1, max_length=32)]


class BestAvailableRequest(msgspec.Struct, forbid_unknown_fields=True):
    count: Annotated[int, Meta(ge=1, description="How many adjacent seats")]
    section_id: str | None = None
    accessible: bool = False


class HoldRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of `seat_ids` (seats picked on the map) or `best_available` (let the server pick)."""

    seat_ids: Annotated[list[SeatId], Meta(min_length=1, max_length=256)] | None = None
    best_available: BestAvailableRequest | None = None


class HoldOut(msgspec.Struct):
    hold_id: str
    show_id: str
    seat_ids: list[str]
    expires_at: str
    amount_cents: int
    currency: str
