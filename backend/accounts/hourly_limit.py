"""So many successes per hour per key (new accounts per client address, verification mails per profile): a place
is taken before the work and given back if the work fails, so a burst of concurrent requests cannot all slip under
the limit and a typo does not use up a place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from backend.errors import RateLimited

WINDOW_S = 3600


@asynccontextmanager
async def hourly_place(redis: Redis, key: str, per_hour: int, refusal: str) -> AsyncIterator[None]:
    """Raises RateLimited (429, Retry-After) with `refusal` as its sentence when the hour's places are taken."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_S, nx=True)
        pipe.ttl(key)
        taken, _, ttl = await pipe.execute()
    if taken > per_hour:
        await redis.decr(key)
        raise RateLimited(refusal, retry_after=max(ttl, 1))
    try:
        yield
    except BaseException:
        await redis.decr(key)
        raise
