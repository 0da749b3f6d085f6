"""The seat map: the venue's pre-encoded layout with the live status laid over it.

A map for one (show, version) is assembled and gzip-compressed once per process, then served from memory with an
ETag until the version moves, so an unchanged map costs a 304 and a changed one costs a join and one compression.
A show whose live state is not built (seats.NOT_BUILT: nobody has held or bought there since Redis last had it)
has its sold seats read from the database on each request, and its map is cached under the set of those seats
too: they can change without a version to say so.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import OrderedDict
from dataclasses import dataclass

from redis.asyncio import Redis

from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache
from backend.seats import NOT_BUILT, read_state, status_of

CACHED_MAPS = 32


@dataclass(frozen=True)
class EncodedMap:
    etag: str
    body: bytes
    gzipped: bytes


def _assemble(show_id: int, version: int, currency: str, layout, state: dict[bytes, bytes]) -> EncodedMap:
    parts = list(layout.fragments["available"])
    held, sold = layout.fragments["held"], layout.fragments["sold"]
    for seat_id, value in state.items():
        i = layout.index.get(seat_id.decode())
        if i is not None:
            parts[i] = sold[i] if status_of(value) == "sold" else held[i]
    body = b"".join(
        (
            b'{"show_id":"', str(show_id).encode(), b'","version":', str(version).encode(),
            b',"currency":"', currency.encode(), b'","sections":', layout.sections_json, b',"seats":[',
            b",".join(parts), b"]}",
        )
    )
    # Level 5: within a few percent of level 9's size at a fraction of its time on 6 MB of JSON.
    compressor = zlib.compressobj(5, zlib.DEFLATED, 31)
    gzipped = compressor.compress(body) + compressor.flush()
    tail = len(body) if version != NOT_BUILT else f"{len(body)}-{zlib.crc32(body):08x}"
    return EncodedMap(etag=f'"m{show_id}-{version}-{tail}"', body=body, gzipped=gzipped)


def _cache_key(show_id: int, version: int, state: dict[bytes, bytes]) -> tuple[int, int, int]:
    # Built: the version says it all. Not built: the sold seats from the database do.
    return show_id, version, hash(frozenset(state)) if version == NOT_BUILT else 0


class SeatMapService:
    def __init__(self, layouts: LayoutCache, facts: ShowFactsCache) -> None:
        self.layouts = layouts
        self.facts = facts
        self._maps: OrderedDict[tuple[int, int, int], EncodedMap] = OrderedDict()
        self._building: dict[tuple[int, int, int], asyncio.Future[EncodedMap]] = {}

    async def current(self, redis: Redis, show_id: int) -> EncodedMap:
        facts = await self.facts.get(show_id)
        layout = await self.layouts.get(facts.venue_id)
        version, state = await read_state(redis, show_id)
        key = _cache_key(show_id, version, state)
        cached = self._maps.get(key)
        if cached is not None:
            self._maps.move_to_end(key)
            return cached
        building = self._building.get(key)
        if building is None:
            building = asyncio.ensure_future(
                asyncio.to_thread(_assemble, show_id, version, facts.currency, layout, state)
            )
            self._building[key] = building
            try:
                encoded = await building
            finally:
                self._building.pop(key, None)
            self._maps[key] = encoded
            while len(self._maps) > CACHED_MAPS:
                self._maps.popitem(last=False)
            return encoded
        return await building
