"""Admission to shop a queue-enabled show: may this profile hold seats now? (the holds check asks here).

A grant lives server-side in the show's `admitted` sorted set (profile -> admitted-until in ms), under the show's
hash tag; it is never handed to the client, so the session's profile is all the holds endpoint needs to check.
Grants are made only by the waiting room's ADVANCE script (realtime.queue_scripts), which gets this set's key
from `admitted_key`. Shoppers who pay, release everything or expire leave the set, which is how the waiting room
sees free capacity.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from backend.keyspace import show_tag


def admitted_key(show_id: int | str) -> str:
    return f"{show_tag(show_id)}:admitted"


def now_ms() -> int:
    return int(time.time() * 1000)


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
