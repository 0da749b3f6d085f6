from __future__ import annotations

from typing import Literal

import msgspec

from backend.seats import SeatStatus

# Enumerated so the OpenAPI document, and the web app's types generated from it, carry the values.
ShowStatus = Literal["scheduled", "on_sale", "sold_out", "ended", "cancelled"]


class VenueOut(msgspec.Struct):
    id: str
    name: str
    city: str
    lat: float
    lng: float


class PriceRange(msgspec.Struct):
    min_cents: int
    max_cents: int
    currency: str


class SeatCounts(msgspec.Struct):
    total: int
    available: int


class QueueInfo(msgspec.Struct):
    enabled: bool


class ShowOut(msgspec.Struct, omit_defaults=True):
    id: str
    title: str
    description: str
    venue: VenueOut
    starts_at: str
    sale_opens_at: str
    status: ShowStatus
    price_range: PriceRange
    seats: SeatCounts
    queue: QueueInfo
    distance_km: float | None = None


class ShowPage(msgspec.Struct):
    items: list[ShowOut]
    next_cursor: str | None


class MapSection(msgspec.Struct):
    id: str
    name: str
    price_cents: int


class MapSeat(msgspec.Struct):
    id: str
    section_id: str
    row: str
    number: int
    x: float
    y: float
    accessible: bool
    status: SeatStatus


class SeatMap(msgspec.Struct):
    """Documents the map's shape; the handler streams pre-encoded bytes of exactly this form."""

    show_id: str
    version: int
    currency: str
    sections: list[MapSection]
    seats: list[MapSeat]


class SeatStatusDocument(msgspec.Struct, omit_defaults=True):
    """GET /shows/{id}/map/status: every seat's status in the order of the venue layout at `layout`."""

    show_id: str
    version: int
    currency: str
    layout: str
    seats: int
    encoding: Literal["2bit"]
    status: str
    # Extension: section id -> price, when the show has its own prices (an organizer's show): they replace the
    # layout's (the venue's), which every show at the venue shares.
    prices: dict[str, int] | None = None
