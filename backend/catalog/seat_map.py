"""The seat map, in its two forms, built from the same caches:

- the legacy document (GET /shows/{id}/map): the venue's pre-encoded seat fragments with the live status laid
  over them, 6 MB for the stadium;
- the compact form (map_format.py): the venue's immutable layout, and a status overlay of 2 bits per seat.

Either is assembled and gzip-compressed once per process for one (show, version), then served from memory with an
ETag until the version moves. A warm request reads only the version (one Redis GET), not the whole state; the
state is read when the version is new here. A show whose live state is not built (seats.NOT_BUILT: nobody has held
or bought there since Redis last had it) has its sold seats read from the database on each request, and its
documents are cached under the set of those seats too: they can change without a version to say so.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import msgspec
from redis.asyncio import Redis

from backend.catalog.facts import ShowFacts, ShowFactsCache
from backend.catalog.layout import LayoutCache, VenueLayout
from backend.catalog.map_format import EncodedLayout, gzip, pack_status, status_document
from backend.seats import NOT_BUILT, read_state, status_of, version_of

CACHED_MAPS = 32
# The status overlay is small and rebuilt at every version: a quick level is nearly as small as level 9.
STATUS_GZIP_LEVEL = 6


@dataclass(frozen=True)
class EncodedMap:
    etag: str
    body: bytes
    gzipped: bytes


T = TypeVar("T")


def _assemble(show_id: int, version: int, facts: ShowFacts, layout: VenueLayout,
              state: dict[bytes, bytes]) -> EncodedMap:
    parts = list(layout.fragments["available"])
    held, sold = layout.fragments["held"], layout.fragments["sold"]
    for seat_id, value in state.items():
        i = layout.index.get(seat_id.decode())
        if i is not None:
            parts[i] = sold[i] if status_of(value) == "sold" else held[i]
    body = b"".join(
        (
            b'{"show_id":"', str(show_id).encode(), b'","version":', str(version).encode(),
            b',"currency":"', facts.currency.encode(), b'","sections":', _sections_json(layout, facts),
            b',"seats":[',
            b",".join(parts), b"]}",
        )
    )
    # Level 5: within a few percent of level 9's size at a fraction of its time on 6 MB of JSON.
    return EncodedMap(etag=f'"m{show_id}-{version}-{_tail(version, body)}"', body=body, gzipped=gzip(body, 5))


def _assemble_status(show_id: int, version: int, facts: ShowFacts, layout: VenueLayout,
                     state: dict[bytes, bytes]) -> EncodedMap:
    compact = compact_layout(layout)
    packed = pack_status(compact, layout.index, ((seat.decode(), status_of(value)) for seat, value in state.items()))
    body = status_document(show_id, version, facts.currency, compact.path(layout.venue_id), packed, len(layout.seat_ids))
    return EncodedMap(etag=f'"s{show_id}-{version}-{_tail(version, body)}"', body=body,
                      gzipped=gzip(body, STATUS_GZIP_LEVEL))


def _sections_json(layout: VenueLayout, facts: ShowFacts) -> bytes:
    """The map's sections with the show's own prices, when it has them (organizer shows), else the venue's."""
    if facts.section_prices is None:
        return layout.sections_json
    return msgspec.json.encode([{"id": str(s.id), "name": s.name, "price_cents": facts.section_prices.get(
        s.id, s.price_cents)} for s in layout.sections])


def _prices_key(facts: ShowFacts) -> int:
    return 0 if facts.section_prices is None else hash(tuple(sorted(facts.section_prices.items())))


def _tail(version: int, body: bytes) -> str:
    return str(len(body)) if version != NOT_BUILT else f"{len(body)}-{zlib.crc32(body):08x}"


def compact_layout(layout: VenueLayout) -> EncodedLayout:
    assert layout.compact is not None, "load_layout encodes the compact form with the rest"
    return layout.compact


class _PerVersion(Generic[T]):
    """Documents per (show, version[, sold seats]), the most recent CACHED_MAPS of them, one build per key."""

    def __init__(self) -> None:
        self._documents: OrderedDict[Hashable, T] = OrderedDict()
        self._building: dict[Hashable, asyncio.Future[T]] = {}

    def cached(self, key: Hashable) -> T | None:
        document = self._documents.get(key)
        if document is not None:
            self._documents.move_to_end(key)
        return document

    async def build(self, key: Hashable, assemble: Callable[[], T]) -> T:
        building = self._building.get(key)
        if building is None:
            # Off the event loop: the legacy map is a 6 MB join and a compression.
            building = asyncio.ensure_future(asyncio.to_thread(assemble))
            self._building[key] = building
            try:
                document = await building
            finally:
                self._building.pop(key, None)
            self._documents[key] = document
            while len(self._documents) > CACHED_MAPS:
                self._documents.popitem(last=False)
            return document
        return await building


def _key(show_id: int, version: int, state: dict[bytes, bytes] | None = None) -> tuple[int, int, int]:
    # Built: the version says it all. Not built: the sold seats from the database do.
    return show_id, version, hash(frozenset(state or ())) if version == NOT_BUILT else 0


class SeatMapService:
    def __init__(self, redis: Redis, layouts: LayoutCache, facts: ShowFactsCache) -> None:
        self.redis = redis
        self.layouts = layouts
        self.facts = facts
        self._maps: _PerVersion[EncodedMap] = _PerVersion()
        self._statuses: _PerVersion[EncodedMap] = _PerVersion()

    async def current(self, show_id: int) -> EncodedMap:
        """The legacy map document of the show as it is now."""
        return await self._document(show_id, self._maps, _assemble)

    async def status(self, show_id: int) -> EncodedMap:
        """The show's status overlay (2 bits per seat, in its venue layout's order) as it is now."""
        return await self._document(show_id, self._statuses, _assemble_status)

    async def layout(self, venue_id: int) -> EncodedLayout:
        """The venue's compact layout (no seats for a venue that does not exist, and nothing kept of it)."""
        layout = await self.layouts.get(venue_id)
        if not layout.seat_ids:
            self.layouts.forget(venue_id)
        return compact_layout(layout)

    async def _document(self, show_id: int, documents: _PerVersion[EncodedMap],
                        assemble: Callable[[int, int, ShowFacts, VenueLayout, dict[bytes, bytes]], EncodedMap],
                        ) -> EncodedMap:
        facts: ShowFacts = await self.facts.get(show_id)
        redis = self.redis
        version = await version_of(redis, show_id)
        if version is not None and version != NOT_BUILT:
            cached = documents.cached((*_key(show_id, version), _prices_key(facts)))
            if cached is not None:
                return cached
        layout = await self.layouts.get(facts.venue_id)
        version, state = await read_state(redis, show_id)
        key = (*_key(show_id, version, state), _prices_key(facts))
        return documents.cached(key) or await documents.build(
            key, lambda: assemble(show_id, version, facts, layout, state))
