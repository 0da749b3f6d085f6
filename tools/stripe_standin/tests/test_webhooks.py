"""Webhooks: signed as Stripe signs them, delivered in the background, retried, switchable off."""

# The SDK types every field as optional or expandable (str | Charge | None ...); these tests assert on
# the actual values, so mypy's narrowing demands are waived here.
# mypy: disable-error-code="union-attr, arg-type, index, typeddict-item, typeddict-unknown-key"

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import stripe

from .conftest import WEBHOOK_SECRET, Standin, WebhookReceiver, free_port, start_receiver, wait_until


def pay(client: stripe.StripeClient, case: str, method: str = "pm_card_visa") -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(params={"amount": 1200, "currency": "eur", "metadata": {"case": case}})
    return client.v1.payment_intents.confirm(intent.id, params={"payment_method": method})


def test_every_state_change_is_delivered_and_verifies_with_the_sdk(
    standin: Standin, client: stripe.StripeClient, shared_receiver: WebhookReceiver
) -> None:
    intent = client.v1.payment_intents.create(params={"amount": 1200, "currency": "eur", "metadata": {"case": "all"}})
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    client.v1.refunds.create(params={"payment_intent": intent.id})
    abandoned = client.v1.payment_intents.create(params={"amount": 1200, "currency": "eur"})
    client.v1.payment_intents.cancel(abandoned.id)

    created = shared_receiver.wait_for(intent.id, "payment_intent.created")
    failed = shared_receiver.wait_for(intent.id, "payment_intent.payment_failed")
    succeeded = shared_receiver.wait_for(intent.id, "payment_intent.succeeded")
    refunded = shared_receiver.wait_for(intent.id, "charge.refunded")
    refund_created = shared_receiver.wait_for(intent.id, "refund.created")
    canceled = shared_receiver.wait_for(abandoned.id, "payment_intent.canceled")

    assert created.data.object.status == "requires_payment_method"
    assert failed.data.object.last_payment_error.decline_code == "generic_decline"
    assert succeeded.data.object.status == "succeeded" and succeeded.data.object.metadata.case == "all"
    assert refunded.data.object.object == "charge" and refunded.data.object.refunded is True
    assert refunded.data.object.payment_intent == intent.id
    assert refund_created.data.object.object == "refund" and refund_created.data.object.amount == 1200
    assert refund_created.data.object.charge == refunded.data.object.id
    assert canceled.data.object.status == "canceled"
    for event in (created, failed, succeeded, refunded, refund_created, canceled):
        assert event.id.startswith("evt_") and event.object == "event"
        assert event.api_version == "2024-06-20" and event.livemode is False
        assert event.pending_webhooks == 1 and event.request.idempotency_key  # the SDK sends one on every POST

    delivery = shared_receiver.attempts(intent.id)[0]
    header = delivery.headers["Stripe-Signature"]
    assert header.startswith("t=") and ",v1=" in header
    assert delivery.headers["Content-Type"].startswith("application/json")
    # The check has teeth: another secret or a changed body does not verify.
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body.decode(), header, "whsec_someone_else")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body.decode().replace("1200", "1"), header, WEBHOOK_SECRET)

    listed = standin.events(payment_intent=intent.id)
    assert [item["type"] for item in listed] == [
        "payment_intent.created",
        "payment_intent.payment_failed",
        "payment_intent.succeeded",
        "charge.refunded",
        "refund.created",
    ]
    assert wait_until(
        lambda: all(item["delivery"]["status"] == "delivered" for item in standin.events(payment_intent=intent.id))
    )
    # Stripe's Events API serves the same events.
    assert client.v1.events.retrieve(succeeded.id).type == "payment_intent.succeeded"


def test_failed_deliveries_are_retried_with_backoff(
    standin: Standin, client: stripe.StripeClient, shared_receiver: WebhookReceiver
) -> None:
    shared_receiver.failures["retry"] = 2
    intent = client.v1.payment_intents.create(params={"amount": 1200, "currency": "eur", "metadata": {"case": "retry"}})

    shared_receiver.wait_for(intent.id, "payment_intent.created", timeout=10)
    attempts = shared_receiver.attempts(intent.id)
    assert [a.answered for a in attempts] == [500, 500, 200]
    assert all(a.event is not None for a in attempts)  # every attempt was signed correctly
    entry = standin.events(payment_intent=intent.id)[0]
    assert entry["delivery"]["status"] == "delivered" and entry["delivery"]["attempts"] == 3
    gaps = [
        b["at"] - a["at"] for a, b in zip(entry["delivery"]["history"], entry["delivery"]["history"][1:], strict=False)
    ]
    assert gaps[0] >= 0.45 and gaps[1] >= 0.95  # 0.5 s, then 1 s


def test_delivery_never_blocks_the_api_answer(
    standin: Standin, client: stripe.StripeClient, shared_receiver: WebhookReceiver
) -> None:
    gate = shared_receiver.gates["held"] = threading.Event()
    try:
        intent = client.v1.payment_intents.create(
            params={"amount": 1200, "currency": "eur", "metadata": {"case": "held"}}
        )
        # The API has answered while the endpoint is still holding on to the delivery.
        wait_until(lambda: "held" in shared_receiver.arrived, what="the delivery to arrive")
        assert standin.events(payment_intent=intent.id)[0]["delivery"]["status"] == "pending"
    finally:
        gate.set()
    shared_receiver.wait_for(intent.id, "payment_intent.created")


def test_switched_off_webhooks_are_lost_for_good(
    standin: Standin, client: stripe.StripeClient, shared_receiver: WebhookReceiver
) -> None:
    standin.set_webhooks(False)
    try:
        lost = pay(client, "lost")
    finally:
        standin.set_webhooks(True)
    delivered = pay(client, "after")

    shared_receiver.wait_for(delivered.id, "payment_intent.succeeded")
    time.sleep(0.5)
    assert shared_receiver.attempts(lost.id) == []
    statuses = {item["type"]: item["delivery"] for item in standin.events(payment_intent=lost.id)}
    assert statuses["payment_intent.succeeded"]["status"] == "not_sent"
    assert statuses["payment_intent.succeeded"]["attempts"] == 0

    # ... unless resent on purpose, like Stripe's dashboard "Resend".
    event_id = standin.events(payment_intent=lost.id, type="payment_intent.succeeded")[0]["id"]
    httpx.post(f"{standin.url}/_standin/events/{event_id}/redeliver").raise_for_status()
    assert shared_receiver.wait_for(lost.id, "payment_intent.succeeded").id == event_id


def test_switch_rejects_a_malformed_body(standin: Standin) -> None:
    answer = httpx.post(f"{standin.url}/_standin/webhooks", json={"enabled": "no"})
    assert answer.status_code == 400
    assert httpx.get(f"{standin.url}/_standin/webhooks").json()["enabled"] is True


# Delivery as Stripe does it: concurrent (bounded), in no guaranteed order, retried with back-off.


def create(client: stripe.StripeClient, case: str) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={"amount": 1200, "currency": "eur", "metadata": {"case": case}})


@pytest.mark.parametrize("limit", [None, 4], ids=["default limit (16)", "--webhook-concurrency 4"])
def test_deliveries_run_concurrently_up_to_the_limit(
    launch: Callable[..., Standin], receiver: WebhookReceiver, tmp_path: Path, limit: int | None
) -> None:
    expected = limit or 16
    standin = launch(tmp_path / "state.json", receiver.url, *(["--webhook-concurrency", str(limit)] if limit else []))
    client = standin.client()
    gate = receiver.gates["slow"] = threading.Event()
    try:
        intents = [create(client, "slow") for _ in range(expected + 10)]
        # The endpoint holds every answer: the stand-in fills every place it has, and no more.
        wait_until(lambda: receiver.in_flight == expected, what=f"{expected} deliveries in flight at once")
        time.sleep(0.5)
        assert receiver.in_flight == expected
        assert receiver.max_in_flight == expected
    finally:
        gate.set()
    for intent in intents:
        receiver.wait_for(intent.id, "payment_intent.created")
    assert receiver.max_in_flight == expected


def test_deliveries_come_in_no_guaranteed_order(
    launch: Callable[..., Standin], receiver: WebhookReceiver, tmp_path: Path
) -> None:
    # One delivery at a time, so that any reordering is the stand-in's choice, not a race between connections.
    standin = launch(tmp_path / "state.json", receiver.url, "--webhook-concurrency", "1")
    client = standin.client()
    gate = receiver.gates["first"] = threading.Event()
    try:
        first = create(client, "first")
        wait_until(lambda: "first" in receiver.arrived, what="the first delivery to arrive")
        # Behind it, 16 payments: 32 events (created, then succeeded, for each) wait together.
        intents = [pay(client, f"later-{number}") for number in range(16)]
    finally:
        gate.set()
    for intent in intents:
        receiver.wait_for(intent.id, "payment_intent.succeeded")
    made = [item["id"] for item in standin.events() if item["payment_intent"] != first.id]  # oldest first
    with receiver.lock:
        arrived = [d.payload["id"] for d in receiver.deliveries if d.payload["data"]["object"]["id"] != first.id]
    assert sorted(arrived) == sorted(made)  # each once
    assert arrived != made  # a later event arrived before an earlier one
    # Even the events of one payment: some payment's `succeeded` arrived before its own `created`.
    position = {event_id: index for index, event_id in enumerate(arrived)}
    swapped = [
        intent.id
        for intent in intents
        if position[standin.events(payment_intent=intent.id, type="payment_intent.succeeded")[0]["id"]]
        < position[standin.events(payment_intent=intent.id, type="payment_intent.created")[0]["id"]]
    ]
    assert swapped, "every payment's events arrived in the order they were made"


def test_a_receiver_that_fails_then_answers_gets_the_event_again_after_back_off(
    launch: Callable[..., Standin], receiver: WebhookReceiver, tmp_path: Path
) -> None:
    standin = launch(tmp_path / "state.json", receiver.url)
    client = standin.client()
    receiver.failures["flaky"] = 1
    flaky = create(client, "flaky")
    others = [create(client, "steady") for _ in range(5)]

    event = receiver.wait_for(flaky.id, "payment_intent.created")
    attempts = receiver.attempts(flaky.id)
    assert [a.answered for a in attempts] == [500, 200]
    assert attempts[0].payload["id"] == attempts[1].payload["id"] == event.id  # the same event, again
    delivery = standin.events(payment_intent=flaky.id)[0]["delivery"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2
    first, second = delivery["history"]
    assert (first["status"], first["error"]) == (500, "HTTP 500")
    assert second["at"] - first["at"] >= 0.45  # the first back-off: 0.5 s
    # The event waiting for its retry held up no other.
    for other in others:
        assert receiver.accepted(other.id, "payment_intent.created")


def test_connection_errors_are_retried_until_the_endpoint_answers(
    launch: Callable[..., Standin], tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there yet: the app is down
    standin = launch(tmp_path / "state.json", f"http://127.0.0.1:{port}/webhook")
    intent = create(standin.client(), "down")
    wait_until(
        lambda: standin.events(payment_intent=intent.id)[0]["delivery"]["attempts"] >= 2,
        what="two refused attempts",
    )
    delivery = standin.events(payment_intent=intent.id)[0]["delivery"]
    assert delivery["status"] == "pending" and delivery["last_response_status"] is None
    assert "ConnectError" in delivery["last_error"]
    late = start_receiver(port=port)  # the app is back
    try:
        late.wait_for(intent.id, "payment_intent.created", timeout=15)
        wait_until(lambda: standin.events(payment_intent=intent.id)[0]["delivery"]["status"] == "delivered")
    finally:
        assert late.server is not None
        late.server.shutdown()
        late.server.server_close()
