"""Booking's part of the app: holds; the live state of shows with tickets rebuilt before the first hold, and the
sweeper that ends expired holds. What it asks before seats change (the open-order guard, the waiting room's
shopping turns) is handed in by the app's assembly (backend/booking/guards.py)."""

from __future__ import annotations

from functools import partial

from backend.booking.guards import OpenOrderGuard, ShoppingTurns
from backend.booking.routes import HoldsController
from backend.booking.service import HoldService
from backend.booking.sweeper import sweep_expired_holds
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache
from backend.seats import rebuild_sold_seats
from backend.wiring import Contribution, Services, provide


def contribution(services: Services, *, show_facts: ShowFactsCache, layouts: LayoutCache,
                 open_orders: OpenOrderGuard, turns: ShoppingTurns) -> Contribution:
    # One HoldService per process: it keeps no per-request state, and every dependency Litestar resolves per request
    # costs a signature parse on the hot path (routes.py).
    hold_service = HoldService(services.redis, services.settings, show_facts, layouts,
                               open_orders=open_orders, turns=turns)
    return Contribution(
        route_handlers=[HoldsController],
        dependencies={"hold_service": provide(hold_service)},
        startup=[partial(rebuild_sold_seats, services.redis)],
        background=[partial(sweep_expired_holds, services.redis)],
    )
