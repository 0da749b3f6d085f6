"""What other packages need to know about a show (booking, payments, realtime, the seat map): ShowFacts, cached
per process, since a show's venue, currency, prices and times rarely change during a sale.

An organizer's change (backend/organizer: the show edited, the sale paused or closed, the waiting room's settings)
must reach every process within a second, on the hottest path there is (every hold reads the facts). So each
change writes the database, then gives the show a new **revision** in Redis (`{show:N}:facts-rev`, a random
token: `touch`). A process trusts its copy for CHECK_S; after that it reads the revision (one GET per show per
process per CHECK_S, whatever the traffic) and reloads the row only when the revision moved. A revision Redis lost
reads as a change (nothing equals a lost token), so the database is asked once again, and the facts are reloaded
every SHOW_FACTS_TTL_S regardless: without Redis, a change is seen within that bound.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from redis.asyncio import Redis

from backend.errors import NotFound
from backend.infra.keyspace import show_tag
from db.tables import Section, Show, ShowPrice

SHOW_FACTS_TTL_S = 30.0
CHECK_S = 0.5  # how long a process trusts its facts before asking Redis whether the show changed

# The sale as the organizer left it (API.md, "Organizers"): "open" until paused or closed. "scheduled" is how an
# open sale looks before sale_opens_at (sale_shown), never stored.
StoredSale = Literal["open", "paused", "closed"]
SaleState = Literal["scheduled", "open", "paused", "closed"]
STORED_SALES: tuple[StoredSale, ...] = ("open", "paused", "closed")


def revision_key(show_id: int) -> str:
    return f"{show_tag(show_id)}:facts-rev"


async def touch(redis: Redis, show_id: int) -> None:
    """After a show's row changed: every process reloads its facts within CHECK_S."""
    await redis.set(revision_key(show_id), secrets.token_hex(8))


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
    sale: StoredSale = "open"
    max_seats_per_order: int | None = None  # None: the platform's MAX_SEATS_PER_ORDER
    queue_capacity: int | None = None  # None: the platform's QUEUE_ACTIVE_SHOPPERS
    queue_outflow_per_minute: int | None = None  # None: the platform's QUEUE_ADMISSIONS_PER_MINUTE
    # Section id -> the show's price of a seat there (its category's price); None: the venue's section prices.
    section_prices: Mapping[int, int] | None = field(default=None, compare=False)
    # The database's word (show.cancelled_at); catalog.cancellations also asks Redis, which knows at once.
    cancelled: bool = False

    def sale_shown(self, now: datetime) -> SaleState:
        return "scheduled" if self.sale == "open" and now < self.sale_opens_at else self.sale


async def load_facts(show_id: int) -> ShowFacts:
    row = await Show.select(
        Show.id, Show.title, Show.venue, Show.currency, Show.starts_at, Show.sale_opens_at, Show.queue_enabled,
        Show.seats_total, Show.sale, Show.max_seats_per_order, Show.queue_capacity, Show.queue_outflow_per_minute,
        Show.cancelled_at,
    ).where(Show.id == show_id).first()
    if row is None:
        raise NotFound("No such show.", code="show_not_found")
    return ShowFacts(
        id=row["id"], title=row["title"], venue_id=row["venue"], currency=row["currency"],
        starts_at=row["starts_at"], sale_opens_at=row["sale_opens_at"],
        queue_enabled=bool(row["queue_enabled"]), seats_total=row["seats_total"],
        sale=row["sale"] if row["sale"] in STORED_SALES else "open",
        max_seats_per_order=row["max_seats_per_order"], queue_capacity=row["queue_capacity"],
        queue_outflow_per_minute=row["queue_outflow_per_minute"],
        section_prices=await section_prices(show_id, row["venue"]),
        cancelled=row["cancelled_at"] is not None,
    )


async def section_prices(show_id: int, venue_id: int) -> dict[int, int] | None:
    """Section id -> price, from the show's category prices; None for a show priced by its venue's sections."""
    prices = {row["category"]: row["price_cents"] for row in await ShowPrice.select(
        ShowPrice.category, ShowPrice.price_cents).where(ShowPrice.show == show_id)}
    if not prices:
        return None
    sections = await Section.select(Section.id, Section.category, Section.name, Section.price_cents).where(
        Section.venue == venue_id)
    return {s["id"]: prices.get(s["category"] or s["name"], s["price_cents"]) for s in sections}


@dataclass
class _Entry:
    facts: ShowFacts
    revision: bytes | str | None
    fresh_until: float  # reload from the database after this, whatever Redis says
    checked_until: float  # ask Redis for the revision after this


class ShowFactsCache:
    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis  # None: no revision checks (the facts then follow the database within the TTL)
        self._entries: dict[int, _Entry] = {}
        self._refreshing: dict[int, asyncio.Future[ShowFacts]] = {}

    async def get(self, show_id: int) -> ShowFacts:
        entry = self._entries.get(show_id)
        now = time.monotonic()
        if entry is not None and now < entry.checked_until:
            return entry.facts
        pending = self._refreshing.get(show_id)
        if pending is None:
            # One refresh per show however many requests find it due.
            pending = asyncio.ensure_future(self._refresh(show_id, entry))
            self._refreshing[show_id] = pending
            pending.add_done_callback(lambda _: self._refreshing.pop(show_id, None))
        return await asyncio.shield(pending)

    async def _refresh(self, show_id: int, entry: _Entry | None) -> ShowFacts:
        revision = await self.redis.get(revision_key(show_id)) if self.redis is not None else None
        now = time.monotonic()
        if entry is not None and now < entry.fresh_until and revision == entry.revision:
            entry.checked_until = now + CHECK_S
            return entry.facts
        facts = await load_facts(show_id)
        now = time.monotonic()
        checked = now + (CHECK_S if self.redis is not None else SHOW_FACTS_TTL_S)
        self._entries[show_id] = _Entry(facts, revision, now + SHOW_FACTS_TTL_S, checked)
        return facts

    def forget(self, show_id: int) -> None:
        """This process's copy is stale (it made the change itself): the next read loads the row."""
        self._entries.pop(show_id, None)
