"""Issuing tickets: one per sold seat, written inside the caller's settlement transaction.

The database's UNIQUE(show, seat) on tickets is the last word on "sold once": a second ticket for a seat raises
the unique violation the caller turns into a refund. The show's sales counters (sales.py) are moved by the
order's status change in the same transaction, in one of several rows per show, so settlements of one show seldom
wait on the same counter row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from db.tables import Ticket


@dataclass(frozen=True)
class SoldSeat:
    seat_id: int
    price_cents: int


async def issue(*, order_id: int, show_id: int, profile_id: int, currency: str, seats: Sequence[SoldSeat],
                issued_at: datetime) -> None:
    """Ticket each seat of a paid order; call it inside the transaction that marks the order paid."""
    await Ticket.insert(*(
        Ticket(order=order_id, show=show_id, seat=seat.seat_id, profile=profile_id, price_cents=seat.price_cents,
               currency=currency, issued_at=issued_at)
        for seat in seats
    ))
