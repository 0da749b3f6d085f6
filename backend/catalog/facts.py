"""What other packages need to know about a show (booking, payments, realtime, the seat map): ShowFacts, cached
per process for SHOW_FACTS_TTL_S, since a show's venue, currency and times rarely change during a sale."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from backend.errors import NotFound
from db.tables import Show

SHOW_FACTS_TTL_S = 30.0


@dataclass(frozen=True)
class ShowFacts:
    """What rarely changes about a show; cached per process for the hot paths (holds, map, checkout)."""

    id: int
    title: str
    venue_id: int
    currency: str
    starts_at: datetime
    sale_opens_at: datetime
    queue_enabled: bool
    seats_total: int
    # The database's word (show.cancelled_at); catalog.cancellations also asks Redis, which knows at once.
    cancelled: bool = False


class ShowFactsCache:
    def __init__(self) -> None:
        self._facts: dict[int, tuple[float, ShowFacts]] = {}

    async def get(self, show_id: int) -> ShowFacts:
        hit = self._facts.get(show_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        row = await Show.select(
            Show.id, Show.title, Show.venue, Show.currency, Show.starts_at, Show.sale_opens_at, Show.queue_enabled,
            Show.seats_total, Show.cancelled_at,
        ).where(Show.id == show_id).first()
        if row is None:
            raise NotFound("No such show.", code="show_not_found")
        facts = ShowFacts(
            id=row["id"], title=row["title"], venue_id=row["venue"], currency=row["currency"],
            starts_at=row["starts_at"], sale_opens_at=row["sale_opens_at"],
            queue_enabled=bool(row["queue_enabled"]), seats_total=row["seats_total"],
            cancelled=row["cancelled_at"] is not None,
        )
        self._facts[show_id] = (time.monotonic() + SHOW_FACTS_TTL_S, facts)
        return facts
