"""Stripe webhooks: a trigger to look, never the truth itself.

The signature is verified over the raw body; then the PaymentIntent is read back from Stripe and handed to the
settlement path, which does the same whatever the event claimed (unless its order is already paid or refunded,
final whatever the intent says: usually the fan's browser had it settled before the webhook came). An event id is
recorded only after it was handled, so an event whose handling failed (answered 503) is handled again when Stripe
retries, and a replayed event that was handled adds nothing. Events that can change nothing are not recorded: types
that move no order, and events whose order was already paid or refunded when they came (a replay finds it so
again). In a sale, the webhook of an order the fan settled costs one statement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from backend.booking.guards import ShoppingTurns
from backend.infra import metrics
from backend.payments.gateway import IntentMissing, StripeGateway
from backend.payments.order_states import PAID, REFUNDED
from backend.payments.settlement import settle_intent
from backend.payments.transactions import is_unique_violation
from db.tables import Order, ProcessedWebhookEvent

logger = logging.getLogger("showtime.payments.webhooks")

# Events that may change an order; any other type is acknowledged, nothing more (not even recorded).
INTENT_EVENTS = frozenset({
    "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
    "payment_intent.processing",  # a slow payment method: the hold gets its payment grace
})


@dataclass(frozen=True)
class WebhookOutcome:
    duplicate: bool
    order_status: str | None = None


async def handle_webhook(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, payload: bytes,
                         signature: str | None, now: datetime, grace_seconds: int) -> WebhookOutcome:
    """Raises InvalidWebhook when the signature does not verify, GatewayError when Stripe cannot be read back."""
    event = gateway.verify_event(payload, signature)
    if event.type not in INTENT_EVENTS:
        # Nothing to do, so nothing to record or to find again: no database round trip (every payment brings one
        # such event, payment_intent.created, in a sale's busiest minutes).
        return WebhookOutcome(duplicate=False)
    intent_id = event.object_id if event.object_type == "payment_intent" else None
    seen, status = await _seen_and_settled(event.id, intent_id)
    if seen:
        return WebhookOutcome(duplicate=True)
    if status is not None:
        # Most deliveries now arrive after the fan's browser had the order settled: a paid or refunded order
        # moves no further whatever its intent says, so Stripe is not asked again, and nothing is recorded (a
        # replay finds the order settled just the same).
        return WebhookOutcome(duplicate=False, order_status=status)
    if intent_id:
        try:
            intent = await gateway.retrieve_intent(intent_id)
        except IntentMissing:
            logger.warning("webhook %s names payment intent %s that Stripe does not know", event.id,
                           intent_id)
        else:
            status = await settle_intent(redis, gateway, intent, now, turns=turns, grace_seconds=grace_seconds)
            metrics.webhook_settled(event.type, event.created)
    await _remember(event.id, event.type, event.object_id, status, now)
    return WebhookOutcome(duplicate=False, order_status=status)


async def _seen_and_settled(event_id: str, intent_id: str | None) -> tuple[bool, str | None]:
    """Whether the event was handled before, and `paid` or `refunded` when the intent's order has reached one of
    them (no transition leaves them but the refund retry, which needs no intent): one round trip for both."""
    rows = await ProcessedWebhookEvent.raw(
        f"SELECT EXISTS (SELECT 1 FROM {ProcessedWebhookEvent._meta.tablename} WHERE event_id = {{}}) AS seen, "
        f"(SELECT status FROM {Order._meta.tablename} WHERE payment_intent_id = {{}}) AS status",
        event_id, intent_id or "")
    status = rows[0]["status"]
    return bool(rows[0]["seen"]), status if status in (PAID, REFUNDED) else None


async def _remember(event_id: str, event_type: str, object_id: str | None, status: str | None,
                    now: datetime) -> None:
    try:
        await ProcessedWebhookEvent.insert(ProcessedWebhookEvent(
            event_id=event_id, event_type=event_type, received_at=now,
            detail={"object": object_id, "order_status": status},
        ))
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # The same event delivered twice at once: both ran the idempotent settlement, one row stands.
