"""The one place a show's seat state is rebuilt from the database, and the startup hook that front-loads it.

Redis may lose everything (restart without persistence, failover, flush). The database is the truth for sold
seats. A show's `version` key doubles as the marker that its state was built: when it is missing, the sold seats
are loaded into the state hash and the version is set from the clock, in one script that publishes ONE
`{"v": V, "reset": true}` (only the call that built it announces it), so versions never repeat across a flush and
every watcher reloads its snapshot. The same script drops the show's free-run index, which the next best-available
request builds from the rebuilt state (free_runs.py).

Who rebuilds (reading never does): the write path when a script answers `needs_init` (writes.py), the startup
hook below, and `ensure_built`, the explicit call a writer (or a test setting a show up) makes.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis

from backend.seats import _keys as keys
from backend.seats import scripts
from backend.timeutil import utcnow
from db.tables import Ticket

logger = logging.getLogger("showtime.seats.rebuild")


async def sold_seats(show_id: int) -> list[tuple[str, int]]:
    """The show's sold seats as the database has them (the truth, whatever Redis says), each with the order that
    bought it: its tickets not revoked by a refund."""
    rows = await Ticket.select(Ticket.seat, Ticket.order).where(
        (Ticket.show == show_id) & Ticket.revoked_at.is_null())
    return [(str(row["seat"]), row["order"]) for row in rows]


async def sold_seat_ids(show_id: int) -> list[str]:
    """The show's sold seats as the database has them, without their orders (what a read from the database needs)."""
    return [seat_id for seat_id, _ in await sold_seats(show_id)]


async def ensure_built(redis: Redis, show_id: int) -> bool:
    """Build the show's state from the database unless it is already there; True when this call built it."""
    if await redis.exists(keys.version(show_id)):
        return False
    sold = await sold_seats(show_id)
    initial_version = int(time.time() * 1000)
    built = await scripts.init_state(
        redis,
        [keys.version(show_id), keys.state(show_id), keys.changes_channel(show_id), keys.free_runs_meta(show_id),
         keys.sold_by(show_id)],
        [initial_version, *(item for seat in sold for item in seat)],
    )
    return bool(built)


async def rebuild_sold_seats(redis: Redis) -> None:
    """Startup hook: make sure Redis knows every sold seat of upcoming shows before this process takes a hold.

    It only front-loads work for shows that have sold anything: the write path rebuilds any other show the first
    time it locks or sells a seat there.
    """
    try:
        show_ids = await (
            Ticket.select(Ticket.show).where(Ticket.show.starts_at > utcnow()).distinct().output(as_list=True)
        )
        for show_id in show_ids:
            await ensure_built(redis, int(show_id))
    except Exception:
        # Not fatal: the same rebuild happens on the first hold or sale of each show.
        logger.exception("could not rebuild the live state of shows with tickets at startup")
