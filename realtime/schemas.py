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


class QueueDrawOut(msgspec.Struct):
    """The waiting room's draw (realtime/draw.py, docs/architecture.md "The draw"): enough for anyone to check it."""

    algorithm: str  # "showtime-draw-v1"
    commitment: str | None  # sha256(seed), hex, published before entries close
    entries_closed_at: str  # when the early list closes (the sale's opening), once drawn when it closed
    drawn: bool
    seed: str | None  # hex, revealed only after the draw
    entries_hash: str | None  # sha256 of the sorted queue ids, each followed by "\n"
    entries_count: int | None
    # the early arrivals' queue ids, sorted: each fan knows only their own (GET .../queue/me), none names a person
    entries: list[str] | None
    # Extension: early arrivals left out of the draw (no verified e-mail when it ran), numbered after the drawn
    # entries (entries_count + 1 onwards) in the order they joined; null before the draw
    placed_after_count: int | None
