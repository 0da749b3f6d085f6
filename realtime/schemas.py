"""The waiting room's HTTP answers (API.md "Waiting room")."""

from __future__ import annotations

import msgspec


class QueueEntryOut(msgspec.Struct):
    queue_id: str
    # null until the draw for those who joined before sale_opens_at (then the draw gives them their number)
    number: int | None
    position: int | None  # number - serving, 0 once let in; only ever goes down
    admitted: bool
    admitted_until: str | None
    estimated_wait_s: int | None  # position / measured admission rate; null while there is no rate yet
