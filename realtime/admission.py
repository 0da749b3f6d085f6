"""Admission to shop a queue-enabled show: a grant per profile that expires.

The grant lives server-side in the show's `admitted` sorted set (profile -> admitted-until in ms), under the show's
hash tag; it is never handed to the client, so the session's profile is all the holds endpoint needs to check.
Shoppers who pay, release everything or expire leave the set, which is how the waiting room sees free capacity.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from backend.keyspace import show_tag


def admitted_key(show_id: int | str) -> str:
    return f"{show_tag(show_id)}:admitted"


def now_ms() -> int:
    return int(time.time() * 1000)


async def grant(redis: Redis, show_id: int, profile_id: int, ttl_s: int, at_ms: int | None = None) -> int:
    """Admit a profile until now + ttl; returns admitted-until (ms). Re-granting never shortens a grant."""
    until = (at_ms or now_ms()) + ttl_s * 1000
    await redis.zadd(admitted_key(show_id), {str(profile_id): until}, gt=True)
    return until


async def admitted_until(redis: Redis, show_id: int, profile_id: int, at_ms: int | None = None) -> int | None:
    score = await redis.zscore(admitted_key(show_id), str(profile_id))
    if score is None or score <= (at_ms or now_ms()):
        return None
    return int(score)


async def is_admitted(redis: Redis, show_id: int, profile_id: int) -> bool:
    return await admitted_until(redis, show_id, profile_id) is not None


async def finish(redis: Redis, show_id: int, profile_id: int) -> None:
    """The profile is done shopping (paid or released everything): its place goes to the next in line."""
    await redis.zrem(admitted_key(show_id), str(profile_id))


async def active_shoppers(redis: Redis, show_id: int, at_ms: int | None = None) -> int:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(admitted_key(show_id), "-inf", at_ms or now_ms())
        pipe.zcard(admitted_key(show_id))
        _, count = await pipe.execute()
    return int(count)
