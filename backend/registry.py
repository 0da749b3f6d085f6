"""What each domain package plugs into the app: route handlers, startup hooks and background jobs.

The app factory asks this module, so adding a domain touches one list here rather than the factory's wiring.
Background jobs and startup hooks are coroutines taking the app's `State` (settings, redis, caches).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from litestar.datastructures import State

from backend.booking.routes import HoldsController
from backend.booking.sweeper import sweep_expired_holds
from backend.payments.lifecycle import start_payments
from backend.payments.reconciler import run_reconciler
from backend.payments.routes import PaymentsController
from backend.seats import rebuild_sold_seats
from realtime.lifecycle import advance_waiting_rooms, install_realtime, run_channels
from realtime.routes import ROUTE_HANDLERS as REALTIME_HANDLERS

Job = Callable[[State], Coroutine[Any, Any, None]]


def route_handlers() -> list[Any]:
    return [HoldsController, PaymentsController, *REALTIME_HANDLERS]


def startup_hooks() -> list[Job]:
    return [rebuild_sold_seats, start_payments, install_realtime]


def background_jobs() -> list[Job]:
    return [sweep_expired_holds, run_reconciler, run_channels, advance_waiting_rooms]
