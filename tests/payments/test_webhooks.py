"""The webhook endpoint: signatures verified over the raw body (forged, altered, stale, missing -> 400), events
idempotent by id, and a fresh event about a settled payment changes nothing either."""

from __future__ import annotations

import json
import secrets
import time

import httpx

from db.tables import PaymentLedgerEntry, ProcessedWebhookEvent, Ticket
from tests.payments.helpers import (
    Standin,
    hold_and_checkout,
    intent_id_of,
    order_status_becomes,
    stripe_signature,
    webhook_secret,
)
from tests.support.data import create_show

WEBHOOK = "/api/v1/payments/stripe/webhook"


async def _post(server, payload: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        return await client.post(WEBHOOK, content=payload, headers=headers)


async def _paid_order(server, make_fan) -> tuple[dict, dict]:
    show = await create_show()
    fan = await make_fan()
    order = await hold_and_checkout(fan, show.id, show.rows["Front/B"][:2])
    await Standin(server).pay(order["payment"]["client_secret"])
    await order_status_becomes(fan, order["order_id"], "paid")
    events = await Standin(server).events(type="payment_intent.succeeded",
                                          payment_intent=intent_id_of(order["payment"]["client_secret"]))
    assert len(events) == 1 and events[0]["delivery"]["status"] == "delivered"
    return order, events[0]["event"]


async def _counts(order_id: str) -> tuple[int, int]:
    return (await Ticket.count().where(Ticket.order == int(order_id)),
            await PaymentLedgerEntry.count().where(PaymentLedgerEntry.order_ref == int(order_id)))


async def test_a_replayed_event_adds_nothing(server, make_fan) -> None:
    order, event = await _paid_order(server, make_fan)
    before = await _counts(order["order_id"])
    assert before == (2, 1)
    secret = webhook_secret(server.var_dir)
    payload = json.dumps(event, indent=2).encode()

    replay = await _post(server, payload, stripe_signature(payload, secret))
    assert replay.status_code == 200 and replay.json() == {"received": True, "duplicate": True}

    # The same news under a new event id is not a duplicate, but the order's status guard stops it.
    renamed = json.dumps({**event, "id": f"evt_{secrets.token_hex(12)}"}).encode()
    fresh = await _post(server, renamed, stripe_signature(renamed, secret))
    assert fresh.status_code == 200 and fresh.json() == {"received": True, "duplicate": False}
    assert await _counts(order["order_id"]) == before
    assert await ProcessedWebhookEvent.count().where(ProcessedWebhookEvent.event_id == event["id"]) == 1


async def test_forged_altered_stale_and_unsigned_events_are_refused(server, make_fan) -> None:
    order, event = await _paid_order(server, make_fan)
    secret = webhook_secret(server.var_dir)
    # A never-seen event id, so only the signature check can be what refuses it.
    payload = json.dumps({**event, "id": f"evt_{secrets.token_hex(12)}"}).encode()
    signature = stripe_signature(payload, secret)

    cases = {
        "forged": (payload, stripe_signature(payload, "whsec_" + "0" * 32)),
        "altered": (payload.replace(b'"succeeded"', b'"succeeded" '), signature),
        "stale": (payload, stripe_signature(payload, secret, timestamp=int(time.time()) - 3600)),
        "garbage header": (payload, "nonsense"),
        "missing header": (payload, None),
    }
    for name, (body, header) in cases.items():
        response = await _post(server, body, header)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"] == "invalid_signature", name
    assert await _counts(order["order_id"]) == (2, 1)


async def test_events_about_unknown_intents_are_acknowledged_and_ignored(server) -> None:
    secret = webhook_secret(server.var_dir)
    payload = json.dumps({
        "id": f"evt_{secrets.token_hex(12)}", "object": "event", "type": "payment_intent.succeeded",
        "api_version": "2024-06-20", "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": {"id": "pi_unknown000000000000000", "object": "payment_intent"}},
    }).encode()
    response = await _post(server, payload, stripe_signature(payload, secret))
    assert response.status_code == 200 and response.json()["received"] is True


async def test_event_types_that_change_no_order_are_acknowledged_without_a_record(server, make_fan) -> None:
    """Every payment brings a payment_intent.created: acknowledged, nothing written (nothing to find again)."""
    secret = webhook_secret(server.var_dir)
    event_id = f"evt_{secrets.token_hex(12)}"
    payload = json.dumps({
        "id": event_id, "object": "event", "type": "payment_intent.created", "api_version": "2024-06-20",
        "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": {"id": "pi_unknown000000000000001", "object": "payment_intent"}},
    }).encode()
    for _ in range(2):
        response = await _post(server, payload, stripe_signature(payload, secret))
        assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    assert await ProcessedWebhookEvent.count().where(ProcessedWebhookEvent.event_id == event_id) == 0
