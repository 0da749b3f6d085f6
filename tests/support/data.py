"""Shows made for one test: a small venue in a grid, written straight to the test database.

Tests that buy or hold seats use their own show, so they never disturb each other or the demo data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.timeutil import utcnow
from db.tables import Seat, Section, Show, Venue


@dataclass
class TestShow:
    __test__ = False  # a helper, not a pytest test class
    id: int
    venue_id: int
    seat_ids: list[str]
    sections: dict[str, int]  # section name -> id
    rows: dict[str, list[str]]  # "Section/Row" -> seat ids in seat-number order

    @property
    def sid(self) -> str:
        return str(self.id)


SEAT_BATCH = 2_000  # seats per INSERT: 9 columns each


async def create_show(
    rows: int = 4,
    seats_per_row: int = 10,
    sections: tuple[tuple[str, int], ...] = (("Front", 5000), ("Back", 3000)),
    queue_enabled: bool = False,
    sale_opens_in: timedelta = timedelta(days=-1),
    sale_opens_at: datetime | None = None,  # exactly then (instead of `sale_opens_in` from when the show is written)
    starts_in: timedelta = timedelta(days=10),
    accessible_every: int = 0,
    title: str | None = None,
    lat: float = 48.8566,
    lng: float = 2.3522,
    city: str = "Paris",
) -> TestShow:
    label = secrets.token_hex(3)
    venue = (await Venue.insert(Venue(name=f"Test Hall {label}", city=city, lat=lat, lng=lng))
             .returning(Venue.id))[0]["id"]
    section_ids: dict[str, int] = {}
    row_map: dict[str, list[str]] = {}
    seats: list[Seat] = []
    rank = 0
    for s_index, (name, price) in enumerate(sections):
        section_id = (await Section.insert(Section(venue=venue, name=name, price_cents=price,
                                                   sort_order=s_index)).returning(Section.id))[0]["id"]
        section_ids[name] = section_id
        for r in range(rows):
            for n in range(seats_per_row):
                seats.append(Seat(venue=venue, section=section_id, row=chr(65 + r), number=n + 1,
                                  x=float(n * 10), y=float((s_index * rows + r) * 10), rank=rank,
                                  accessible=bool(accessible_every) and n % accessible_every == 0))
                rank += 1
    for start in range(0, len(seats), SEAT_BATCH):  # PostgreSQL takes at most 32,767 arguments a statement
        await Seat.insert(*seats[start:start + SEAT_BATCH])
    rows_db = await Seat.select(Seat.id, Seat.section.name, Seat.row, Seat.number).where(
        Seat.venue == venue).order_by(Seat.id)
    for row in rows_db:
        row_map.setdefault(f"{row['section.name']}/{row['row']}", []).append(str(row["id"]))
    now = utcnow()
    show_title = title or f"Test Show {label}"
    show = (await Show.insert(Show(
        title=show_title, description="made by a test", venue=venue, starts_at=now + starts_in,
        sale_opens_at=sale_opens_at or now + sale_opens_in, currency="EUR", queue_enabled=queue_enabled,
        seats_total=len(rows_db), search_text=f"{show_title} Test Hall {city}",
    )).returning(Show.id))[0]["id"]
    return TestShow(id=show, venue_id=venue, seat_ids=[str(r["id"]) for r in rows_db], sections=section_ids,
                    rows=row_map)
