"""Refunds through the real stripe SDK."""

# The SDK types every field as optional or expandable (str | Charge | None ...); these tests assert on
# the actual values, so mypy's narrowing demands are waived here.
# mypy: disable-error-code="union-attr, arg-type, index, typeddict-item, typeddict-unknown-key"

from __future__ import annotations

import uuid

import pytest
import stripe


@pytest.fixture
def paid_intent(client: stripe.StripeClient) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(
        params={"amount": 5000, "currency": "eur", "metadata": {"order_id": "ord_refund"}}
    )
    return client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})


def test_full_refund_refunds_the_charge(client: stripe.StripeClient, paid_intent: stripe.PaymentIntent) -> None:
    refund = client.v1.refunds.create(params={"payment_intent": paid_intent.id, "metadata": {"order_id": "ord_refund"}})

    assert refund.id.startswith("re_") and refund.object == "refund"
    assert refund.status == "succeeded"
    assert refund.amount == 5000 and refund.currency == "eur"
    assert refund.payment_intent == paid_intent.id and refund.charge == paid_intent.latest_charge
    assert refund.metadata.order_id == "ord_refund"
    assert client.v1.refunds.retrieve(refund.id).id == refund.id
    charge = client.v1.charges.retrieve(paid_intent.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 5000

    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id})
    assert again.value.code == "charge_already_refunded"


def test_partial_refunds_add_up(client: stripe.StripeClient, paid_intent: stripe.PaymentIntent) -> None:
    client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 2000})
    assert client.v1.charges.retrieve(paid_intent.latest_charge).refunded is False
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 3001})
    assert too_much.value.code == "amount_too_large"
    client.v1.refunds.create(params={"charge": paid_intent.latest_charge, "amount": 3000})
    charge = client.v1.charges.retrieve(paid_intent.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 5000


def test_refund_idempotency_key(client: stripe.StripeClient, paid_intent: stripe.PaymentIntent) -> None:
    key = str(uuid.uuid4())
    first = client.v1.refunds.create(
        params={"payment_intent": paid_intent.id, "amount": 1000}, options={"idempotency_key": key}
    )
    again = client.v1.refunds.create(
        params={"payment_intent": paid_intent.id, "amount": 1000}, options={"idempotency_key": key}
    )
    assert again.id == first.id
    assert client.v1.charges.retrieve(paid_intent.latest_charge).amount_refunded == 1000


def test_unpaid_intent_cannot_be_refunded(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params={"amount": 5000, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refused.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.refunds.create(params={"payment_intent": "pi_doesnotexist"})
    assert missing.value.code == "resource_missing"
