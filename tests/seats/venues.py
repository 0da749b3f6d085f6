"""Venues made in memory for the index tests, and a best-available call on a synthetic show of one of them."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass

from redis.asyncio import Redis

from backend import seats
from backend.booking.hold_ids import new_hold_id
from backend.catalog.cache_keys import cancelled_key

MAX_SEATS = 8
TTL_MS = 600_000
# Show ids no test show of the database has, one per call (the suite's Redis is shared by every test of the run).
_show_ids = itertools.count(2_000_000_000 + os.getpid() % 1000 * 100_000)


def synthetic_show_id() -> int:
    return next(_show_ids)


@dataclass
class Venue:
    seats: list[seats.LayoutSeat]
    ids: dict[str, int]  # seat name ("s0A1": section 0, row A, number 1) -> seat id

    def names(self, seat_ids: Collection[int | str]) -> list[str]:
        by_id = {seat_id: name for name, seat_id in self.ids.items()}
        return [by_id[int(seat_id)] for seat_id in seat_ids]


def grid(rows: int, per_row: int, sections: int = 1, accessible: Collection[tuple[int, int, int]] = (),
         rank_of: Callable[[int, int, int], int] | None = None, gaps: Collection[int] = ()) -> Venue:
    """Seat "s{section}{row letter}{number}"; rank row-major by default (row A first, low numbers first). `gaps` are
    seat numbers missing from every row (an aisle), so the numbers on either side are not adjacent. Seats are listed
    in rank order, as the venue's layout is."""
    made = []
    for s in range(sections):
        for r in range(rows):
            for n in range(1, per_row + 1):
                if n in gaps:
                    continue
                rank = rank_of(s, r, n) if rank_of else (s * rows + r) * per_row + n
                made.append((rank, f"s{s}{chr(65 + r)}{n}", 100 + s, chr(65 + r), n, (s, r, n) in accessible))
    made.sort()
    ids = {name: 5000 + i for i, (_, name, *_) in enumerate(made)}
    layout = [seats.LayoutSeat(ids[name], section, row, number, rank, flag)
              for rank, name, section, row, number, flag in made]
    return Venue(layout, ids)


async def new_show(redis: Redis, venue: Venue, taken: Collection[str] = ()) -> int:
    """A synthetic show of the venue with its state and index built, the `taken` seats held."""
    show_id = synthetic_show_id()
    await seats.ensure_built(redis, show_id)
    assert await seats.build_index_from(redis, show_id, seats.index_layout(venue.seats), MAX_SEATS)
    if taken:
        placed = await seats.lock_seats(
            redis, show_id=show_id, profile_id=1, new_hold_id=new_hold_id(show_id),
            seats=[(str(venue.ids[name]), 1000) for name in taken], ttl_ms=TTL_MS, max_seats=len(taken),
            currency="EUR", closing_mark=cancelled_key(show_id))
        assert isinstance(placed, seats.Placed), placed
    return show_id


async def best(redis: Redis, show_id: int, profile_id: int, count: int, section_id: int | None = None,
               accessible: bool = False, max_seats: int = MAX_SEATS,
               ) -> seats.Placed | seats.NoBlock | seats.SeatsTaken | seats.TooManySeats | seats.InCheckout:
    return await seats.lock_best_available(
        redis, show_id=show_id, profile_id=profile_id, new_hold_id=new_hold_id(show_id), count=count,
        section_id=section_id, accessible=accessible, prices={100: 1000, 101: 2000}, ttl_ms=TTL_MS,
        max_seats=max_seats, currency="EUR", closing_mark=cancelled_key(show_id))


async def choose(redis: Redis, venue: Venue, taken: Collection[str], count: int, section_id: int | None = None,
                 accessible: bool = False) -> list[str] | None:
    """What best available holds on a fresh show of the venue with `taken` held: seat names, or None (no block)."""
    show_id = await new_show(redis, venue, taken)
    outcome = await best(redis, show_id, 2, count, section_id, accessible)
    if isinstance(outcome, seats.NoBlock):
        return None
    assert isinstance(outcome, seats.Placed), outcome
    return venue.names(outcome.record.seat_ids)
