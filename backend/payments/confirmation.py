"""Paid without waiting for the webhook: the fan's browser says Stripe.js confirmed the payment
(`POST /api/v1/orders/{id}/settle`), and the server reads the PaymentIntent back from Stripe and settles it at once.

The browser's word is a trigger like the webhook's, never the truth: only the intent read back through the SDK
counts, and it goes down the one settlement path (settlement.settle_intent) that the webhook and the reconciler
take, whose steps are guarded by the order's row, so the three may race for one intent and the order settles once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from redis.asyncio import Redis

from backend.booking.guards import ShoppingTurns
from backend.errors import NotFound
from backend.payments.gateway import GatewayError, IntentMissing, StripeGateway
from backend.payments.order_states import PENDING
from backend.payments.settlement import load_order, settle_intent

logger = logging.getLogger("showtime.payments.confirmation")


async def settle_for_owner(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, order_id: int,
                           profile_id: int, now: datetime, grace_seconds: int) -> int:
    """Settle the profile's order from its PaymentIntent as Stripe has it now; returns the order's id (the caller
    answers the order as it then stands). 404 alike for an unknown order and another profile's."""
    order = await load_order(order_id)
    if order is None or order.profile_id != profile_id:
        raise NotFound("No such order.", code="order_not_found")
    if order.status != PENDING or order.payment_intent_id is None:
        return order.id  # settled already (or never sent to Stripe): nothing to read back
    try:
        intent = await gateway.retrieve_intent(order.payment_intent_id)
    except IntentMissing:
        logger.warning("order %s: Stripe does not know its intent %s", order.id, order.payment_intent_id)
        return order.id
    except GatewayError:
        # The order as it stands; the webhook and the reconciler settle it once Stripe answers again.
        return order.id
    await settle_intent(redis, gateway, intent, now, turns=turns, grace_seconds=grace_seconds, order=order)
    return order.id
