"""Booking's part of the app: holds; the live state of shows with tickets rebuilt before the first hold, and the
sweeper that ends expired holds."""

from __future__ import annotations

from functools import partial

from litestar.di import Provide

from backend.booking.routes import HoldsController
from backend.booking.service import HoldService, OpenOrderGuard
from backend.booking.sweeper import sweep_expired_holds
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache
from backend.seats import rebuild_sold_seats
from backend.wiring import Contribution, Services


def contribution(services: Services) -> Contribution:
    facts, layouts = services.get(ShowFactsCache), services.get(LayoutCache)

    # One dependency of its own (payments' open-order guard): a chain of single dependencies resolves in line,
    # where several independent ones would cost a task group per request (routes.py).
    def provide_hold_service(open_orders: OpenOrderGuard) -> HoldService:
        return HoldService(services.redis, services.settings, facts, layouts, open_orders)

    return Contribution(
        route_handlers=[HoldsController],
        dependencies={"hold_service": Provide(provide_hold_service, sync_to_thread=False)},
        startup=[partial(rebuild_sold_seats, services.redis)],
        background=[partial(sweep_expired_holds, services.redis)],
    )
