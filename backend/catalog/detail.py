"""One show's JSON (GET /api/v1/shows/{id}), cached in Redis per map version.

Rule: the cached body is served only while the show's seat version (backend.seats) is the one it was built at,
and at most DETAIL_CACHE_TTL_S; availability changes move the version, so a cached body is never behind them. A
show whose seat state is not built is not cached (no version to check against).
"""

from __future__ import annotations

import asyncio

import msgspec
from redis.asyncio import Redis

from backend import seats
from backend.catalog.cache_keys import detail_cache_key
from backend.catalog.search import select_shows, to_shows
from backend.errors import NotFound
from db.tables import Show

DETAIL_CACHE_TTL_S = 5


async def get_show_json(redis: Redis, show_id: int) -> bytes:
    """A show's JSON, cached in Redis until its map version moves (availability changed) or a short TTL passes."""
    cache_key = detail_cache_key(show_id)
    # Two reads at once, not in one MULTI: a body cached for version V is right for V, whenever it was written.
    version, (cached_version, body) = await asyncio.gather(
        seats.version_of(redis, show_id), redis.hmget(cache_key, "version", "body")
    )
    if version is not None and isinstance(body, bytes) and cached_version is not None and int(cached_version) == version:
        return body
    rows = await select_shows().where(Show.id == show_id)
    if not rows:
        raise NotFound("No such show.", code="show_not_found")
    show = (await to_shows(redis, rows))[0]
    body = msgspec.json.encode(show)
    if version is not None:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hset(cache_key, mapping={"version": version, "body": body})
            pipe.expire(cache_key, DETAIL_CACHE_TTL_S)
            await pipe.execute()
    return body
