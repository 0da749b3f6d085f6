"""A venue's seating as the database keeps it, whatever file it came from: the canonical form, its hash, and the
bulk writes and reads of its rows.

A plan file (pretix's format or this project's own, parsed and checked by backend/organizer/plans) becomes a
`Seating`: categories (what a show prices), sections (one per zone and category: what the map and a ticket name),
and seats in columns. Its `layout_hash` is a content hash of exactly what a seat is to a fan and to best available:
guid, section, row, number, position, rank, accessibility. Ids the database hands out are not part of it, so the
same plan always has the same hash, whichever venue row or organization holds it, and an export imported again
hashes the same. Category colours and the plan's drawings (areas, size) are kept beside it (`Venue.plan_meta`)
but do not count: they change nothing anyone buys.

This module is `db`'s, not `backend`'s, because the demo data (db/demo_data.py) writes venues the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import msgspec
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from db.tables import Seat, Section, Venue

# Positions are kept to a hundredth of a map unit: the seat map's own precision (backend/catalog/map_format.py).
COORDINATE_DECIMALS = 2
HASH_VERSION = "showtime-seating/1"
SEAT_COLUMNS = ("venue", "section", "row", "number", "x", "y", "rank", "accessible", "guid")


SCALE = 10**COORDINATE_DECIMALS


def coordinate(value: float) -> float:
    """The canonical form of a coordinate: the nearest hundredth (as the nearest double to it), never -0.0 (SQLite
    would not keep the sign). Rounding the scaled value to an integer is several times faster than round(value, 2)
    for the 120,000 coordinates of a large plan, and applying it again changes nothing."""
    return round(value * SCALE) / SCALE + 0.0


SECTION_JOINER = " · "


def section_name(zone: str, category: str) -> str:
    """The name the map and a ticket show for the seats of one category in one zone: the category alone when the
    zone is unnamed or named as the category, else both ("Balcony · Category 2")."""
    return category if not zone or zone == category else f"{zone}{SECTION_JOINER}{category}"


@dataclass(frozen=True)
class PlanSection:
    name: str
    category: str
    zone: str


@dataclass
class Seating:
    """Categories and sections in their order, and the seats in columns (seat i in each list)."""

    categories: list[str]
    sections: list[PlanSection]
    guids: list[str] = field(default_factory=list)
    section_of: list[int] = field(default_factory=list)  # index into `sections`
    rows: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    ranks: list[int] = field(default_factory=list)
    accessible: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.guids)

    def add(self, guid: str, section: int, row: str, number: int, x: float, y: float, rank: int,
            accessible: bool) -> None:
        self.guids.append(guid)
        self.section_of.append(section)
        self.rows.append(row)
        self.numbers.append(number)
        self.xs.append(coordinate(x))
        self.ys.append(coordinate(y))
        self.ranks.append(rank)
        self.accessible.append(accessible)

    def in_rank_order(self) -> list[int]:
        """Seat indexes best first; the guid breaks ties so the order never depends on how the seats came in."""
        return sorted(range(len(self.guids)), key=lambda i: (self.ranks[i], self.guids[i]))


def layout_hash(seating: Seating) -> str:
    order = sorted(range(len(seating.guids)), key=seating.guids.__getitem__)
    document = [
        HASH_VERSION,
        seating.categories,
        [[s.name, s.category, s.zone] for s in seating.sections],
        [[seating.guids[i], seating.section_of[i], seating.rows[i], seating.numbers[i], seating.xs[i],
          seating.ys[i], seating.ranks[i], seating.accessible[i]] for i in order],
    ]
    return hashlib.sha256(msgspec.json.encode(document)).hexdigest()[:32]


def _write_transaction() -> Any:
    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        # Take the write lock up front: the seats go in as one piece, never interleaved with another writer.
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()  # type: ignore[union-attr]


async def insert_venue(*, name: str, city: str, lat: float, lng: float, organization: int | None,
                       seating: Seating, plan_meta: dict[str, Any], price_cents: int = 0,
                       section_prices: dict[str, int] | None = None, digest: str | None = None) -> tuple[int, str]:
    """One transaction: the venue, its sections, then every seat in one bulk statement (COPY on PostgreSQL,
    executemany on SQLite), seats in rank order so their ids ascend with rank. Returns (venue id, layout hash).
    A unique index refuses a second venue of one organization with the same name, city and hash (the caller
    treats that as "the same import again")."""
    digest = digest or layout_hash(seating)
    prices = section_prices or {}
    async with _write_transaction() as transaction:
        venue_id = (await Venue.insert(Venue(name=name, city=city, lat=lat, lng=lng, organization=organization,
                                             layout_hash=digest, plan_meta=msgspec.json.encode(plan_meta).decode()))
                    .returning(Venue.id))[0]["id"]
        await Section.insert(*[
            Section(venue=venue_id, name=s.name, price_cents=prices.get(s.name, price_cents), sort_order=k,
                    category=s.category, zone=s.zone)
            for k, s in enumerate(seating.sections)
        ])
        # RETURNING's row order is not promised on SQLite: map sections back by their sort order.
        by_order = {row["sort_order"]: row["id"] for row in await Section.select(Section.id, Section.sort_order)
                    .where(Section.venue == venue_id)}
        section_ids = [by_order[k] for k in range(len(seating.sections))]
        records = [
            (venue_id, section_ids[seating.section_of[i]], seating.rows[i], seating.numbers[i], seating.xs[i],
             seating.ys[i], seating.ranks[i], seating.accessible[i], seating.guids[i])
            for i in seating.in_rank_order()
        ]
        connection = transaction.connection
        if isinstance(engine_finder(), SQLiteEngine):
            columns = ", ".join(f'"{c}"' for c in SEAT_COLUMNS)
            marks = ", ".join("?" for _ in SEAT_COLUMNS)
            await connection.executemany(f"INSERT INTO seat ({columns}) VALUES ({marks})", records)
        else:
            await connection.copy_records_to_table("seat", records=records, columns=list(SEAT_COLUMNS))
    return venue_id, digest


async def load_seating(venue_id: int) -> Seating:
    """A venue's seating back from its rows, in the form `layout_hash` reads (seats best first)."""
    sections = await Section.select(Section.id, Section.name, Section.category, Section.zone).where(
        Section.venue == venue_id).order_by(Section.sort_order).order_by(Section.id)
    index = {row["id"]: k for k, row in enumerate(sections)}
    plan_sections = [PlanSection(row["name"], row["category"] or row["name"], row["zone"] or "")
                     for row in sections]
    categories = categories_of(await venue_plan_meta(venue_id), [s.category for s in plan_sections])
    seating = Seating(categories=categories, sections=plan_sections)
    seats = await Seat.select(Seat.id, Seat.section, Seat.row, Seat.number, Seat.x, Seat.y, Seat.rank,
                              Seat.accessible, Seat.guid).where(Seat.venue == venue_id).order_by(Seat.rank) \
        .order_by(Seat.id)
    for seat in seats:
        seating.add(seat["guid"] or f"seat-{seat['id']}", index[seat["section"]], seat["row"], seat["number"],
                    seat["x"], seat["y"], seat["rank"], bool(seat["accessible"]))
    return seating


def categories_of(meta: dict[str, Any], section_categories: list[str]) -> list[str]:
    """A venue's categories: the plan's own list, in its order (unused ones too), then any its sections use that
    the list lacks (venues made before plans were imported have no list: their sections are their categories)."""
    named = [c["name"] for c in meta.get("categories", ()) if isinstance(c, dict) and isinstance(c.get("name"), str)]
    return named + [c for c in dict.fromkeys(section_categories) if c not in named]


async def venue_plan_meta(venue_id: int) -> dict[str, Any]:
    row = await Venue.select(Venue.plan_meta).where(Venue.id == venue_id).first()
    return decode_plan_meta(row["plan_meta"] if row else None)


def decode_plan_meta(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        decoded = msgspec.json.decode(raw or "{}")
    except msgspec.DecodeError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
