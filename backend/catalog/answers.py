"""The catalog's read answers (the show lists and a show's detail), prepared once and served to everyone.

Lists and details hold nothing about the visitor, so one prepared answer serves every visitor, signed in or not.
An answer lives LIST_TTL_S / DETAIL_TTL_S in a process (prepared.py): within that time a sale's effect on
`seats.available` or `status` reaches every reader, and in between a read costs no Redis or database work.
(Following each show's map version instead would cost the Redis round trip a read is trying to save, and
subscribing every process to every show's changes would cost more in a flash sale than it spares.)
"""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from backend.catalog import search
from backend.catalog.detail import detail_cache_key, get_show_json
from backend.catalog.prepared import Prepared, PreparedAnswers
from backend.catalog.query import ListQuery

LIST_TTL_S = 1.0
DETAIL_TTL_S = 1.0
# Distinct queries kept per process: the popular ones stay, a long tail of one-off searches cycles through.
KEPT_LISTS = 2048
KEPT_DETAILS = 4096


def _list_key(query: ListQuery) -> tuple:
    return (query.q, query.point, query.radius_km, query.starts_from, query.starts_to, query.limit, query.cursor)


class CatalogAnswers:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.lists = PreparedAnswers(LIST_TTL_S, KEPT_LISTS)
        self.details = PreparedAnswers(DETAIL_TTL_S, KEPT_DETAILS)

    async def show_list(self, query: ListQuery) -> Prepared:
        async def build() -> bytes:
            return msgspec.json.encode(await search.list_shows(self.redis, query))

        return await self.lists.get(_list_key(query), build)

    async def show_changed(self, show_id: int) -> None:
        """A show was made or edited (backend/organizer): this process answers from the database at once, and
        drops the show's detail cached in Redis; other processes' answers follow within their TTL (1 s)."""
        self.lists.clear()
        self.details.clear()
        await self.redis.delete(detail_cache_key(show_id))

    async def show(self, show_id: int) -> Prepared:
        return await self.details.get(show_id, lambda: get_show_json(self.redis, show_id))
