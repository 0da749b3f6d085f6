"""Listing and searching shows (GET /api/v1/shows), and the ShowOut rows the show detail reuses.

Search stays index-backed at 100,000 shows: text through FTS5 (SQLite) or a tsvector GIN index (PostgreSQL),
`near` through a bounding box on the indexed venue coordinates before the exact distance, and keyset pagination
on (starts_at, id) or (distance, starts_at, id); never OFFSET, never LIKE.
"""

from __future__ import annotations

import math
import re
import time
from datetime import datetime

from piccolo.columns.combination import WhereRaw
from piccolo.engine.postgres import PostgresEngine
from piccolo.query.functions.aggregate import Count, Max, Min
from piccolo.query.mixins import OrderByRaw
from redis.asyncio import Redis

from backend import seats
from backend.catalog.query import ListQuery, decode_cursor, decode_cursor_time, encode_cursor
from backend.catalog.schemas import PriceRange, QueueInfo, SeatCounts, ShowOut, ShowPage, ShowStatus, VenueOut
from backend.timeutil import rfc3339, utcnow
from db.tables import Section, Show, ShowPrice, Ticket, Venue

EARTH_RADIUS_KM = 6371.0088
PRICE_RANGE_TTL_S = 300.0


# ---------------------------------------------------------------- search


# A word as both indexes cut the text (FTS5's unicode61, PostgreSQL's 'simple' parser): letters and digits, the
# underscore being a separator to both. Quotes, %, _, operators and brackets are never handed to the database.
_WORD = re.compile(r"[^\W_]+")


def _text_filter(q: str) -> WhereRaw:
    tokens = _WORD.findall(q.lower())[:8]
    if not tokens:
        # Text with no word in it ("%", "'", "*") matches nothing: skipping the filter would list every show.
        return WhereRaw("1 = 0")
    from piccolo.engine import engine_finder

    if isinstance(engine_finder(), PostgresEngine):
        return WhereRaw("search_tsv @@ to_tsquery('simple', {})", " & ".join(f"{t}:*" for t in tokens))
    return WhereRaw(
        "show.id IN (SELECT rowid FROM show_fts WHERE show_fts MATCH {})", " ".join(f'"{t}"*' for t in tokens)
    )


def _bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float] | None:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    if lat - dlat <= -90 or lat + dlat >= 90:
        return None  # the circle covers a pole: every longitude qualifies
    dlng = math.degrees(radius_km / (EARTH_RADIUS_KM * math.cos(math.radians(lat))))
    if dlng >= 180:
        return None
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _base_filters(query: ListQuery) -> list:
    filters: list = [Show.starts_at >= (query.starts_from or utcnow())]
    if query.starts_to:
        filters.append(Show.starts_at <= query.starts_to)
    if query.q:
        filters.append(_text_filter(query.q))
    return filters


async def list_shows(redis: Redis, query: ListQuery) -> ShowPage:
    if query.point:
        return await _list_near(redis, query)
    filters = _base_filters(query)
    if query.cursor:
        starts_iso, last_id = decode_cursor(query.cursor, (str, int))
        starts = decode_cursor_time(starts_iso)
        filters.append((Show.starts_at > starts) | ((Show.starts_at == starts) & (Show.id > last_id)))
    rows = await select_shows().where(*filters).order_by(Show.starts_at).order_by(Show.id).limit(query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = encode_cursor([rows[-1]["starts_at"].isoformat(), rows[-1]["id"]]) if more and rows else None
    return ShowPage(items=await to_shows(redis, rows), next_cursor=next_cursor)


async def _venues_within(lat: float, lng: float, radius_km: float) -> dict[int, float]:
    """Venue id -> exact distance for venues inside the radius, found through the (lat, lng) index."""
    box = _bounding_box(lat, lng, radius_km)
    filters = []
    if box:
        filters += [Venue.lat >= box[0], Venue.lat <= box[1]]
        if box[2] >= -180 and box[3] <= 180:  # boxes that wrap the antimeridian filter on latitude only
            filters += [Venue.lng >= box[2], Venue.lng <= box[3]]
    venues = await Venue.select(Venue.id, Venue.lat, Venue.lng).where(*filters) if filters else \
        await Venue.select(Venue.id, Venue.lat, Venue.lng)
    found = {}
    for venue in venues:
        distance = round(haversine_km(lat, lng, venue["lat"], venue["lng"]), 6)
        if distance <= radius_km:
            found[venue["id"]] = distance
    return found


async def _list_near(redis: Redis, query: ListQuery) -> ShowPage:
    """Shows sorted by (distance, starts_at, id). Distance belongs to the venue, so it is computed once per venue
    in range and handed to the database as a CASE expression: the database filters, orders and limits."""
    assert query.point is not None
    # Decoded first: a cursor is refused (400) whether or not anything is near.
    after = None
    if query.cursor:
        last_distance, starts_iso, last_id = decode_cursor(query.cursor, (float | int, str, int))
        after = (float(last_distance), decode_cursor_time(starts_iso), last_id)
    venues = await _venues_within(query.point[0], query.point[1], query.radius_km)
    if not venues:
        return ShowPage(items=[], next_cursor=None)
    # Only our own ints and floats are inlined (never client text), so the expression is safe to build.
    distance_sql = "(CASE show.venue " + " ".join(f"WHEN {int(v)} THEN {float(d)!r}" for v, d in venues.items())
    distance_sql += " END)"
    filters = [*_base_filters(query), Show.venue.is_in(list(venues))]
    if after:
        last_distance, starts, last_id = after
        filters.append(
            WhereRaw(f"{distance_sql} > {last_distance!r}")
            | (WhereRaw(f"{distance_sql} = {last_distance!r}")
               & ((Show.starts_at > starts) | ((Show.starts_at == starts) & (Show.id > last_id))))
        )
    rows = await select_shows().where(*filters).order_by(OrderByRaw(distance_sql)).order_by(
        Show.starts_at).order_by(Show.id).limit(query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    shows = await to_shows(redis, rows)
    for show, row in zip(shows, rows, strict=True):
        show.distance_km = round(venues[row["venue.id"]], 3)
    last = rows[-1] if rows else None
    next_cursor = (
        encode_cursor([venues[last["venue.id"]], last["starts_at"].isoformat(), last["id"]]) if more and last
        else None
    )
    return ShowPage(items=shows, next_cursor=next_cursor)


async def sold_counts(show_ids: list[int]) -> dict[int, int]:
    """Tickets per show, for shows whose live state Redis does not have: counted from the truth (the unique
    (show, seat) index), as pretix computes availability, rather than kept in a counter every sale would lock."""
    if not show_ids:
        return {}
    rows = await Ticket.select(Ticket.show, Count(Ticket.id, alias="sold")).where(
        Ticket.show.is_in(show_ids) & Ticket.revoked_at.is_null()).group_by(Ticket.show)
    return {row["show"]: row["sold"] for row in rows}


def select_shows():
    return Show.select(
        Show.id, Show.title, Show.description, Show.starts_at, Show.sale_opens_at, Show.currency,
        Show.queue_enabled, Show.seats_total, Show.venue.id, Show.venue.name, Show.venue.city,
        Show.venue.lat, Show.venue.lng, Show.cancelled_at,
    )


class VenuePriceRanges:
    """(lowest, highest) section price per venue, kept PRICE_RANGE_TTL_S per venue.

    A bounded TTL rather than an invalidation rule: section prices are changed by hand in the database, not
    through the API, so nothing could announce it; a changed price shows in lists within the TTL.
    """

    def __init__(self, ttl_s: float = PRICE_RANGE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._ranges: dict[int, tuple[float, tuple[int, int]]] = {}  # venue -> (fresh until, range)

    async def get(self, venue_ids: set[int]) -> dict[int, tuple[int, int]]:
        now = time.monotonic()
        missing = [v for v in venue_ids if v not in self._ranges or self._ranges[v][0] <= now]
        if missing:
            rows = await Section.select(Section.venue, Section.price_cents).where(Section.venue.is_in(missing))
            for venue_id in missing:
                prices = [r["price_cents"] for r in rows if r["venue"] == venue_id] or [0]
                self._ranges[venue_id] = (now + self.ttl_s, (min(prices), max(prices)))
        return {v: self._ranges[v][1] for v in venue_ids}


async def show_price_ranges(show_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(lowest, highest) of each show's own category prices (organizer shows; API.md "Organizers"), read with the
    list itself, so a show's prices are right in the very next answer; shows without any are left out."""
    rows = await ShowPrice.select(ShowPrice.show, Min(ShowPrice.price_cents, alias="low"),
                                  Max(ShowPrice.price_cents, alias="high")).where(
        ShowPrice.show.is_in(show_ids)).group_by(ShowPrice.show)
    return {row["show"]: (row["low"], row["high"]) for row in rows}


# One per process: the lists and the show detail read venues' prices through it.
price_ranges = VenuePriceRanges()


def show_status(now: datetime, starts_at: datetime, sale_opens_at: datetime, available: int,
                cancelled: bool = False) -> ShowStatus:
    if cancelled:
        return "cancelled"
    if now >= starts_at:
        return "ended"
    if now < sale_opens_at:
        return "scheduled"
    return "sold_out" if available <= 0 else "on_sale"


async def to_shows(redis: Redis, rows: list[dict]) -> list[ShowOut]:
    if not rows:
        return []
    own_ranges = await show_price_ranges([row["id"] for row in rows])
    ranges = await price_ranges.get({row["venue.id"] for row in rows if row["id"] not in own_ranges})
    taken = await seats.unavailable_counts(redis, [row["id"] for row in rows])
    sold = await sold_counts([show_id for show_id, count in taken.items() if count is None])
    now = utcnow()
    shows = []
    for row in rows:
        unavailable = taken.get(row["id"])
        available = row["seats_total"] - (sold.get(row["id"], 0) if unavailable is None else unavailable)
        available = max(0, available)
        low, high = own_ranges.get(row["id"]) or ranges[row["venue.id"]]
        shows.append(
            ShowOut(
                id=str(row["id"]),
                title=row["title"],
                description=row["description"],
                venue=VenueOut(id=str(row["venue.id"]), name=row["venue.name"], city=row["venue.city"],
                               lat=row["venue.lat"], lng=row["venue.lng"]),
                starts_at=rfc3339(row["starts_at"]),
                sale_opens_at=rfc3339(row["sale_opens_at"]),
                status=show_status(now, row["starts_at"], row["sale_opens_at"], available,
                                   cancelled=row.get("cancelled_at") is not None),
                price_range=PriceRange(min_cents=low, max_cents=high, currency=row["currency"]),
                seats=SeatCounts(total=row["seats_total"], available=available),
                queue=QueueInfo(enabled=bool(row["queue_enabled"])),
            )
        )
    return shows
