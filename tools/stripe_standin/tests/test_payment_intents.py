"""PaymentIntents through the real stripe SDK, as the backend will use them."""

# The SDK types every field as optional or expandable (str | Charge | None ...); these tests assert on
# the actual values, so mypy's narrowing demands are waived here.
# mypy: disable-error-code="union-attr, arg-type, index, typeddict-item, typeddict-unknown-key"

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
import stripe

from .conftest import PUBLISHABLE_KEY, SECRET_KEY, Standin


def new_intent(client: stripe.StripeClient, **params: object) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "eur",
            "metadata": {"order_id": "ord_1"},
            "automatic_payment_methods": {"enabled": True},
            **params,
        }
    )


def card(number: str, exp_month: int = 12, exp_year: int = 2034, cvc: str = "123") -> dict[str, object]:
    return {
        "type": "card",
        "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc},
    }


def test_create_answers_a_stripe_shaped_payment_intent(client: stripe.StripeClient) -> None:
    intent = new_intent(client, description="2 seats", receipt_email="fan@example.com")

    assert intent.id.startswith("pi_")
    assert intent.object == "payment_intent"
    assert intent.status == "requires_payment_method"
    assert intent.amount == 2500 and intent.currency == "eur"
    assert intent.metadata.to_dict() == {"order_id": "ord_1"}
    assert intent.client_secret.startswith(intent.id + "_secret_")
    assert intent.livemode is False and intent.created > 1_700_000_000
    assert intent.automatic_payment_methods.enabled is True
    assert intent.description == "2 seats" and intent.receipt_email == "fan@example.com"
    assert intent.latest_charge is None and intent.last_payment_error is None


def test_same_idempotency_key_answers_the_same_payment_intent(standin: Standin) -> None:
    client = standin.client()
    params = {"amount": 4000, "currency": "usd", "metadata": {"order_id": "ord_idem"}}
    key = str(uuid.uuid4())
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    again = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    other = client.v1.payment_intents.create(params=params)

    assert again.id == first.id and again.client_secret == first.client_secret
    assert other.id != first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    created = standin.events(type="payment_intent.created", payment_intent=first.id)
    assert len(created) == 1  # a replay changes nothing

    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(
            params={**params, "amount": 4100},
            options={"idempotency_key": key},
        )


def test_confirm_with_pm_card_visa_succeeds(client: stripe.StripeClient) -> None:
    intent = new_intent(client)
    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})

    assert paid.status == "succeeded"
    assert paid.amount_received == 2500
    assert paid.latest_charge.startswith("ch_")
    assert paid.payment_method.startswith("pm_") and paid.payment_method != "pm_card_visa"
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert charge.status == "succeeded" and charge.paid and charge.payment_intent == intent.id
    assert charge.payment_method_details.card.last4 == "4242"
    method = client.v1.payment_methods.retrieve(paid.payment_method)
    assert (method.card.brand, method.card.last4) == ("visa", "4242")
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_declined_card_answers_402_then_a_good_card_succeeds(client: stripe.StripeClient) -> None:
    intent = new_intent(client)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})

    error = declined.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error.decline_code == "generic_decline"
    assert error.user_message == "Your card was declined."
    assert error.error.payment_intent.id == intent.id
    assert error.error.payment_intent.status == "requires_payment_method"

    after = client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == "card_declined"
    assert after.last_payment_error.decline_code == "generic_decline"
    assert after.last_payment_error.payment_method.card.last4 == "0002"

    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded" and paid.last_payment_error is None


def test_insufficient_funds_token(client: stripe.StripeClient) -> None:
    intent = new_intent(client)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
        )
    assert declined.value.error.decline_code == "insufficient_funds"
    assert declined.value.user_message == "Your card has insufficient funds."


@pytest.mark.parametrize(
    ("method_data", "code", "decline_code", "message"),
    [
        (card("4242424242424242"), None, None, None),
        (card("4000000000000002"), "card_declined", "generic_decline", "Your card was declined."),
        (
            card("4000000000009995"),
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        (card("4242424242424241"), "incorrect_number", None, "Your card number is incorrect."),
        (
            card("4242424242424242", exp_month=1, exp_year=2020),
            "expired_card",
            None,
            "Your card has expired.",
        ),
    ],
    ids=["visa", "declined", "insufficient-funds", "bad-luhn", "expired"],
)
def test_confirm_with_raw_test_card_data(
    client: stripe.StripeClient,
    method_data: dict[str, object],
    code: str | None,
    decline_code: str | None,
    message: str | None,
) -> None:
    intent = new_intent(client)
    if code is None:
        paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method_data": method_data})
        assert paid.status == "succeeded"
        assert client.v1.payment_methods.retrieve(paid.payment_method).card.exp_year == 2034
        return
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method_data": method_data})
    assert declined.value.http_status == 402
    assert declined.value.code == code
    assert declined.value.json_body["error"].get("decline_code") == decline_code
    assert declined.value.user_message == message
    assert client.v1.payment_intents.retrieve(intent.id).last_payment_error.code == code


def test_confirming_a_succeeded_intent_is_an_unexpected_state(client: stripe.StripeClient) -> None:
    intent = new_intent(client)
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert refused.value.http_status == 400
    assert refused.value.code == "payment_intent_unexpected_state"


def test_update_merges_metadata_and_changes_amount_until_paid(client: stripe.StripeClient) -> None:
    intent = new_intent(client, metadata={"order_id": "ord_2", "hold_id": "h_1"})
    updated = client.v1.payment_intents.update(
        intent.id, params={"amount": 3000, "metadata": {"hold_id": "", "show_id": "s_9"}}
    )
    assert updated.amount == 3000
    assert updated.metadata.to_dict() == {"order_id": "ord_2", "show_id": "s_9"}

    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.update(intent.id, params={"amount": 100})
    assert refused.value.code == "payment_intent_unexpected_state"
    # metadata may still change after payment, as on Stripe
    assert client.v1.payment_intents.update(intent.id, params={"metadata": {"note": "x"}}).metadata.note == "x"


def test_cancel(client: stripe.StripeClient) -> None:
    intent = new_intent(client)
    canceled = client.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    assert canceled.canceled_at is not None
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert refused.value.code == "payment_intent_unexpected_state"

    paid = new_intent(client)
    client.v1.payment_intents.confirm(paid.id, params={"payment_method": "pm_card_visa"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(paid.id)


def test_wrong_key_is_401_with_stripe_error_json(standin: Standin) -> None:
    with pytest.raises(stripe.AuthenticationError) as refused:
        standin.client("sk_test_not_the_right_one").v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    assert refused.value.http_status == 401
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    assert "Invalid API Key provided" in refused.value.json_body["error"]["message"]
    assert "not_the_right_one" not in refused.value.json_body["error"]["message"]

    answer = httpx.post(f"{standin.url}/v1/payment_intents", data={"amount": "100", "currency": "eur"})
    assert answer.status_code == 401 and answer.json()["error"]["type"] == "invalid_request_error"


def test_unknown_objects_are_404_resource_missing(client: stripe.StripeClient) -> None:
    for retrieve in (
        client.v1.payment_intents.retrieve,
        client.v1.refunds.retrieve,
        client.v1.charges.retrieve,
    ):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            retrieve("xx_doesnotexist")
        assert missing.value.http_status == 404
        assert missing.value.code == "resource_missing"


def test_bad_parameters_are_400(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.create(params={"currency": "eur"})
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "amount")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(params={"amount": 100, "currency": "eur", "colour": "red"})
    assert unknown.value.code == "parameter_unknown"
    with pytest.raises(stripe.InvalidRequestError) as small:
        client.v1.payment_intents.create(params={"amount": 10, "currency": "eur"})
    assert small.value.code == "amount_too_small"


def test_expand_latest_charge(client: stripe.StripeClient) -> None:
    intent = new_intent(client)
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_mastercard"})
    expanded = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge", "payment_method"]})
    assert expanded.latest_charge.object == "charge"
    assert expanded.payment_method.card.brand == "mastercard"


def test_browser_confirms_with_publishable_key_and_client_secret(standin: Standin, client: stripe.StripeClient) -> None:
    """What Stripe.js does: ``key=pk_...`` and the client secret, from another origin (CORS)."""
    intent = new_intent(client)
    url = f"{standin.url}/v1/payment_intents/{intent.id}"
    browser = {"Origin": "http://shop.example"}

    wrong = httpx.get(
        url, params={"key": PUBLISHABLE_KEY, "client_secret": intent.id + "_secret_nope"}, headers=browser
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "client_secret"
    no_secret = httpx.post(url + "/confirm", data={"key": PUBLISHABLE_KEY, "payment_method": "pm_card_visa"})
    assert no_secret.status_code == 400
    secret_only_call = httpx.post(
        f"{standin.url}/v1/payment_intents", data={"key": PUBLISHABLE_KEY, "amount": "100", "currency": "eur"}
    )
    assert secret_only_call.status_code == 401

    preflight = httpx.options(url + "/confirm", headers={**browser, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"

    form = {
        "key": PUBLISHABLE_KEY,
        "client_secret": intent.client_secret,
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": "4000000000000002",
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2034",
        "payment_method_data[card][cvc]": "123",
    }
    declined = httpx.post(url + "/confirm", data=form, headers=browser)
    assert declined.status_code == 402
    assert declined.headers["access-control-allow-origin"] == "*"
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert error["payment_intent"]["id"] == intent.id
    assert "metadata" not in error["payment_intent"]  # a browser does not see the shop's metadata

    form["payment_method_data[card][number]"] = "4242424242424242"
    paid = httpx.post(url + "/confirm", data=form, headers=browser)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    assert "metadata" not in paid.json()

    seen = httpx.get(url, params={"key": PUBLISHABLE_KEY, "client_secret": intent.client_secret}, headers=browser)
    assert seen.status_code == 200 and seen.json()["status"] == "succeeded"
    assert seen.headers["access-control-allow-origin"] == "*"


def test_global_api_base_also_works(standin: Standin) -> None:
    saved = stripe.api_key, stripe.api_base
    stripe.api_key, stripe.api_base = SECRET_KEY, standin.url
    try:
        intent = stripe.PaymentIntent.create(amount=700, currency="gbp")
        assert stripe.PaymentIntent.retrieve(intent.id).amount == 700
    finally:
        stripe.api_key, stripe.api_base = saved


def test_payment_method_at_creation(client: stripe.StripeClient) -> None:
    at_once = client.v1.payment_intents.create(
        params={"amount": 900, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert at_once.status == "succeeded"

    attached = new_intent(client, payment_method="pm_card_amex")
    assert attached.status == "requires_confirmation"
    paid = client.v1.payment_intents.confirm(attached.id)
    assert paid.status == "succeeded"
    assert client.v1.payment_methods.retrieve(paid.payment_method).card.brand == "amex"

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        new_intent(client, payment_method="pm_doesnotexist", confirm=True)
    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "payment_method")


def test_async_httpx_client_as_the_backend_uses_it(standin: Standin) -> None:
    """The backend calls the SDK's *_async methods over stripe.HTTPXClient."""

    async def create_and_cancel() -> tuple[str, str]:
        client = stripe.StripeClient(
            SECRET_KEY, base_addresses={"api": standin.url}, http_client=stripe.HTTPXClient(timeout=5)
        )
        intent = await client.v1.payment_intents.create_async(
            params={"amount": 1500, "currency": "eur", "payment_method_types": ["card"], "metadata": {"o": "1"}},
            options={"idempotency_key": f"order-{uuid.uuid4()}-payment-intent"},
        )
        canceled = await client.v1.payment_intents.cancel_async(
            intent.id, params={"cancellation_reason": "abandoned"}, options={"idempotency_key": str(uuid.uuid4())}
        )
        return intent.status, canceled.status

    assert asyncio.run(create_and_cancel()) == ("requires_payment_method", "canceled")


def test_payment_intents_are_listed_newest_first_by_creation_time(client: stripe.StripeClient) -> None:
    """What a reconciler pages through: every intent made since a moment, with its charge expanded."""
    since = int(time.time())
    made = [new_intent(client) for _ in range(3)]
    paid = client.v1.payment_intents.confirm(made[1].id, params={"payment_method": "pm_card_visa"})

    listed = client.v1.payment_intents.list(params={"created": {"gte": since}, "limit": 100})
    assert listed.object == "list" and listed.url == "/v1/payment_intents" and listed.has_more is False
    assert [intent.id for intent in listed.data][:3] == [intent.id for intent in reversed(made)]
    walked = client.v1.payment_intents.list(params={"created": {"gte": since}, "limit": 1}).auto_paging_iter()
    assert [intent.id for intent in walked][:3] == [intent.id for intent in reversed(made)]
    assert client.v1.payment_intents.list(params={"created": {"gt": int(time.time()) + 60}}).data == []

    expanded = client.v1.payment_intents.list(params={"created": {"gte": since}, "expand": ["data.latest_charge"]})
    charged = next(intent for intent in expanded.data if intent.id == paid.id)
    assert charged.status == "succeeded" and charged.latest_charge.id == paid.latest_charge
    assert charged.latest_charge.amount_refunded == 0
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.list(params={"status": "succeeded"})
    assert unknown.value.http_status == 400
