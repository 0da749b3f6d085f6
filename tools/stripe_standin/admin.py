"""Test controls, not part of Stripe (``/_standin/...``), and the readiness probe.

No key is asked for: the stand-in is a development tool listening on localhost.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, ValidationException

from .payments import Payments
from .store import Store
from .webhooks import Webhooks, summary


@get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/_standin/webhooks", include_in_schema=False)
async def webhook_switch(webhooks: Webhooks, store: Store) -> dict[str, Any]:
    return {"enabled": store.webhooks_enabled, "url": webhooks.url or None}


@post("/_standin/webhooks", status_code=200, include_in_schema=False)
async def set_webhook_switch(request: Request, webhooks: Webhooks, store: Store) -> dict[str, Any]:
    """``{"enabled": false}`` loses every event produced from now on; ``true`` delivers new ones again."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise ValidationException('expected a JSON body like {"enabled": false}') from exc
    if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
        raise ValidationException('expected a JSON body like {"enabled": false}')
    webhooks.set_enabled(body["enabled"])
    store.flush()
    return {"enabled": store.webhooks_enabled, "url": webhooks.url or None}


@get("/_standin/events", include_in_schema=False)
async def list_events(
    store: Store, type: str | None = None, payment_intent: str | None = None, status: str | None = None
) -> dict[str, Any]:
    """Every event, oldest first, with its delivery status.

    Filters: ``type``, ``payment_intent`` (also matches charges of that PaymentIntent), delivery ``status``.
    """
    deliveries = store.deliveries
    items = [summary(event, deliveries[event_id]) for event_id, event in store.events.items()]
    if type:
        items = [item for item in items if item["type"] == type]
    if payment_intent:
        items = [item for item in items if item["payment_intent"] == payment_intent]
    if status:
        items = [item for item in items if item["delivery"]["status"] == status]
    return {"data": items}


@post("/_standin/events/{event_id:str}/redeliver", status_code=200, include_in_schema=False)
async def redeliver_event(event_id: str, webhooks: Webhooks, store: Store) -> Response:
    """Send one event again (like "Resend" in Stripe's dashboard), even one lost on purpose."""
    delivery = webhooks.redeliver(event_id)
    if delivery is None:
        raise NotFoundException(f"no event {event_id}")
    store.flush()
    return Response(summary(store.events[event_id], delivery, with_event=False))


@post("/_standin/payment_intents/{intent_id:str}/finish_processing", status_code=200, include_in_schema=False)
async def finish_processing(intent_id: str, payments: Payments) -> dict[str, Any]:
    """A `processing` PaymentIntent settles now (succeeds or fails as its payment method says), with the same
    objects and events as when its time comes: a test decides the moment instead of waiting for it."""
    return payments.finish_processing(intent_id)


@get("/_standin/refunds", include_in_schema=False)
async def count_refunds(store: Store, payment_intent: str | None = None) -> dict[str, Any]:
    """How many refunds exist, in total and per PaymentIntent (with the amounts), so a test can check e.g. that a
    show's cancellation refunded each order exactly once. ``payment_intent`` narrows it to that one (a count of 0
    when it has none, or is unknown)."""
    grouped = store.refunds_by_intent()
    if payment_intent is not None:
        grouped = {payment_intent: grouped.get(payment_intent, [])}
    by_intent = {
        intent_id: {"count": len(refunds), "amount": sum(refund["amount"] for refund in refunds)}
        for intent_id, refunds in grouped.items()
        if refunds or payment_intent is not None
    }
    return {
        "total": sum(item["count"] for item in by_intent.values()),
        "amount": sum(item["amount"] for item in by_intent.values()),
        "payment_intents": sum(1 for item in by_intent.values() if item["count"]),
        "by_payment_intent": by_intent,
    }


routes = [
    healthz,
    webhook_switch,
    set_webhook_switch,
    list_events,
    redeliver_event,
    finish_processing,
    count_refunds,
]
