"""Refunds through the real stripe SDK: whole and partial, several per charge, idempotent, listed, counted."""

# The SDK types every field as optional or expandable (str | Charge | None ...); these tests assert on
# the actual values, so mypy's narrowing demands are waived here.
# mypy: disable-error-code="union-attr, arg-type, index, typeddict-item, typeddict-unknown-key, attr-defined"

from __future__ import annotations

import threading
import uuid

import httpx
import pytest
import stripe

from .conftest import Standin, WebhookReceiver, wait_until


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
    # The PaymentIntent stays succeeded, as on Stripe: the refund is the charge's business.
    assert client.v1.payment_intents.retrieve(paid_intent.id).status == "succeeded"

    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id})
    assert again.value.http_status == 400
    assert again.value.code == "charge_already_refunded"
    assert again.value.json_body["error"]["message"] == f"Charge {paid_intent.latest_charge} has already been refunded."


def test_several_partial_refunds_up_to_the_captured_amount(
    client: stripe.StripeClient, paid_intent: stripe.PaymentIntent, standin: Standin
) -> None:
    first = client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 1000})
    charge = client.v1.charges.retrieve(paid_intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, False)
    second = client.v1.refunds.create(params={"charge": paid_intent.latest_charge, "amount": 1500})

    # More than is left: Stripe's error, and nothing changes.
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 2501})
    error = too_much.value.json_body["error"]
    assert too_much.value.http_status == 400
    assert error["type"] == "invalid_request_error" and error["code"] == "amount_too_large"
    assert error["param"] == "amount"
    assert error["message"] == "Refund amount (€25.01) is greater than unrefunded amount on charge (€25.00)"
    assert client.v1.charges.retrieve(paid_intent.latest_charge).amount_refunded == 2500

    third = client.v1.refunds.create(params={"payment_intent": paid_intent.id})  # no amount: all that is left
    assert third.amount == 2500
    charge = client.v1.charges.retrieve(paid_intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    with pytest.raises(stripe.InvalidRequestError) as nothing_left:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 1})
    assert nothing_left.value.code == "charge_already_refunded"

    counted = standin.refunds(payment_intent=paid_intent.id)
    assert counted["by_payment_intent"][paid_intent.id] == {"count": 3, "amount": 5000}
    assert [first.amount, second.amount, third.amount] == [1000, 1500, 2500]


def test_more_than_the_charge_at_once(client: stripe.StripeClient, paid_intent: stripe.PaymentIntent) -> None:
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 5001})
    assert too_much.value.code == "amount_too_large"
    assert too_much.value.json_body["error"]["message"] == (
        "Refund amount (€50.01) is greater than charge amount (€50.00)"
    )
    for amount in (0, -5):
        with pytest.raises(stripe.InvalidRequestError) as invalid:
            client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": amount})
        assert invalid.value.code == "parameter_invalid_integer" and invalid.value.param == "amount"
    assert client.v1.charges.retrieve(paid_intent.latest_charge).amount_refunded == 0


def test_refund_idempotency_key(client: stripe.StripeClient, paid_intent: stripe.PaymentIntent) -> None:
    key = str(uuid.uuid4())
    first = client.v1.refunds.create(
        params={"payment_intent": paid_intent.id, "amount": 1000}, options={"idempotency_key": key}
    )
    again = client.v1.refunds.create(
        params={"payment_intent": paid_intent.id, "amount": 1000}, options={"idempotency_key": key}
    )
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert client.v1.charges.retrieve(paid_intent.latest_charge).amount_refunded == 1000
    # The same key for another refund is refused, as Stripe does.
    with pytest.raises(stripe.IdempotencyError):
        client.v1.refunds.create(
            params={"payment_intent": paid_intent.id, "amount": 999}, options={"idempotency_key": key}
        )
    assert client.v1.charges.retrieve(paid_intent.latest_charge).amount_refunded == 1000


def test_racing_refunds_refund_once(client: stripe.StripeClient, paid_intent: stripe.PaymentIntent) -> None:
    """Ten whole refunds of one payment at once (say a cancellation job and an organizer): one succeeds."""
    outcomes: list[str] = []
    start = threading.Barrier(10)

    def refund() -> None:
        start.wait()
        try:
            outcomes.append(client.v1.refunds.create(params={"payment_intent": paid_intent.id}).id)
        except stripe.InvalidRequestError as error:
            outcomes.append(str(error.code))

    threads = [threading.Thread(target=refund) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 10 and outcomes.count("charge_already_refunded") == 9
    assert client.v1.charges.retrieve(paid_intent.latest_charge).amount_refunded == 5000


def test_each_refund_sends_charge_refunded_and_refund_created(
    client: stripe.StripeClient, paid_intent: stripe.PaymentIntent, shared_receiver: WebhookReceiver
) -> None:
    first = client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 2000})
    second = client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 3000})

    def events_of(event_type: str) -> list[stripe.Event]:
        return shared_receiver.accepted(paid_intent.id, event_type)

    wait_until(lambda: len(events_of("charge.refunded")) == 2 and len(events_of("refund.created")) == 2)
    charges = sorted((event.data.object for event in events_of("charge.refunded")), key=lambda c: c.amount_refunded)
    assert [(c.object, c.id, c.amount_refunded, c.refunded) for c in charges] == [
        ("charge", paid_intent.latest_charge, 2000, False),
        ("charge", paid_intent.latest_charge, 5000, True),
    ]
    refunds = {event.data.object.id: event.data.object for event in events_of("refund.created")}
    assert refunds.keys() == {first.id, second.id}
    assert refunds[first.id].to_dict() == first.to_dict()  # the Refund as the API answered it
    assert refunds[second.id].amount == 3000 and refunds[second.id].status == "succeeded"


def test_refunds_are_listed_newest_first(client: stripe.StripeClient, paid_intent: stripe.PaymentIntent) -> None:
    made = [client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 1000}) for _ in range(3)]
    other = client.v1.payment_intents.create(params={"amount": 900, "currency": "eur"})
    other = client.v1.payment_intents.confirm(other.id, params={"payment_method": "pm_card_visa"})
    client.v1.refunds.create(params={"payment_intent": other.id})

    listed = client.v1.refunds.list(params={"payment_intent": paid_intent.id})
    assert listed.object == "list" and listed.url == "/v1/refunds" and listed.has_more is False
    assert [refund.id for refund in listed.data] == [refund.id for refund in reversed(made)]
    by_charge = client.v1.refunds.list(params={"charge": paid_intent.latest_charge})
    assert [refund.id for refund in by_charge.data] == [refund.id for refund in reversed(made)]

    page = client.v1.refunds.list(params={"payment_intent": paid_intent.id, "limit": 2})
    assert [refund.id for refund in page.data] == [made[2].id, made[1].id] and page.has_more is True
    rest = client.v1.refunds.list(params={"payment_intent": paid_intent.id, "limit": 2, "starting_after": made[1].id})
    assert [refund.id for refund in rest.data] == [made[0].id] and rest.has_more is False
    back = client.v1.refunds.list(params={"payment_intent": paid_intent.id, "ending_before": made[0].id})
    assert [refund.id for refund in back.data] == [made[2].id, made[1].id]
    # The SDK's auto-pagination walks the pages.
    walked = client.v1.refunds.list(params={"payment_intent": paid_intent.id, "limit": 1}).auto_paging_iter()
    assert [refund.id for refund in walked] == [refund.id for refund in reversed(made)]

    expanded = client.v1.refunds.list(params={"payment_intent": paid_intent.id, "expand": ["data.charge"]})
    assert expanded.data[0].charge.id == paid_intent.latest_charge and expanded.data[0].charge.amount_refunded == 3000
    everything = client.v1.refunds.list(params={"limit": 100})
    assert {made[0].id, made[1].id, made[2].id} <= {refund.id for refund in everything.data}

    # On the charge too, when expanded (not part of a Charge since API version 2022-11-15).
    charge = client.v1.charges.retrieve(paid_intent.latest_charge, params={"expand": ["refunds"]})
    assert charge.refunds.total_count == 3 and [r.id for r in charge.refunds.data] == [r.id for r in reversed(made)]
    assert "refunds" not in client.v1.charges.retrieve(paid_intent.latest_charge).to_dict()

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.refunds.list(params={"payment_intent": "pi_doesnotexist"})
    assert unknown.value.http_status == 400 and unknown.value.code == "resource_missing"
    assert unknown.value.param == "payment_intent"


def test_the_refund_count_for_tests(
    standin: Standin, client: stripe.StripeClient, paid_intent: stripe.PaymentIntent
) -> None:
    before = standin.refunds()
    unpaid = client.v1.payment_intents.create(params={"amount": 900, "currency": "eur"})
    assert standin.refunds(payment_intent=unpaid.id) == {
        "total": 0,
        "amount": 0,
        "payment_intents": 0,
        "by_payment_intent": {unpaid.id: {"count": 0, "amount": 0}},
    }
    client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 1200})
    client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 800})
    after = standin.refunds()
    assert after["total"] == before["total"] + 2 and after["amount"] == before["amount"] + 2000
    assert after["payment_intents"] == before["payment_intents"] + 1
    assert after["by_payment_intent"][paid_intent.id] == {"count": 2, "amount": 2000}
    assert unpaid.id not in after["by_payment_intent"]  # only intents with refunds, unless asked for
    assert standin.refunds(payment_intent=paid_intent.id)["total"] == 2
    # A refused refund is not counted.
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 4000})
    assert standin.refunds()["total"] == after["total"]
    assert httpx.get(f"{standin.url}/_standin/refunds").json() == standin.refunds()


def test_unpaid_intent_cannot_be_refunded(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(params={"amount": 5000, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refused.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.refunds.create(params={"payment_intent": "pi_doesnotexist"})
    assert missing.value.code == "resource_missing"
