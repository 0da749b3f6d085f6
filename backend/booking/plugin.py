"""Booking's part of the app: holds; the live state of shows with tickets rebuilt before the first hold, and the
sweeper that ends expired holds."""

from __future__ import annotations

from functools import partial

from backend.booking.routes import HoldsController
from backend.booking.sweeper import sweep_expired_holds
from backend.seats import rebuild_sold_seats
from backend.wiring import Contribution, Services


def contribution(services: Services) -> Contribution:
    return Contribution(
        route_handlers=[HoldsController],
        startup=[partial(rebuild_sold_seats, services.redis)],
        background=[partial(sweep_expired_holds, services.redis)],
    )
