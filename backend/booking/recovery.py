"""Startup: make sure Redis knows every sold seat of upcoming shows before this process takes a hold.

Redis may have lost everything (restart without persistence, failover, flush). The database is the truth for
sold seats, and live_state.ensure_state rebuilds a show from it; it is cheap (one EXISTS) when the state is
there. Reads and holds call it lazily too, so this hook only front-loads the work for shows that have sold
anything.
"""

from __future__ import annotations

import logging

from litestar.datastructures import State

from backend.booking.live_state import ensure_state
from backend.timeutil import utcnow
from db.tables import Ticket

logger = logging.getLogger("showtime.booking.recovery")


async def rebuild_sold_seats(state: State) -> None:
    try:
        show_ids = await (
            Ticket.select(Ticket.show).where(Ticket.show.starts_at > utcnow()).distinct().output(as_list=True)
        )
        for show_id in show_ids:
            await ensure_state(state.redis, int(show_id))
    except Exception:
        # Not fatal: the same rebuild happens lazily on the first read or hold of each show.
        logger.exception("could not rebuild the live state of shows with tickets at startup")
