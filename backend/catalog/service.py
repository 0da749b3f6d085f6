"""The catalog: listing and searching shows, show details, and the facts other services need about a show.

Search stays index-backed at 100,000 shows: text through FTS5 (SQLite) or a tsvector GIN index (PostgreSQL),
`near` through a bounding box on the indexed venue coordinates before the exact distance, and keyset pagination
on (starts_at, id) or (distance, starts_at, id); never OFFSET, never LIKE.
"""

from __future__ import annotations

import asyncio
import base64
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from piccolo.columns.combination import WhereRaw
from piccolo.engine.postgres import PostgresEngine
from piccolo.query.mixins import OrderByRaw
from redis.asyncio import Redis

from backend import seats
from backend.catalog.schemas import PriceRange, QueueInfo, SeatCounts, ShowOut, ShowPage, VenueOut
from backend.errors import BadRequest, NotFound
from backend.keyspace import show_tag
from backend.timeutil import parse_rfc3339, rfc3339, utcnow
from db.tables import Section, Show, Venue

EARTH_RADIUS_KM = 6371.0088
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 200
SHOW_FACTS_TTL_S = 30.0
DETAIL_CACHE_TTL_S = 5


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


@dataclass(frozen=True)
class ListQuery:
    q: str | None
    near: tuple[float, float] | None
    radius_km: float
    starts_from: datetime | None
    starts_to: datetime | None
    limit: int
    cursor: str | None


# ---------------------------------------------------------------- input parsing (edge validation)


def parse_list_query(
    q: str | None, near: str | None, radius_km: float | None, from_: str | None, to: str | None,
    limit: int | None, cursor: str | None,
) -> ListQuery:
    if q is not None and len(q) > MAX_QUERY_LENGTH:
        raise BadRequest(f"q may have at most {MAX_QUERY_LENGTH} characters.", code="invalid_parameter")
    point = None
    if near is not None:
        try:
            lat_s, lng_s = near.split(",")
            point = (float(lat_s), float(lng_s))
        except ValueError:
            raise BadRequest("near must be LAT,LNG in decimal degrees, e.g. 48.8566,2.3522.",
                             code="invalid_parameter") from None
        if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180) or any(map(math.isnan, point)):
            raise BadRequest("near is outside the globe: latitude -90..90, longitude -180..180.",
                             code="invalid_parameter")
    radius = 50.0 if radius_km is None else radius_km
    if math.isnan(radius) or not 0 < radius <= 20_100:
        raise BadRequest("radius_km must be above 0 and at most 20100.", code="invalid_parameter")
    if limit is None:
        limit = 20
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}.", code="invalid_parameter")
    times: list[datetime | None] = []
    for name, raw in (("from", from_), ("to", to)):
        if raw is None or raw == "":
            times.append(None)
            continue
        try:
            times.append(parse_rfc3339(raw))
        except ValueError:
            raise BadRequest(f"{name} must be an RFC 3339 time such as 2026-12-01T20:00:00Z.",
                             code="invalid_parameter") from None
    if times[0] and times[1] and times[1] < times[0]:
        raise BadRequest("to is before from.", code="invalid_parameter")
    return ListQuery(q=(q or "").strip() or None, near=point, radius_km=radius, starts_from=times[0],
                     starts_to=times[1], limit=limit, cursor=cursor or None)


def _encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).decode().rstrip("=")


def _decode_cursor(cursor: str, shape: tuple[Any, ...]) -> list:
    try:
        if len(cursor) > 200:
            raise ValueError
        values = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(shape):
            raise ValueError
        for value, kind in zip(values, shape, strict=True):
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError
        return values
    except (ValueError, msgspec.DecodeError, TypeError):
        raise BadRequest("cursor is not one this service issued; start again without it.",
                         code="invalid_cursor") from None


# ---------------------------------------------------------------- search


def _text_filter(q: str) -> WhereRaw | None:
    tokens = re.findall(r"\w+", q.lower())[:8]
    if not tokens:
        return None
    from piccolo.engine import engine_finder

    if isinstance(engine_finder(), PostgresEngine):
        return WhereRaw("search_tsv @@ to_tsquery('simple', {})", " & ".join(f"{t}:*" for t in tokens))
    return WhereRaw("show.id IN (SELECT rowid FROM show_fts WHERE show_fts MATCH {})",
                    " ".join(f'"{t}"*' for t in tokens))


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
        text = _text_filter(query.q)
        if text is not None:
            filters.append(text)
    return filters


async def list_shows(redis: Redis, query: ListQuery) -> ShowPage:
    if query.near:
        return await _list_near(redis, query)
    filters = _base_filters(query)
    if query.cursor:
        starts_iso, last_id = _decode_cursor(query.cursor, (str, int))
        try:
            starts = parse_rfc3339(starts_iso)
        except ValueError:
            raise BadRequest("cursor is not one this service issued.", code="invalid_cursor") from None
        filters.append((Show.starts_at > starts) | ((Show.starts_at == starts) & (Show.id > last_id)))
    rows = await _select_shows().where(*filters).order_by(Show.starts_at).order_by(Show.id).limit(query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = _encode_cursor([rows[-1]["starts_at"].isoformat(), rows[-1]["id"]]) if more and rows else None
    return ShowPage(items=await _to_shows(redis, rows), next_cursor=next_cursor)


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
    assert query.near is not None
    venues = await _venues_within(query.near[0], query.near[1], query.radius_km)
    if not venues:
        return ShowPage(items=[], next_cursor=None)
    # Only our own ints and floats are inlined (never client text), so the expression is safe to build.
    distance_sql = "(CASE show.venue " + " ".join(f"WHEN {int(v)} THEN {float(d)!r}" for v, d in venues.items())
    distance_sql += " END)"
    filters = [*_base_filters(query), Show.venue.is_in(list(venues))]
    if query.cursor:
        last_distance, starts_iso, last_id = _decode_cursor(query.cursor, (float | int, str, int))
        try:
            starts = parse_rfc3339(starts_iso)
        except ValueError:
            raise BadRequest("cursor is not one this service issued.", code="invalid_cursor") from None
        last_distance = float(last_distance)
        filters.append(
            WhereRaw(f"{distance_sql} > {last_distance!r}")
            | (WhereRaw(f"{distance_sql} = {last_distance!r}")
               & ((Show.starts_at > starts) | ((Show.starts_at == starts) & (Show.id > last_id))))
        )
    rows = await _select_shows().where(*filters).order_by(OrderByRaw(distance_sql)).order_by(
        Show.starts_at).order_by(Show.id).limit(query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    shows = await _to_shows(redis, rows)
    for show, row in zip(shows, rows, strict=True):
        show.distance_km = round(venues[row["venue.id"]], 3)
    last = rows[-1] if rows else None
    next_cursor = (
        _encode_cursor([venues[last["venue.id"]], last["starts_at"].isoformat(), last["id"]]) if more and last
        else None
    )
    return ShowPage(items=shows, next_cursor=next_cursor)


# ---------------------------------------------------------------- one show


def _select_shows():
    return Show.select(
        Show.id, Show.title, Show.description, Show.starts_at, Show.sale_opens_at, Show.currency,
        Show.queue_enabled, Show.seats_total, Show.seats_sold, Show.venue.id, Show.venue.name, Show.venue.city,
        Show.venue.lat, Show.venue.lng,
    )


_price_ranges: dict[int, tuple[int, int]] = {}


async def _venue_price_ranges(venue_ids: set[int]) -> dict[int, tuple[int, int]]:
    missing = [v for v in venue_ids if v not in _price_ranges]
    if missing:
        rows = await Section.select(Section.venue, Section.price_cents).where(Section.venue.is_in(missing))
        for venue_id in missing:
            prices = [r["price_cents"] for r in rows if r["venue"] == venue_id] or [0]
            _price_ranges[venue_id] = (min(prices), max(prices))
    return {v: _price_ranges[v] for v in venue_ids}


def show_status(now: datetime, starts_at: datetime, sale_opens_at: datetime, available: int) -> str:
    if now >= starts_at:
        return "ended"
    if now < sale_opens_at:
        return "scheduled"
    return "sold_out" if available <= 0 else "on_sale"


async def _to_shows(redis: Redis, rows: list[dict]) -> list[ShowOut]:
    if not rows:
        return []
    ranges = await _venue_price_ranges({row["venue.id"] for row in rows})
    taken = await seats.unavailable_counts(redis, [row["id"] for row in rows])
    now = utcnow()
    shows = []
    for row in rows:
        unavailable = taken.get(row["id"])
        available = row["seats_total"] - (row["seats_sold"] if unavailable is None else unavailable)
        available = max(0, available)
        low, high = ranges[row["venue.id"]]
        shows.append(
            ShowOut(
                id=str(row["id"]),
                title=row["title"],
                description=row["description"],
                venue=VenueOut(id=str(row["venue.id"]), name=row["venue.name"], city=row["venue.city"],
                               lat=row["venue.lat"], lng=row["venue.lng"]),
                starts_at=rfc3339(row["starts_at"]),
                sale_opens_at=rfc3339(row["sale_opens_at"]),
                status=show_status(now, row["starts_at"], row["sale_opens_at"], available),
                price_range=PriceRange(min_cents=low, max_cents=high, currency=row["currency"]),
                seats=SeatCounts(total=row["seats_total"], available=available),
                queue=QueueInfo(enabled=bool(row["queue_enabled"])),
            )
        )
    return shows


def parse_show_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("No such show.", code="show_not_found")
    return int(raw)


def detail_cache_key(show_id: int) -> str:
    return f"{show_tag(show_id)}:detail"


async def get_show_json(redis: Redis, show_id: int) -> bytes:
    """A show's JSON, cached in Redis until its map version moves (availability changed) or a short TTL passes."""
    cache_key = detail_cache_key(show_id)
    # Two reads at once, not in one MULTI: a body cached for version V is right for V, whenever it was written.
    version, (cached_version, body) = await asyncio.gather(
        seats.version_of(redis, show_id), redis.hmget(cache_key, "version", "body")
    )
    if version is not None and isinstance(body, bytes) and cached_version is not None and int(cached_version) == version:
        return body
    rows = await _select_shows().where(Show.id == show_id)
    if not rows:
        raise NotFound("No such show.", code="show_not_found")
    show = (await _to_shows(redis, rows))[0]
    body = msgspec.json.encode(show)
    if version is not None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hset(cache_key, mapping={"version": version, "body": body})
            pipe.expire(cache_key, DETAIL_CACHE_TTL_S)
            await pipe.execute()
    return body


class ShowFactsCache:
    def __init__(self) -> None:
        self._facts: dict[int, tuple[float, ShowFacts]] = {}

    async def get(self, show_id: int) -> ShowFacts:
        hit = self._facts.get(show_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        row = await Show.select(
            Show.id, Show.title, Show.venue, Show.currency, Show.starts_at, Show.sale_opens_at, Show.queue_enabled,
            Show.seats_total,
        ).where(Show.id == show_id).first()
        if row is None:
            raise NotFound("No such show.", code="show_not_found")
        facts = ShowFacts(
            id=row["id"], title=row["title"], venue_id=row["venue"], currency=row["currency"],
            starts_at=row["starts_at"], sale_opens_at=row["sale_opens_at"],
            queue_enabled=bool(row["queue_enabled"]), seats_total=row["seats_total"],
        )
        self._facts[show_id] = (time.monotonic() + SHOW_FACTS_TTL_S, facts)
        return facts
