"""How payments plug into the app's lifespan: one Stripe gateway per process, kept on the app's state."""

from __future__ import annotations

from litestar.datastructures import State

from backend.errors import Unavailable
from backend.payments.gateway import StripeGateway
from backend.settings import Settings


async def start_payments(state: State) -> None:
    """Startup hook: the gateway exists before any request or the reconciler needs it. Without Stripe keys
    (the app started outside `just serve`) payments answer 503 instead of the app refusing to start."""
    settings: Settings = state.settings
    configured = settings.stripe_secret_key and settings.stripe_publishable_key
    state.payment_gateway = StripeGateway.from_settings(settings) if configured else None


def provide_gateway(state: State) -> StripeGateway:
    gateway = state.get("payment_gateway")
    if gateway is None:
        raise Unavailable("Payments are not configured on this server.", code="payments_unavailable")
    return gateway
