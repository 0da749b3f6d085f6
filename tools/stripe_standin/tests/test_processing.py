"""A payment that settles later: `processing` first, then succeeded or failed, with Stripe's objects and events."""

# The SDK types every field as optional or expandable (str | Charge | None ...); these tests assert on
# the actual values, so mypy's narrowing demands are waived here.
# mypy: disable-error-code="union-attr, arg-type, index, typeddict-item, typeddict-unknown-key"

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import stripe

from .conftest import WEBHOOK_SECRET, Standin, WebhookReceiver, wait_until

SUCCEEDS = "pm_card_processingThenSucceeds"
DECLINED = "pm_card_processingThenDeclined"


def _processing(client: stripe.StripeClient, case: str, method: str) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(params={"amount": 1500, "currency": "eur", "metadata": {"case": case}})
    return client.v1.payment_intents.confirm(intent.id, params={"payment_method": method})


def _finish(standin: Standin, intent_id: str) -> httpx.Response:
    return httpx.post(f"{standin.url}/_standin/payment_intents/{intent_id}/finish_processing", timeout=10)


def test_a_processing_payment_succeeds_by_itself_after_the_configured_delay(
    launch: Callable[..., Standin], receiver: WebhookReceiver, tmp_path: Path
) -> None:
    standin = launch(tmp_path / "state.json", receiver.url, "--processing-seconds", "2")
    client = standin.client()
    confirmed_at = time.monotonic()
    intent = _processing(client, "slow", SUCCEEDS)

    assert intent.status == "processing" and intent.next_action is None and intent.last_payment_error is None
    assert intent.amount_received == 0 and intent.payment_method.startswith("pm_")
    pending = client.v1.charges.retrieve(intent.latest_charge)
    assert (pending.status, pending.paid, pending.outcome) == ("pending", False, None)
    # Nothing can be done to a payment on its way: no second confirm, no cancel, no refund yet.
    for attempt in (
        lambda: client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"}),
        lambda: client.v1.payment_intents.cancel(intent.id),
    ):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            attempt()
        assert refused.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": intent.id})

    processing = receiver.wait_for(intent.id, "payment_intent.processing")
    assert processing.data.object.status == "processing" and processing.data.object.metadata.case == "slow"
    assert processing.request.idempotency_key  # the confirm that started it
    assert client.v1.payment_intents.retrieve(intent.id).status == "processing"

    succeeded = receiver.wait_for(intent.id, "payment_intent.succeeded", timeout=15)
    assert time.monotonic() - confirmed_at >= 2, "settled before its delay"
    assert succeeded.data.object.status == "succeeded" and succeeded.data.object.amount_received == 1500
    assert succeeded.request.id is None, "Stripe moved it on by itself, not an API request"
    paid = client.v1.payment_intents.retrieve(intent.id)
    assert paid.status == "succeeded" and paid.latest_charge == intent.latest_charge
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert (charge.status, charge.paid, charge.captured, charge.amount_captured) == ("succeeded", True, True, 1500)
    assert [item["type"] for item in standin.events(payment_intent=intent.id)] == [
        "payment_intent.created",
        "payment_intent.processing",
        "payment_intent.succeeded",
    ]
    # Deliveries come in no guaranteed order (`processing` may even arrive before `created`): find it by its type.
    [delivery] = [d for d in receiver.attempts(intent.id) if d.payload["type"] == "payment_intent.processing"]
    stripe.Webhook.construct_event(delivery.body.decode(), delivery.headers["Stripe-Signature"], WEBHOOK_SECRET)
    # Now it is an ordinary paid PaymentIntent.
    assert client.v1.refunds.create(params={"payment_intent": intent.id}).status == "succeeded"


def test_a_processing_payment_that_fails_leaves_the_intent_payable_with_another_card(
    standin: Standin, client: stripe.StripeClient, shared_receiver: WebhookReceiver
) -> None:
    intent = _processing(client, "slow-decline", DECLINED)
    assert intent.status == "processing"
    shared_receiver.wait_for(intent.id, "payment_intent.processing")

    answer = _finish(standin, intent.id)
    assert answer.status_code == 200, answer.text
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method" and failed.payment_method is None
    error = failed.last_payment_error
    assert (error.type, error.code, error.decline_code) == ("card_error", "card_declined", "insufficient_funds")
    assert error.charge == intent.latest_charge
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid, charge.failure_code) == ("failed", False, "card_declined")
    event = shared_receiver.wait_for(intent.id, "payment_intent.payment_failed")
    assert event.data.object.last_payment_error.decline_code == "insufficient_funds"

    again = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert again.status == "succeeded" and again.latest_charge != intent.latest_charge


def test_finish_processing_refuses_what_is_not_processing(standin: Standin, client: stripe.StripeClient) -> None:
    paid = client.v1.payment_intents.create(
        params={"amount": 900, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    refused = _finish(standin, paid.id)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "payment_intent_unexpected_state"
    missing = _finish(standin, "pi_unknown")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"


def test_a_payment_processing_across_a_restart_still_settles(
    launch: Callable[..., Standin], receiver: WebhookReceiver, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    first = launch(state_file, receiver.url, "--processing-seconds", "1")
    intent = _processing(first.client(), "restart", SUCCEEDS)
    assert first.stop() == 0  # stopped while the payment is on its way

    time.sleep(1.2)  # its time comes while the stand-in is down
    second = launch(state_file, receiver.url, "--processing-seconds", "1")
    receiver.wait_for(intent.id, "payment_intent.succeeded")
    assert second.client().v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert wait_until(lambda: receiver.accepted(intent.id, "payment_intent.processing"))
