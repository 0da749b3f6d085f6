"""Payments' part of the app: checkout, orders and the webhook; one Stripe gateway per process, reached through
dependency injection; the reconciler running beside them; the purchase lifecycle, which the app's assembly also
hands booking as its OpenOrderGuard (asked before the seats of a hold with an open order change)."""

from __future__ import annotations

from functools import partial

from litestar import Router
from litestar.di import Provide
from redis.asyncio import Redis

from backend.booking.guards import ShoppingTurns
from backend.errors import Unavailable
from backend.organizer.guard import organizer_guard, provide_organizer
from backend.organizer.plugin import PATH as ORGANIZER_PATH
from backend.payments.cancellation import run_cancellations
from backend.payments.checkpoints import run_ledger_checkpoints
from backend.payments.gateway import StripeGateway
from backend.payments.order_lifecycle import OrderLifecycle
from backend.payments.organizer_routes import OrganizerOrdersController
from backend.payments.reconciler import run_reconciler
from backend.payments.refunds import Refunds
from backend.payments.routes import PaymentsController, stripe_webhook
from backend.settings import Settings
from backend.wiring import Contribution, Services, provide


class Payments:
    """The process's Stripe gateway, made at startup (after logging is set up, so its warnings are seen). Without
    Stripe keys (the app started outside `just serve`) payments answer 503 instead of the app refusing to start."""

    def __init__(self, settings: Settings, redis: Redis, turns: ShoppingTurns) -> None:
        self.settings = settings
        self.turns = turns
        self.gateway: StripeGateway | None = None
        # One per process; it keeps no per-request state.
        self.lifecycle = OrderLifecycle(redis, None, settings.payment_grace_seconds, turns)
        self.refunds = Refunds(redis, settings)

    async def start(self) -> None:
        settings = self.settings
        if settings.stripe_secret_key and settings.stripe_publishable_key:
            self.gateway = StripeGateway.from_settings(settings)
            self.lifecycle.connect(self.gateway)
            self.refunds.connect(self.gateway)

    async def stop(self) -> None:
        if self.gateway is not None:
            await self.gateway.close()

    def provide_gateway(self) -> StripeGateway:
        if self.gateway is None:
            raise Unavailable("Payments are not configured on this server.", code="payments_unavailable")
        return self.gateway

    async def reconcile(self, redis: Redis) -> None:
        await run_reconciler(redis, self.gateway, self.turns, self.settings, self.refunds)


def contribution(services: Services, payments: Payments) -> Contribution:
    # The organizer's orders and refunds: payments' routes, behind the organizer router's path and guard.
    organizer_orders = Router(path=ORGANIZER_PATH, route_handlers=[OrganizerOrdersController],
                              guards=[organizer_guard], dependencies={"organizer": Provide(provide_organizer)})
    return Contribution(
        route_handlers=[PaymentsController, stripe_webhook, organizer_orders],
        dependencies={"gateway": Provide(payments.provide_gateway, sync_to_thread=False),
                      "open_orders": provide(payments.lifecycle), "turns": provide(payments.turns),
                      "refunds": provide(payments.refunds)},
        startup=[payments.start],
        shutdown=[payments.stop],
        background=[partial(payments.reconcile, services.redis),
                    partial(run_ledger_checkpoints, services.settings),
                    partial(run_cancellations, services.redis, payments.refunds)],
    )
