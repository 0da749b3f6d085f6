"""Stripe webhooks: a trigger to look, never the truth itself.

The signature is verified over the raw body; then the PaymentIntent is read back from Stripe and handed to the
settlement path, which does the same whatever the event claimed (unless its order is already paid or refunded,
final whatever the intent says: usually the fan's browser had it settled before the webhook came). An event id is recorded only after it was
handled, so an event whose handling failed (answered 503) is handled again when Stripe retries, and a replayed
event that was handled adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from backend.booking.guards import ShoppingTurns
from backend.infra import metrics
from backend.payments.gateway import IntentMissing, StripeGateway
from backend.payments.settlement import settle_intent, settled_status_of_intent
from backend.payments.transactions import is_unique_violation
from db.tables import ProcessedWebhookEvent

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
    if await ProcessedWebhookEvent.exists().where(ProcessedWebhookEvent.event_id == event.id):
        return WebhookOutcome(duplicate=True)
    status = None
    if event.object_type == "payment_intent" and event.object_id:
        # Most deliveries now arrive after the fan's browser had the order settled: a paid or refunded order
        # moves no further whatever its intent says, so Stripe is not asked again.
        status = await settled_status_of_intent(event.object_id)
    if status is None and event.object_type == "payment_intent" and event.object_id:
        try:
            intent = await gateway.retrieve_intent(event.object_id)
        except IntentMissing:
            logger.warning("webhook %s names payment intent %s that Stripe does not know", event.id,
                           event.object_id)
        else:
            status = await settle_intent(redis, gateway, intent, now, turns=turns, grace_seconds=grace_seconds)
            metrics.webhook_settled(event.type, event.created)
    await _remember(event.id, event.type, event.object_id, status, now)
    return WebhookOutcome(duplicate=False, order_status=status)


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
