"""The expiry sweeper: releases expired holds and publishes their seats as `available` (not keyspace
notifications, which Redis drops under load and does not send for keys that expire unread).

Every app process runs the loop about every 250 ms, but each show is swept by one process at a time: the one
holding the show's sweeper lease (backend.infra.leases), whose sweeps carry its fencing token. When that process dies
another takes the lease within LEASE_TTL_MS, so watchers see an expiry within a few seconds even then. A sweep is
one atomic script besides, so even two at once would release and publish nothing twice. Which shows need a sweep
is seats.sweep_expired's business (it keeps the set of shows with live holds).
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from backend import seats
from backend.infra import metrics
from backend.infra.leases import Leases
from backend.infra.periodic import repeat_forever

logger = logging.getLogger("showtime.booking.sweeper")

SWEEP_INTERVAL_S = 0.25
# Holds released per script call: bounds how long one call keeps Redis busy when thousands expire together.
SWEEP_BATCH = 200


async def sweep_once(redis: Redis, leases: Leases | None = None) -> int:
    """Release every hold that has expired, in every active show (whose lease we hold, given `leases`); returns
    how many holds were released."""
    return metrics.holds_expired(await seats.sweep_expired(redis, SWEEP_BATCH, leases))


async def sweep_expired_holds(redis: Redis) -> None:
    """Background job: every SWEEP_INTERVAL_S, sweep the active shows whose sweeper lease this process holds."""
    leases = Leases(redis, "sweeper")
    try:
        await repeat_forever(lambda: sweep_once(redis, leases), SWEEP_INTERVAL_S, "hold sweeper", logger)
    finally:
        await leases.release_all()  # a clean stop hands the shows over at once
