"""An organization's shows: create, edit, list, describe (API.md, "Organizers"). Knows nothing of HTTP.

A show belongs to the organization of its venue. It is public at once: the row is what the catalog lists, and
after every change this process's prepared catalog answers are dropped and every process's show facts reload
within a second (catalog.facts.touch). Prices are per seat category of the venue (`show_price`); every category
needs one (422 `missing_price`). Once a ticket is sold, what it is may not change (409 `show_has_sales`): not the
venue, not the currency, not the price of a category with sold seats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from msgspec import UNSET, UnsetType
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.query.functions.aggregate import Count
from redis.asyncio import Redis

from backend.catalog.answers import CatalogAnswers
from backend.catalog.facts import STORED_SALES, ShowFactsCache, StoredSale, load_facts, touch
from backend.catalog.search import select_shows, to_shows
from backend.errors import Conflict, Invalid
from backend.organizer.guard import Organizer, owned_venue
from backend.organizer.ownership import organization_show as owned_show
from backend.organizer.show_schemas import (
    CategoryPrice,
    OrganizerShow,
    OrganizerShowList,
    QueueSettings,
    QueueSettingsBody,
    ShowCreate,
    ShowPatch,
)
from backend.organizer.waiting_rooms import WaitingRooms
from backend.settings import Settings
from backend.timeutil import utcnow
from db.seating import categories_of, venue_plan_meta
from db.tables import Seat, Section, Show, ShowPrice, Ticket, Venue


@dataclass(frozen=True)
class ShowsContext:
    """What the show routes share, built once with the app (organizer/plugin.py)."""

    settings: Settings
    redis: Redis
    show_facts: ShowFactsCache
    catalog: CatalogAnswers
    waiting_rooms: WaitingRooms


def _write_transaction() -> Any:
    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()  # type: ignore[union-attr]


async def venue_categories(venue_id: int) -> list[str]:
    sections = await Section.select(Section.category, Section.name).where(Section.venue == venue_id).order_by(
        Section.sort_order).order_by(Section.id)
    return categories_of(await venue_plan_meta(venue_id), [s["category"] or s["name"] for s in sections])


def _check_prices(prices: list[CategoryPrice], categories: list[str]) -> dict[str, int]:
    given: dict[str, int] = {}
    for k, price in enumerate(prices):
        if price.category in given:
            raise Invalid(f"The category '{price.category}' is priced twice.", code="duplicate_price",
                          category=price.category, pointer=f"/prices/{k}/category")
        if price.category not in categories:
            raise Invalid(f"The venue has no seat category '{price.category}'.", code="unknown_category",
                          category=price.category, pointer=f"/prices/{k}/category")
        given[price.category] = price.price_cents
    for category in categories:
        if category not in given:
            raise Invalid(f"Every seat category of the venue needs a price: '{category}' has none.",
                          code="missing_price", category=category, pointer="/prices")
    return given


def _check_times(starts_at: datetime, sale_opens_at: datetime, *, starts_changed: bool) -> None:
    if starts_changed and starts_at <= utcnow():
        raise Invalid("The show must start in the future.", code="invalid", field="starts_at", pointer="/starts_at")
    if sale_opens_at >= starts_at:
        raise Invalid("The sale must open before the show starts.", code="invalid", field="sale_opens_at",
                      pointer="/sale_opens_at")


def _search_text(title: str, description: str, venue: dict) -> str:
    return f"{title} {description} {venue['name']} {venue['city']}"


async def _venue(venue_id: int) -> dict:
    row = await Venue.select(Venue.name, Venue.city).where(Venue.id == venue_id).first()
    assert row is not None  # owned_venue found it
    return row


async def _seat_count(venue_id: int) -> int:
    return int((await Seat.select(Count()).where(Seat.venue == venue_id).first() or {"count": 0})["count"])


async def create_show(context: ShowsContext, organizer: Organizer, body: ShowCreate) -> OrganizerShow:
    venue_id = await owned_venue(organizer, body.venue_id)
    _check_times(body.starts_at, body.sale_opens_at, starts_changed=True)
    prices = _check_prices(body.prices, await venue_categories(venue_id))
    queue = body.queue
    venue = await _venue(venue_id)
    show = Show(title=body.title, description=body.description, venue=venue_id, starts_at=body.starts_at,
                sale_opens_at=body.sale_opens_at, currency=body.currency, queue_enabled=queue.enabled,
                seats_total=await _seat_count(venue_id), search_text=_search_text(body.title, body.description, venue),
                sale="open", max_seats_per_order=body.max_seats_per_order, queue_capacity=queue.capacity,
                queue_outflow_per_minute=queue.outflow_per_minute)
    async with _write_transaction():
        show_id = (await Show.insert(show).returning(Show.id))[0]["id"]
        await ShowPrice.insert(*(ShowPrice(show=show_id, category=c, price_cents=p) for c, p in prices.items()))
    await announce_change(context, show_id)
    return (await describe(context, [show_id]))[0]


async def update_show(context: ShowsContext, organizer: Organizer, raw_id: str, patch: ShowPatch) -> OrganizerShow:
    show_id = await owned_show(organizer, raw_id)
    facts = await load_facts(show_id)
    venue_id = facts.venue_id if isinstance(patch.venue_id, UnsetType) else await owned_venue(
        organizer, patch.venue_id)
    venue_moves = venue_id != facts.venue_id
    starts_at = facts.starts_at if _unset(patch.starts_at) else patch.starts_at
    sale_opens_at = facts.sale_opens_at if _unset(patch.sale_opens_at) else patch.sale_opens_at
    assert isinstance(starts_at, datetime) and isinstance(sale_opens_at, datetime)
    _check_times(starts_at, sale_opens_at, starts_changed=not _unset(patch.starts_at) and starts_at != facts.starts_at)

    current_prices = {row["category"]: row["price_cents"] for row in await ShowPrice.select(
        ShowPrice.category, ShowPrice.price_cents).where(ShowPrice.show == show_id)}
    new_prices: dict[str, int] | None = None
    if not _unset(patch.prices):
        assert isinstance(patch.prices, list)
        new_prices = _check_prices(patch.prices, await venue_categories(venue_id))
    elif venue_moves:
        # The prices of the categories both venues have carry over; any other category of the new one needs one.
        categories = await venue_categories(venue_id)
        new_prices = _check_prices([CategoryPrice(c, p) for c, p in current_prices.items() if c in categories],
                                   categories)
    currency = facts.currency if _unset(patch.currency) else patch.currency
    assert isinstance(currency, str)

    sold = await _sold_categories(show_id)
    if sold is not None:
        if venue_moves:
            raise Conflict("This show has sold tickets: its venue can no longer change.", code="show_has_sales",
                           field="venue_id")
        if currency != facts.currency:
            raise Conflict("This show has sold tickets: its currency can no longer change.", code="show_has_sales",
                           field="currency")
        for category in sorted(sold):
            # What a sold seat of it costs now: the show's price, or (a show priced by its venue) its ticket's.
            if new_prices is not None and new_prices.get(category) != current_prices.get(category, sold[category]):
                raise Conflict(f"Seats of the category '{category}' are sold: its price can no longer change.",
                               code="show_has_sales", field="prices", category=category)

    values: dict = {}
    for name in ("title", "description", "starts_at", "sale_opens_at"):
        value = getattr(patch, name)
        if not _unset(value):
            values[getattr(Show, name)] = value
    values[Show.currency] = currency
    if venue_moves:
        values[Show.venue] = venue_id
        values[Show.seats_total] = await _seat_count(venue_id)
    if not _unset(patch.max_seats_per_order):
        values[Show.max_seats_per_order] = patch.max_seats_per_order
    queue = patch.queue if isinstance(patch.queue, QueueSettingsBody) else None
    if queue is not None:
        values.update({Show.queue_enabled: queue.enabled, Show.queue_capacity: queue.capacity,
                       Show.queue_outflow_per_minute: queue.outflow_per_minute})
    title = str(values.get(Show.title, facts.title))
    description = str(values[Show.description] if Show.description in values else (
        await Show.select(Show.description).where(Show.id == show_id).first() or {"description": ""})["description"])
    values[Show.search_text] = _search_text(title, description, await _venue(venue_id))
    async with _write_transaction():
        await Show.update(values).where(Show.id == show_id)
        if new_prices is not None:
            await ShowPrice.delete().where(ShowPrice.show == show_id)
            await ShowPrice.insert(*(ShowPrice(show=show_id, category=c, price_cents=p)
                                     for c, p in new_prices.items()))
    if queue is not None and queue.enabled:
        await context.waiting_rooms.configure(
            show_id, active_shoppers=queue.capacity or context.settings.queue_active_shoppers,
            admissions_per_minute=queue.outflow_per_minute or context.settings.queue_admissions_per_minute)
    await announce_change(context, show_id)
    return (await describe(context, [show_id]))[0]


def _unset(value: object) -> bool:
    return value is UNSET


async def _sold_categories(show_id: int) -> dict[str, int] | None:
    """Category -> a sold ticket's price, for the categories with sold seats; None when nothing is sold (one
    look through the UNIQUE(show, seat) index)."""
    if not await Ticket.exists().where(Ticket.show == show_id):
        return None
    section: Any = Ticket.seat.section  # type: ignore[union-attr]
    rows = await Ticket.select(section.category, section.name, Ticket.price_cents).where(Ticket.show == show_id)
    return {(row["seat.section.category"] or row["seat.section.name"]): row["price_cents"] for row in rows}


async def announce_change(context: ShowsContext, show_id: int) -> None:
    """Every process sees the change within a second; this one at once."""
    await touch(context.redis, show_id)
    context.show_facts.forget(show_id)
    await context.catalog.show_changed(show_id)


def queue_in_force(context: ShowsContext, enabled: bool, capacity: int | None, outflow: int | None) -> QueueSettings:
    settings = context.settings
    return QueueSettings(enabled=enabled, capacity=capacity or settings.queue_active_shoppers,
                         outflow_per_minute=(outflow or settings.queue_admissions_per_minute) or None)


async def describe(context: ShowsContext, show_ids: list[int]) -> list[OrganizerShow]:
    if not show_ids:
        return []
    public = {int(show.id): show for show in await to_shows(
        context.redis, await select_shows().where(Show.id.is_in(show_ids)).order_by(Show.starts_at).order_by(Show.id))}
    rows = await Show.select(Show.id, Show.venue, Show.sale, Show.currency, Show.sale_opens_at, Show.max_seats_per_order,
                             Show.queue_enabled, Show.queue_capacity, Show.queue_outflow_per_minute).where(
        Show.id.is_in(show_ids))
    extra = {row["id"]: row for row in rows}
    prices: dict[int, list[CategoryPrice]] = {}
    for row in await ShowPrice.select(ShowPrice.show, ShowPrice.category, ShowPrice.price_cents).where(
            ShowPrice.show.is_in(show_ids)).order_by(ShowPrice.id):
        prices.setdefault(row["show"], []).append(CategoryPrice(row["category"], row["price_cents"]))
    now = utcnow()
    shows = []
    for show_id, show in public.items():
        row = extra[show_id]
        sale: StoredSale = row["sale"] if row["sale"] in STORED_SALES else "open"
        shows.append(OrganizerShow(
            id=show.id, title=show.title, description=show.description, venue=show.venue, starts_at=show.starts_at,
            sale_opens_at=show.sale_opens_at, status=show.status, price_range=show.price_range, seats=show.seats,
            queue=queue_in_force(context, bool(row["queue_enabled"]), row["queue_capacity"],
                                 row["queue_outflow_per_minute"]),
            sale="scheduled" if sale == "open" and now < row["sale_opens_at"] else sale,
            venue_id=str(row["venue"]), currency=row["currency"], prices=prices.get(show_id, []),
            max_seats_per_order=row["max_seats_per_order"] or context.settings.max_seats_per_order,
        ))
    return shows


async def list_shows(context: ShowsContext, organizer: Organizer) -> OrganizerShowList:
    ids = await Show.select(Show.id).where(Show.venue.organization == organizer.organization_id).order_by(
        Show.starts_at).order_by(Show.id).output(as_list=True)
    return OrganizerShowList(items=await describe(context, ids))


async def get_show(context: ShowsContext, organizer: Organizer, raw_id: str) -> OrganizerShow:
    return (await describe(context, [await owned_show(organizer, raw_id)]))[0]
