"""The expiry sweeper: releases expired holds and publishes their seats as `available` (not keyspace
notifications, which Redis drops under load and does not send for keys that expire unread).

Every app process runs it about every 250 ms, so watchers see an expiry within a second even if processes die.
Running it in many processes at once is safe: each show's sweep is one atomic script, and a second run finds
nothing left to release, so nothing is published twice. Which shows need a sweep is seats.sweep_expired's
business (it keeps the set of shows with live holds).
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from backend import seats
from backend.periodic import repeat_forever

logger = logging.getLogger("showtime.booking.sweeper")

SWEEP_INTERVAL_S = 0.25
# Holds released per script call: bounds how long one call keeps Redis busy when thousands expire together.
SWEEP_BATCH = 200


async def sweep_once(redis: Redis) -> int:
    """Release every hold that has expired, in every active show; returns how many holds were released."""
    return await seats.sweep_expired(redis, SWEEP_BATCH)


async def sweep_expired_holds(redis: Redis) -> None:
    """Background job: sweep every SWEEP_INTERVAL_S, in every process (the script makes that safe)."""
    await repeat_forever(lambda: sweep_once(redis), SWEEP_INTERVAL_S, "hold sweeper", logger)
