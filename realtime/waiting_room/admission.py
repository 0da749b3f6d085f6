"""Admission to shop a queue-enabled show: may this profile hold seats now?

A grant lives server-side in the show's `admitted` sorted set (profile -> admitted-until in ms), under the show's
hash tag; it is never handed to the client, so the session's profile is all the holds endpoint needs to check.
Grants are made only by the waiting room's ADVANCE script (_scripts.py). Shoppers who pay, release everything or
expire leave the set, which is how the waiting room sees free capacity.

Booking and payments sit below realtime: they reach these grants through `Admissions`, which the app's assembly
hands them as their `ShoppingTurns` (backend/booking/guards.py).
"""

from __future__ import annotations

from redis.asyncio import Redis

from backend import timeutil
from realtime.waiting_room._keys import admitted as admitted_key

__all__ = ["Admissions", "admitted_key", "admitted_until", "finish", "is_admitted"]


async def admitted_until(redis: Redis, show_id: int, profile_id: int, at_ms: int | None = None) -> int | None:
    score = await redis.zscore(admitted_key(show_id), str(profile_id))
    if score is None or score <= (at_ms or timeutil.now_ms()):
        return None
    return int(score)


async def is_admitted(redis: Redis, show_id: int, profile_id: int) -> bool:
    return await admitted_until(redis, show_id, profile_id) is not None


async def finish(redis: Redis, show_id: int, profile_id: int) -> None:
    """The profile is done shopping (paid or released everything): its place goes to the next in line."""
    await redis.zrem(admitted_key(show_id), str(profile_id))


class Admissions:
    """The grants as a sale sees them (booking's ShoppingTurns): one per process, built by the assembly."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def is_admitted(self, show_id: int, profile_id: int) -> bool:
        return await is_admitted(self.redis, show_id, profile_id)

    def grants_key(self, show_id: int) -> str:
        return admitted_key(show_id)

    async def finish(self, show_id: int, profile_id: int) -> None:
        await finish(self.redis, show_id, profile_id)
