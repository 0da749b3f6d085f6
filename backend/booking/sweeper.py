"""The expiry sweeper: releases expired holds and publishes their seats as `available` (not keyspace
notifications, which Redis drops under load and does not send for keys that expire unread).

Every app process runs it about every 250 ms, so watchers see an expiry within a second even if processes die.
Running it in many processes at once is safe: each show's sweep is one atomic script, and a second run finds
nothing left to release, so nothing is published twice.

Which shows to sweep: `keys.ACTIVE_SHOWS`, a set outside every show's slot, so it cannot be updated inside the
scripts on Redis Cluster. A hold registers its show right after its script succeeds; the sweeper retires a
show when its expiries set is empty, then looks again and registers it back if a hold arrived meanwhile.
Whatever the interleaving, a show with a live hold ends up registered. After Redis lost everything the set is
empty and so are the holds: nothing to sweep, and reads rebuild the state lazily (live_state.ensure_state).
"""

from __future__ import annotations

import logging

from litestar.datastructures import State
from redis.asyncio import Redis

from backend.booking import keys, store
from backend.periodic import repeat_forever

logger = logging.getLogger("showtime.booking.sweeper")

SWEEP_INTERVAL_S = 0.25
# Holds released per script call: bounds how long one call keeps Redis busy when thousands expire together.
SWEEP_BATCH = 200


async def sweep_once(redis: Redis) -> int:
    """Release every hold that has expired, in every active show; returns how many holds were released."""
    released_total = 0
    for member in await redis.smembers(keys.ACTIVE_SHOWS):
        show_id = int(member)
        while True:
            released, remaining = await store.sweep_show(redis, show_id, SWEEP_BATCH)
            released_total += released
            if released < SWEEP_BATCH:
                break
        if remaining == 0:
            await _retire_show(redis, show_id)
    return released_total


async def _retire_show(redis: Redis, show_id: int) -> None:
    await redis.srem(keys.ACTIVE_SHOWS, show_id)
    # A hold placed after our sweep may have registered the show just before the SREM above: put it back.
    if await redis.zcard(keys.expiries(show_id)):
        await redis.sadd(keys.ACTIVE_SHOWS, show_id)


async def sweep_expired_holds(state: State) -> None:
    """Background job: sweep every SWEEP_INTERVAL_S, in every process (the script makes that safe)."""
    await repeat_forever(lambda: sweep_once(state.redis), SWEEP_INTERVAL_S, "hold sweeper", logger)
