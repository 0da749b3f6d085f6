"""What booking asks before seats change, implemented above it and handed in by the app's assembly (server/core.py).

Booking sits below the payments domain and realtime's waiting room; these Protocols are the shape it needs of each,
so that it never imports them and the assembly says in one place who answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable  # Litestar checks injected dependencies against their annotation
class OpenOrderGuard(Protocol):
    """Asked before the seats of a live hold change: an open order is a snapshot of its hold, so it is cancelled
    first, or the change is refused (409 hold_in_checkout) while a payment is in flight. Payments' OrderLifecycle."""

    async def before_hold_change(self, show_id: int, hold_id: str, profile_id: int, now: datetime) -> None: ...


@runtime_checkable
class ShoppingTurns(Protocol):
    """A queue-enabled show's shopping turns, granted by its waiting room (realtime.waiting_room.Admissions).

    Holds ask `is_admitted`; a release ends the turn in the same atomic step as it frees the seats (the seat script
    takes the profile out of `grants_key`); a paid order ends it after the sale (`finish`)."""

    async def is_admitted(self, show_id: int, profile_id: int) -> bool: ...

    def grants_key(self, show_id: int) -> str: ...

    async def finish(self, show_id: int, profile_id: int) -> None: ...
