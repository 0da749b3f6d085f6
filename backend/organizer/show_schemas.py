"""The organizer's shows, sale, waiting room and dashboard: bodies and answers (API.md, "Organizers";
frontend/src/api/organizerTypes.ts reads exactly these shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from backend.catalog.facts import SaleState
from backend.catalog.schemas import PriceRange, SeatCounts, ShowStatus, VenueOut

Title = Annotated[str, Meta(min_length=1, max_length=200)]
Description = Annotated[str, Meta(max_length=5000)]
Moment = Annotated[datetime, Meta(tz=True)]
Currency = Annotated[str, Meta(pattern="^[A-Z]{3}$")]
Cents = Annotated[int, Meta(ge=0, le=100_000_000)]
SeatLimit = Annotated[int, Meta(ge=1, le=100)]
Capacity = Annotated[int, Meta(ge=1, le=1_000_000)]
Outflow = Annotated[int, Meta(ge=1, le=1_000_000)]


class CategoryPrice(msgspec.Struct, forbid_unknown_fields=True):
    category: Annotated[str, Meta(min_length=1, max_length=100)]
    price_cents: Cents


class QueueSettingsBody(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool
    capacity: Capacity | None = None
    outflow_per_minute: Outflow | None = None


class ShowCreate(msgspec.Struct, forbid_unknown_fields=True):
    venue_id: Annotated[str, Meta(min_length=1, max_length=20)]
    title: Title
    starts_at: Moment
    sale_opens_at: Moment
    currency: Currency
    prices: Annotated[list[CategoryPrice], Meta(max_length=1000)]
    queue: QueueSettingsBody
    description: Description = ""
    max_seats_per_order: SeatLimit | None = None


class ShowPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Any of ShowCreate's fields; what is left out stays as it is."""

    venue_id: Annotated[str, Meta(min_length=1, max_length=20)] | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    starts_at: Moment | UnsetType = UNSET
    sale_opens_at: Moment | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    prices: Annotated[list[CategoryPrice], Meta(max_length=1000)] | UnsetType = UNSET
    max_seats_per_order: SeatLimit | UnsetType = UNSET
    queue: QueueSettingsBody | UnsetType = UNSET


class QueueSettings(msgspec.Struct):
    """A show's waiting room as it is in force: capacity (shoppers at once) and outflow (admissions a minute, null
    for none: capacity alone)."""

    enabled: bool
    capacity: int
    outflow_per_minute: int | None


class OrganizerShow(msgspec.Struct):
    """The public Show (GET /api/v1/shows/{id}) plus `sale`, and what the show was made with (the edit form's
    fields: an extension of API.md)."""

    id: str
    title: str
    description: str
    venue: VenueOut
    starts_at: str
    sale_opens_at: str
    status: ShowStatus
    price_range: PriceRange
    seats: SeatCounts
    queue: QueueSettings
    sale: SaleState
    venue_id: str
    currency: str
    prices: list[CategoryPrice]
    max_seats_per_order: int


class OrganizerShowList(msgspec.Struct):
    items: list[OrganizerShow]


class SaleBody(msgspec.Struct, forbid_unknown_fields=True):
    action: Literal["pause", "resume", "close"]


class SaleOut(msgspec.Struct):
    sale: SaleState


class QueueSettingsPut(msgspec.Struct, forbid_unknown_fields=True):
    capacity: Capacity | UnsetType = UNSET
    outflow_per_minute: Outflow | UnsetType = UNSET


class DashboardSeats(msgspec.Struct):
    available: int
    held: int
    sold: int


class DashboardOrders(msgspec.Struct):
    paid: int
    refunded: int
    pending_payment: int


class DashboardQueue(msgspec.Struct):
    waiting: int
    serving: int
    admitted_per_minute: int


class Latency(msgspec.Struct):
    p50: int | None
    p99: int | None


class Dashboard(msgspec.Struct):
    seats: DashboardSeats
    revenue_cents: int
    currency: str
    orders: DashboardOrders
    queue: DashboardQueue | None
    paid_per_minute: int
    payment_to_paid_ms: Latency
