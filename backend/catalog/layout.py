"""A venue's seating layout, loaded once per process and kept pre-encoded.

The stadium's 50,000 seats are ~6 MB of JSON. Rebuilding 50,000 objects per request would cost far more than the
request budget, so every seat's JSON is encoded once in each of its three possible statuses, and a map response is
a join of those byte strings picked by the live status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from backend.catalog.map_format import EncodedLayout, encode_layout
from db.tables import Seat, Section

STATUSES = ("available", "held", "sold")


@dataclass(frozen=True)
class SectionInfo:
    id: int
    name: str
    price_cents: int


@dataclass
class VenueLayout:
    venue_id: int
    sections: list[SectionInfo]
    seat_ids: list[str]
    index: dict[str, int]
    section_ids: list[int]
    rows: list[str]
    numbers: list[int]
    ranks: list[int]
    accessible: list[bool]
    xs: list[float]
    ys: list[float]
    # fragments[status][i] is seat i's JSON object with that status.
    fragments: dict[str, list[bytes]] = field(repr=False, default_factory=dict)
    # The compact form (map_format.py): the immutable layout document and where it puts each seat.
    compact: EncodedLayout | None = field(repr=False, default=None)
    sections_json: bytes = b"[]"

    def price_of(self, seat_id: str, show_prices: Mapping[int, int] | None = None) -> int:
        """A seat's price: the show's price of its section (ShowFacts.section_prices) when the show has its own
        prices, else the venue section's."""
        section = self.section_ids[self.index[seat_id]]
        if show_prices is not None and section in show_prices:
            return show_prices[section]
        return self._sections_by_id[section].price_cents

    def section_prices(self, show_prices: Mapping[int, int] | None = None) -> dict[int, int]:
        return {s.id: (show_prices or {}).get(s.id, s.price_cents) for s in self.sections}

    def __post_init__(self) -> None:
        self._sections_by_id = {s.id: s for s in self.sections}


def _encode_fragments(layout: VenueLayout) -> None:
    encoder = msgspec.json.Encoder()
    prefixes = [
        encoder.encode(
            {
                "id": layout.seat_ids[i],
                "section_id": str(layout.section_ids[i]),
                "row": layout.rows[i],
                "number": layout.numbers[i],
                "x": layout.xs[i],
                "y": layout.ys[i],
                "accessible": layout.accessible[i],
            }
        )[:-1]
        for i in range(len(layout.seat_ids))
    ]
    layout.fragments = {
        status: [prefix + b',"status":"' + status.encode() + b'"}' for prefix in prefixes] for status in STATUSES
    }
    layout.sections_json = encoder.encode(
        [{"id": str(s.id), "name": s.name, "price_cents": s.price_cents} for s in layout.sections]
    )


async def load_layout(venue_id: int) -> VenueLayout:
    sections = await Section.select(Section.id, Section.name, Section.price_cents).where(
        Section.venue == venue_id
    ).order_by(Section.sort_order).order_by(Section.id)
    seats = await Seat.select(
        Seat.id, Seat.section, Seat.row, Seat.number, Seat.x, Seat.y, Seat.rank, Seat.accessible
    ).where(Seat.venue == venue_id).order_by(Seat.rank).order_by(Seat.id)
    seat_ids = [str(s["id"]) for s in seats]
    layout = VenueLayout(
        venue_id=venue_id,
        sections=[SectionInfo(s["id"], s["name"], s["price_cents"]) for s in sections],
        seat_ids=seat_ids,
        index={seat_id: i for i, seat_id in enumerate(seat_ids)},
        section_ids=[s["section"] for s in seats],
        rows=[s["row"] for s in seats],
        numbers=[s["number"] for s in seats],
        ranks=[s["rank"] for s in seats],
        accessible=[bool(s["accessible"]) for s in seats],
        xs=[float(s["x"]) for s in seats],
        ys=[float(s["y"]) for s in seats],
    )
    await asyncio.to_thread(_encode, layout)
    return layout


def _encode(layout: VenueLayout) -> None:
    _encode_fragments(layout)
    layout.compact = encode_layout(layout)


class LayoutCache:
    """Per-process cache of venue layouts; venues' seating does not change while shows are on sale."""

    def __init__(self) -> None:
        self._layouts: dict[int, VenueLayout] = {}
        self._loading: dict[int, asyncio.Future[VenueLayout]] = {}

    async def get(self, venue_id: int) -> VenueLayout:
        layout = self._layouts.get(venue_id)
        if layout is not None:
            return layout
        pending = self._loading.get(venue_id)
        if pending is None:
            # One load per venue however many requests arrive while it runs.
            pending = asyncio.ensure_future(load_layout(venue_id))
            self._loading[venue_id] = pending
            try:
                self._layouts[venue_id] = await pending
            finally:
                self._loading.pop(venue_id, None)
            return self._layouts[venue_id]
        return await pending

    def forget(self, venue_id: int) -> None:
        self._layouts.pop(venue_id, None)


async def warm_layouts(cache: LayoutCache) -> None:
    """Load the layouts of venues with upcoming shows in the background, so no fan pays for the first load."""
    from backend.timeutil import utcnow
    from db.tables import Show

    venue_ids = await Show.select(Show.venue).where(Show.starts_at >= utcnow()).distinct().output(as_list=True)
    for venue_id in venue_ids:
        await cache.get(venue_id)
