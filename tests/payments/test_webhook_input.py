"""Webhook bodies a forger cannot produce but a buggy sender (or a leaked secret) could: a signature dated in the
future is refused like a stale one, and a validly signed body that is not a Stripe event is a 400 in the error
shape, never a 500."""

from __future__ import annotations

import json
import secrets
import time

import httpx
import pytest

from tests.payments.helpers import stripe_signature, webhook_secret

WEBHOOK = "/api/v1/payments/stripe/webhook"


def _event(**changes: object) -> dict:
    event: dict = {
        "id": f"evt_{secrets.token_hex(12)}", "object": "event", "type": "payment_intent.succeeded",
        "created": int(time.time()), "data": {"object": {"id": "pi_unknown000000000000000",
                                                          "object": "payment_intent"}},
    }
    event.update(changes)
    return event


async def _post(server, payload: bytes, signature: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        return await client.post(WEBHOOK, content=payload,
                                 headers={"Content-Type": "application/json", "Stripe-Signature": signature})


def _assert_error(response: httpx.Response, code: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == code and isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("skew_s", [3600, 360])
async def test_a_signature_dated_in_the_future_is_refused(server, skew_s: int) -> None:
    payload = json.dumps(_event()).encode()
    signature = stripe_signature(payload, webhook_secret(server.var_dir), timestamp=int(time.time()) + skew_s)
    _assert_error(await _post(server, payload, signature), "invalid_signature")


async def test_a_signature_within_tolerance_either_way_is_accepted(server) -> None:
    secret = webhook_secret(server.var_dir)
    for skew_s in (-120, 120):
        payload = json.dumps(_event()).encode()
        response = await _post(server, payload, stripe_signature(payload, secret, timestamp=int(time.time()) + skew_s))
        assert response.status_code == 200, (skew_s, response.text)


MALFORMED = {
    "a list": [_event()],
    "no id": {k: v for k, v in _event().items() if k != "id"},
    "data.object a string": _event(data={"object": "pi_123"}),
    "id an object": _event(id={"nested": "evt_1"}),
    "no data": {k: v for k, v in _event().items() if k != "data"},
    "type a number": _event(type=7),
    "a string": "payment_intent.succeeded",
}


@pytest.mark.parametrize("name", MALFORMED)
async def test_a_signed_body_that_is_not_an_event_is_a_400(server, name: str) -> None:
    payload = json.dumps(MALFORMED[name]).encode()
    response = await _post(server, payload, stripe_signature(payload, webhook_secret(server.var_dir)))
    _assert_error(response, "invalid_event")
