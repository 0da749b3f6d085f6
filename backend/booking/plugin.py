"""Booking's part of the app: holds; the live state of shows with tickets rebuilt before the first hold, and the
sweeper that ends expired holds."""

from __future__ import annotations

from functools import partial

from backend.booking.routes import HoldsController
from backend.booking.service import HoldService, OpenOrderGuard
from backend.booking.sweeper import sweep_expired_holds
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache
from backend.seats import rebuild_sold_seats
from backend.wiring import Contribution, Services, provide


def contribution(services: Services) -> Contribution:
    # One HoldService per process: it keeps no per-request state, and every dependency Litestar resolves per request
    # costs a signature parse on the hot path (routes.py).
    hold_service = HoldService(services.redis, services.settings, services.get(ShowFactsCache),
                               services.get(LayoutCache), open_orders=None)

    async def bind_open_orders() -> None:
        # Payments implements the guard and contributes after booking: every domain's shared objects are known by
        # the time the app starts.
        hold_service.open_orders = services.get(OpenOrderGuard)  # type: ignore[type-abstract]

    return Contribution(
        route_handlers=[HoldsController],
        dependencies={"hold_service": provide(hold_service)},
        startup=[bind_open_orders, partial(rebuild_sold_seats, services.redis)],
        background=[partial(sweep_expired_holds, services.redis)],
    )
