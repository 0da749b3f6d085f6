"""Whether a show was cancelled, asked on the hold and checkout paths.

The database is the truth (`show.cancelled_at`, set once, never unset). The hot paths read the show's ShowFacts,
which a process caches for up to SHOW_FACTS_TTL_S, so a cancellation is also marked in Redis under the show's hash
tag: every process sees it at its next hold, without waiting for its cache. Should Redis lose the mark, the facts
bring the database's answer within SHOW_FACTS_TTL_S.
"""

from __future__ import annotations

from redis.asyncio import Redis

from backend.catalog.cache_keys import cancelled_key, detail_cache_key
from backend.catalog.facts import ShowFacts
from backend.errors import Conflict


async def mark_cancelled(redis: Redis, show_id: int) -> None:
    """After the database committed the cancellation: holds and checkouts refuse the show at once on every process,
    and the show's cached detail is dropped so the catalog says `cancelled`."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(cancelled_key(show_id), 1)
        pipe.delete(detail_cache_key(show_id))
        await pipe.execute()


def show_cancelled() -> Conflict:
    return Conflict("This show was cancelled: its seats are no longer on sale.", code="show_cancelled")


async def refuse_if_cancelled(redis: Redis, facts: ShowFacts) -> None:
    """409 show_cancelled for a cancelled show."""
    if facts.cancelled or await redis.exists(cancelled_key(facts.id)):
        raise show_cancelled()
