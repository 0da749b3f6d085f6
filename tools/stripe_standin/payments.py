"""What the Stripe API does: PaymentIntents, their confirmation with test cards, refunds.

Knows nothing of HTTP: it takes decoded Stripe parameters, changes the store, records events and
returns Stripe objects or raises ``StripeError``. Every check runs before anything changes, so a
rejected call leaves no trace (a card decline is a change: Stripe records it too).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from . import cards, objects
from .errors import (
    StripeError,
    invalid_request,
    missing_param,
    resource_missing,
    unexpected_state,
    unknown_param,
)
from .store import Store
from .webhooks import Webhooks, snapshot

log = logging.getLogger("stripe_standin.payments")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the backend (secret key) or a browser (publishable key + client secret)."""

    publishable: bool = False


@dataclass(frozen=True)
class RequestInfo:
    request_id: str | None = None
    idempotency_key: str | None = None


BACKEND = Caller()

# Smallest chargeable amounts, https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MINIMUM_AMOUNTS = {
    "usd": 50, "eur": 50, "gbp": 30, "chf": 50, "cad": 50, "aud": 50, "nzd": 50, "jpy": 50, "sgd": 50,
    "hkd": 400, "sek": 300, "nok": 300, "dkk": 250, "pln": 200, "czk": 1500, "huf": 17500, "mxn": 1000,
}  # fmt: skip
MAXIMUM_AMOUNT = 99_999_999

# Objects whose id fields ``expand[]`` may replace by the object itself.
EXPANDABLE = {
    "payment_intent": {"latest_charge": "charge", "payment_method": "payment_method"},
    "refund": {"charge": "charge", "payment_intent": "payment_intent"},
    "charge": {"payment_intent": "payment_intent"},
}

# As Stripe's error message lists them. But Stripe cancels a `processing` PaymentIntent only "in rare cases"
# (https://docs.stripe.com/api/payment_intents/cancel), never a card payment on its way: neither does the stand-in.
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
CANCELLATION_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")

MISSING_PAYMENT_METHOD = (
    "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the "
    "PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a "
    "payment method."
)

_PAYMENT_METHOD_PARAMS = ("payment_method", "payment_method_data")
_CREATE_PARAMS = {
    "amount", "currency", "metadata", "automatic_payment_methods", "description", "receipt_email",
    "payment_method_types", "capture_method", "statement_descriptor", "statement_descriptor_suffix",
    "confirm", "return_url", "expand", *_PAYMENT_METHOD_PARAMS,
}  # fmt: skip
_UPDATE_PARAMS = {
    "amount", "currency", "metadata", "description", "receipt_email", "statement_descriptor",
    "statement_descriptor_suffix", "expand", *_PAYMENT_METHOD_PARAMS,
}  # fmt: skip
_CONFIRM_PARAMS = {
    "client_secret", "return_url", "expand", "receipt_email", "use_stripe_sdk",
    "expected_payment_method_type", *_PAYMENT_METHOD_PARAMS,
}  # fmt: skip


class Payments:
    def __init__(
        self,
        store: Store,
        webhooks: Webhooks,
        clock: Callable[[], float] = time.time,
        *,
        processing_seconds: float,
    ) -> None:
        self.store = store
        self.webhooks = webhooks
        self.clock = clock
        # How long a payment method of cards.SETTLING_LATER keeps its PaymentIntent `processing`.
        self.processing_seconds = processing_seconds
        self._processing_changed = asyncio.Event()

    # PaymentIntents

    def create_intent(self, params: dict[str, Any], request: RequestInfo) -> dict[str, Any]:
        _only(params, _CREATE_PARAMS)
        if "amount" not in params:
            raise missing_param("amount")
        if "currency" not in params:
            raise missing_param("currency")
        currency = _currency(params["currency"])
        amount = _amount(params["amount"], currency)
        confirm = _boolean(params, "confirm", default=False)
        methods = params.get("payment_method_types", ["card"])
        if not isinstance(methods, list) or any(method != "card" for method in methods):
            raise invalid_request(
                "The Stripe stand-in only supports the payment method type 'card'.",
                code="payment_intent_invalid_parameter",
                param="payment_method_types",
            )
        automatic = None
        if "payment_method_types" not in params:
            automatic = {"allow_redirects": "always", "enabled": True}
        if "automatic_payment_methods" in params:
            settings = params["automatic_payment_methods"]
            if not isinstance(settings, dict):
                raise invalid_request("Invalid object", param="automatic_payment_methods")
            enabled = _boolean(settings, "enabled", param="automatic_payment_methods[enabled]")
            if enabled is None:
                raise missing_param("automatic_payment_methods[enabled]")
            redirects = settings.get("allow_redirects", "always")
            if redirects not in ("always", "never"):
                raise invalid_request("Invalid allow_redirects", param="automatic_payment_methods[allow_redirects]")
            automatic = {"allow_redirects": redirects, "enabled": enabled} if enabled else None
        capture_method = params.get("capture_method", "automatic_async")
        if capture_method not in ("automatic", "automatic_async"):
            raise invalid_request("The Stripe stand-in only supports automatic capture.", param="capture_method")
        now = int(self.clock())
        intent = objects.payment_intent(
            created=now,
            amount=amount,
            currency=currency,
            metadata=_metadata(params.get("metadata", {}), current={}),
            description=_optional_string(params, "description"),
            receipt_email=_optional_string(params, "receipt_email"),
            automatic_payment_methods=automatic,
            payment_method_types=["card"],
            capture_method=capture_method,
            statement_descriptor=_optional_string(params, "statement_descriptor"),
            statement_descriptor_suffix=_optional_string(params, "statement_descriptor_suffix"),
        )
        # A payment method named here is checked before the PaymentIntent exists, so a refusal
        # (unknown or unusable method) leaves nothing behind.
        resolved = None
        if any(name in params for name in _PAYMENT_METHOD_PARAMS):
            resolved = self._payment_method_from(params)
            if not confirm:
                intent.update(payment_method=_usable(resolved)["id"], status="requires_confirmation")
        elif confirm:
            raise unexpected_state(MISSING_PAYMENT_METHOD)
        self.store.put(intent)
        self._event("payment_intent.created", intent, request)
        if confirm:
            return self._confirm(intent, params, BACKEND, request, resolved)
        return self.render(intent, params)

    def retrieve_intent(self, intent_id: str, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        _only(params, {"client_secret", "expand"})
        intent = self._intent(intent_id)
        self._check_client_secret(intent, params, caller)
        return self._intent_view(intent, params, caller)

    def update_intent(self, intent_id: str, params: dict[str, Any], request: RequestInfo) -> dict[str, Any]:
        _only(params, _UPDATE_PARAMS)
        intent = self._intent(intent_id, for_update=True)
        changes: dict[str, Any] = {}
        money_or_method = {"amount", "currency", *_PAYMENT_METHOD_PARAMS} & params.keys()
        if money_or_method and intent["status"] not in UPDATABLE:
            raise unexpected_state(
                f"You cannot update this PaymentIntent because it has a status of {intent['status']}. "
                "Updates are only allowed when the PaymentIntent has one of the following statuses: "
                + ", ".join(UPDATABLE)
                + ".",
                payment_intent=self.render(intent, {}),
            )
        currency = _currency(params["currency"]) if "currency" in params else intent["currency"]
        if "currency" in params:
            changes["currency"] = currency
        if "amount" in params or "currency" in params:
            changes["amount"] = _amount(params.get("amount", intent["amount"]), currency)
        if "metadata" in params:
            changes["metadata"] = _metadata(params["metadata"], current=intent["metadata"])
        for name in ("description", "receipt_email", "statement_descriptor", "statement_descriptor_suffix"):
            if name in params:
                changes[name] = _optional_string(params, name)
        if any(name in params for name in _PAYMENT_METHOD_PARAMS):
            attached = _usable(self._payment_method_from(params))
            changes.update(payment_method=attached["id"], status="requires_confirmation")
        intent.update(changes)
        return self.render(intent, params)

    def confirm_intent(
        self, intent_id: str, params: dict[str, Any], caller: Caller, request: RequestInfo
    ) -> dict[str, Any]:
        _only(params, _CONFIRM_PARAMS)
        intent = self._intent(intent_id, for_update=True)
        self._check_client_secret(intent, params, caller)
        return self._confirm(intent, params, caller, request)

    def cancel_intent(self, intent_id: str, params: dict[str, Any], request: RequestInfo) -> dict[str, Any]:
        _only(params, {"cancellation_reason", "expand"})
        intent = self._intent(intent_id, for_update=True)
        reason = params.get("cancellation_reason")
        if reason is not None and reason not in CANCELLATION_REASONS:
            raise invalid_request(
                f"Invalid cancellation_reason: must be one of {', '.join(CANCELLATION_REASONS)}",
                param="cancellation_reason",
            )
        if intent["status"] not in CANCELABLE or intent["status"] == "processing":
            raise unexpected_state(
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. "
                "Only a PaymentIntent with one of the following statuses may be canceled: "
                + ", ".join(CANCELABLE)
                + ".",
                payment_intent=self.render(intent, {}),
            )
        intent.update(status="canceled", canceled_at=int(self.clock()), cancellation_reason=reason)
        self._event("payment_intent.canceled", intent, request)
        return self.render(intent, params)

    def _confirm(
        self,
        intent: dict[str, Any],
        params: dict[str, Any],
        caller: Caller,
        request: RequestInfo,
        resolved: tuple[dict[str, Any] | None, cards.Decline | None] | None = None,
    ) -> dict[str, Any]:
        if intent["status"] == "succeeded":
            raise unexpected_state(
                "You cannot confirm this PaymentIntent because it has already succeeded after being "
                "previously confirmed.",
                payment_intent=self._intent_view(intent, {}, caller),
            )
        if intent["status"] not in CONFIRMABLE:
            raise unexpected_state(
                f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}.",
                payment_intent=self._intent_view(intent, {}, caller),
            )
        if resolved is not None:
            method, decline = resolved
        elif any(name in params for name in _PAYMENT_METHOD_PARAMS):
            method, decline = self._payment_method_from(params)
        elif intent["payment_method"]:
            method = self.store.get("payment_method", intent["payment_method"])
            decline = self._decline_of(method)
        else:
            raise unexpected_state(MISSING_PAYMENT_METHOD, payment_intent=self._intent_view(intent, {}, caller))
        now = int(self.clock())
        if "receipt_email" in params:
            intent["receipt_email"] = _optional_string(params, "receipt_email")

        if method is not None and self.store.settles_later.get(method["id"]):
            return self._start_processing(intent, method, params, caller, request, now)
        if decline is None:
            assert method is not None
            charge = self.store.put(objects.charge(intent, method, created=now, decline=None))
            intent.update(
                status="succeeded",
                amount_received=intent["amount"],
                latest_charge=charge["id"],
                payment_method=method["id"],
                last_payment_error=None,
            )
            self._event("payment_intent.succeeded", intent, request)
            return self._intent_view(intent, params, caller)

        charge_id = None
        if decline.charge_attempted and method is not None:
            charge_id = self.store.put(objects.charge(intent, method, created=now, decline=decline))["id"]
            intent["latest_charge"] = charge_id
        payment_error = objects.payment_error(decline, method=method, charge_id=charge_id)
        intent.update(status="requires_payment_method", payment_method=None, last_payment_error=payment_error)
        self._event("payment_intent.payment_failed", intent, request)
        extra = {
            key: value
            for key, value in payment_error.items()
            if key not in ("type", "code", "message", "param", "decline_code", "doc_url")
        }
        raise StripeError(
            402,
            "card_error",
            decline.message,
            code=decline.code,
            param=decline.param,
            decline_code=decline.decline_code,
            payment_intent=self._intent_view(intent, {}, caller),
            **extra,
        )

    # processing: a payment that settles later

    def _start_processing(
        self,
        intent: dict[str, Any],
        method: dict[str, Any],
        params: dict[str, Any],
        caller: Caller,
        request: RequestInfo,
        now: int,
    ) -> dict[str, Any]:
        """Confirmed, but the money is not there yet: the charge is pending and the PaymentIntent `processing`
        (no next_action: nothing is asked of the customer) until ``processing_seconds`` have passed."""
        charge = self.store.put(objects.charge(intent, method, created=now, decline=None, pending=True))
        intent.update(
            status="processing",
            latest_charge=charge["id"],
            payment_method=method["id"],
            last_payment_error=None,
            next_action=None,
        )
        self.store.processing[intent["id"]] = self.clock() + self.processing_seconds
        self._event("payment_intent.processing", intent, request)
        self._processing_changed.set()
        return self._intent_view(intent, params, caller)

    def settle_due(self) -> float | None:
        """Settle every processing PaymentIntent whose time has come; returns the seconds until the next is due."""
        now = self.clock()
        due = sorted((at, intent_id) for intent_id, at in self.store.processing.items() if at <= now)
        for _, intent_id in due:
            self._settle(intent_id)
        if due:
            self.store.flush(now)
        upcoming = self.store.processing.values()
        return max(0.0, min(upcoming) - now) if upcoming else None

    def _settle(self, intent_id: str) -> None:
        del self.store.processing[intent_id]
        intent = self.store.get("payment_intent", intent_id, for_update=True)
        if intent is None or intent["status"] != "processing":
            return
        method = self.store.get("payment_method", intent["payment_method"])
        assert method is not None
        decline = self._decline_of(method)
        pending = self.store.get("charge", intent["latest_charge"])
        created = pending["created"] if pending else int(self.clock())
        charge = self.store.put(
            objects.charge(intent, method, created=created, decline=decline, charge_id=intent["latest_charge"])
        )
        # Stripe moved it on by itself: its events name no API request.
        if decline is None:
            intent.update(status="succeeded", amount_received=intent["amount"])
            self._event("payment_intent.succeeded", intent, RequestInfo())
        else:
            payment_error = objects.payment_error(decline, method=method, charge_id=charge["id"])
            intent.update(status="requires_payment_method", payment_method=None, last_payment_error=payment_error)
            self._event("payment_intent.payment_failed", intent, RequestInfo())
        log.info("%s settled after processing: %s", intent_id, intent["status"])

    def finish_processing(self, intent_id: str) -> dict[str, Any]:
        """The test control: a processing PaymentIntent settles now rather than when its time comes."""
        intent = self._intent(intent_id)
        if intent_id not in self.store.processing:
            raise unexpected_state(
                f"This PaymentIntent has a status of {intent['status']}; only a processing one can settle.",
                payment_intent=self.render(intent, {}),
            )
        self.store.processing[intent_id] = self.clock()
        self.settle_due()
        self._processing_changed.set()
        return self.render(intent, {})

    async def run_processing(self) -> None:
        """The background task that settles processing PaymentIntents when their time comes (also those a
        restart found overdue: at once)."""
        while True:
            self._processing_changed.clear()
            try:
                delay = self.settle_due()
            except Exception:
                # A bug here must not leave every later payment processing forever: say so, and try again.
                log.exception("settling processing payments failed unexpectedly; trying again in 1 s")
                delay = 1.0
            try:
                async with asyncio.timeout(delay):
                    await self._processing_changed.wait()
            except TimeoutError:
                pass

    # payment methods

    def _payment_method_from(self, params: dict[str, Any]) -> tuple[dict[str, Any] | None, cards.Decline | None]:
        """The payment method a confirm names, created from test tokens or raw card data as Stripe does."""
        today = datetime.fromtimestamp(self.clock(), UTC).date()
        if "payment_method_data" in params:
            data = params["payment_method_data"]
            if not isinstance(data, dict):
                raise invalid_request("Invalid object", param="payment_method_data")
            _only(
                data,
                {"type", "card", "billing_details", "metadata", "allow_redisplay"},
                "payment_method_data",
            )
            if data.get("type") != "card":
                raise invalid_request(
                    "The Stripe stand-in only supports payment_method_data[type]=card.",
                    param="payment_method_data[type]",
                )
            card_params = data.get("card")
            if not isinstance(card_params, dict):
                raise missing_param("payment_method_data[card]")
            _only(card_params, {"number", "exp_month", "exp_year", "cvc"}, "payment_method_data[card]")
            card, decline = cards.examine(card_params, today)
            if decline is not None and not decline.charge_attempted:
                return None, decline  # Stripe refuses such a card before creating a payment method
        else:
            reference = params["payment_method"]
            if not isinstance(reference, str):
                raise invalid_request("Invalid string", param="payment_method")
            ready_made = cards.card_for_test_token(reference, today)
            if ready_made is None:
                method = self.store.get("payment_method", reference)
                if method is None:
                    raise StripeError(
                        400,
                        "invalid_request_error",
                        f"No such PaymentMethod: '{reference}'",
                        code="resource_missing",
                        param="payment_method",
                    )
                return method, self._decline_of(method)
            card, decline = ready_made
        assert card is not None
        method = self.store.put(objects.payment_method(card, created=int(self.clock())))
        self.store.card_outcomes[method["id"]] = asdict(decline) if decline else None
        if "payment_method" in params and params["payment_method"] in cards.SETTLING_LATER:
            self.store.settles_later[method["id"]] = True
        return method, decline

    def _decline_of(self, method: dict[str, Any] | None) -> cards.Decline | None:
        outcome = self.store.card_outcomes.get(method["id"]) if method else None
        return cards.Decline(**outcome) if outcome else None

    # refunds

    def create_refund(self, params: dict[str, Any], request: RequestInfo) -> dict[str, Any]:
        """Refund all that is left of a charge, or ``amount`` of it. Several refunds of one charge add up to at
        most what was captured; each sends ``charge.refunded`` (the Charge) and ``refund.created`` (the Refund)."""
        _only(params, {"payment_intent", "charge", "amount", "metadata", "reason", "expand"})
        # The parameters first, as Stripe checks them before it looks at the charge.
        amount = _integer(params["amount"], "amount") if "amount" in params else None
        if amount is not None and amount < 1:
            raise invalid_request(
                "This value must be greater than or equal to 1.", code="parameter_invalid_integer", param="amount"
            )
        reason = params.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid_request(f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", param="reason")
        metadata = _metadata(params.get("metadata", {}), current={})
        charge = self._charge_to_refund(params)
        if charge["status"] != "succeeded":
            raise invalid_request(f"Charge {charge['id']} has not succeeded.", code="charge_not_refundable")
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise invalid_request(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
        if amount is None:
            amount = remaining
        if amount > remaining:
            currency = charge["currency"]
            limit = (
                f"charge amount ({_money(charge['amount'], currency)})"
                if charge["amount_refunded"] == 0
                else f"unrefunded amount on charge ({_money(remaining, currency)})"
            )
            raise invalid_request(
                f"Refund amount ({_money(amount, currency)}) is greater than {limit}",
                code="amount_too_large",
                param="amount",
            )
        refund = self.store.put(
            objects.refund(charge, amount=amount, created=int(self.clock()), metadata=metadata, reason=reason)
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.store.put(charge)
        self._event("charge.refunded", charge, request)
        self._event("refund.created", refund, request)
        return self.render(refund, params)

    def _charge_to_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        if "charge" in params:
            charge = self.store.get("charge", str(params["charge"]), for_update=True)
            if charge is None:
                raise _no_such("charge", str(params["charge"]))
            if "payment_intent" in params and params["payment_intent"] != charge["payment_intent"]:
                raise invalid_request(
                    f"The charge {charge['id']} does not belong to the PaymentIntent {params['payment_intent']}.",
                    param="payment_intent",
                )
            return charge
        if "payment_intent" not in params:
            raise invalid_request(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
            )
        intent_id = str(params["payment_intent"])
        intent = self.store.get("payment_intent", intent_id)
        if intent is None:
            raise _no_such("payment_intent", intent_id)
        charge = self.store.get("charge", intent["latest_charge"], for_update=True) if intent["latest_charge"] else None
        if intent["status"] != "succeeded" or charge is None:
            raise invalid_request(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                code="charge_not_refundable" if charge else None,
                param="payment_intent",
            )
        return charge

    def list_refunds(self, params: dict[str, Any]) -> dict[str, Any]:
        """``GET /v1/refunds``: newest first, filtered by ``payment_intent`` or ``charge`` and ``created``."""
        _only(params, {"payment_intent", "charge", "limit", "starting_after", "ending_before", "created", "expand"})
        limit = _integer(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise invalid_request("This value must be between 1 and 100.", param="limit")
        if "payment_intent" in params:
            intent_id = str(params["payment_intent"])
            if self.store.get("payment_intent", intent_id) is None:
                raise _no_such("payment_intent", intent_id)
            refunds = self.store.refunds_of(intent_id)
        elif "charge" in params:
            charge = self.store.get("charge", str(params["charge"]))
            if charge is None:
                raise _no_such("charge", str(params["charge"]))
            refunds = [r for r in self.store.refunds_of(charge["payment_intent"]) if r["charge"] == charge["id"]]
        else:
            refunds = list(self.store.values("refund"))
        refunds.reverse()
        if "created" in params:
            refunds = [refund for refund in refunds if _created_matches(refund["created"], params["created"])]
        expand = params.get("expand", [])
        item_params = {"expand": [_list_expansion(path) for path in ([expand] if isinstance(expand, str) else expand)]}
        return self._page(refunds, params, limit, "/v1/refunds", item_params)

    def list_intents(self, params: dict[str, Any]) -> dict[str, Any]:
        """``GET /v1/payment_intents``: newest first, filtered by ``created`` (what a reconciler pages through)."""
        _only(params, {"limit", "starting_after", "ending_before", "created", "expand"})
        limit = _integer(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise invalid_request("This value must be between 1 and 100.", param="limit")
        # Newest first, and among those of one second the last made first (stable sort of the reversed store).
        intents = sorted(reversed(list(self.store.values("payment_intent"))), key=lambda intent: intent["created"],
                         reverse=True)
        if "created" in params:
            intents = [intent for intent in intents if _created_matches(intent["created"], params["created"])]
        expand = params.get("expand", [])
        item_params = {"expand": [_list_expansion(path) for path in ([expand] if isinstance(expand, str) else expand)]}
        return self._page(intents, params, limit, "/v1/payment_intents", item_params)

    def _page(
        self,
        items: list[dict[str, Any]],
        params: dict[str, Any],
        limit: int,
        url: str,
        item_params: dict[str, Any],
    ) -> dict[str, Any]:
        """One page of a Stripe list (``items`` newest first), by ``starting_after`` or ``ending_before``."""
        ids = [item["id"] for item in items]
        if "starting_after" in params:
            cursor = str(params["starting_after"])
            if cursor not in ids:
                raise resource_missing(items[0]["object"] if items else "object", cursor, param="starting_after")
            items = items[ids.index(cursor) + 1 :]
            page, has_more = items[:limit], len(items) > limit
        elif "ending_before" in params:
            cursor = str(params["ending_before"])
            if cursor not in ids:
                raise resource_missing(items[0]["object"] if items else "object", cursor, param="ending_before")
            items = items[: ids.index(cursor)]
            page, has_more = items[-limit:], len(items) > limit
        else:
            page, has_more = items[:limit], len(items) > limit
        return {
            "object": "list",
            "data": [self.render(item, item_params) for item in page],
            "has_more": has_more,
            "url": url,
        }

    # reading

    def retrieve(self, object_type: str, object_id: str, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, {"expand"})
        obj = self.store.get(object_type, object_id)
        if obj is None:
            raise resource_missing(object_type, object_id)
        return self.render(obj, params)

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        event = self.store.events.get(event_id)
        if event is None:
            raise resource_missing("event", event_id)
        return event

    def list_events(self, params: dict[str, Any]) -> dict[str, Any]:
        _only(params, {"limit", "type", "starting_after"})
        limit = _integer(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise invalid_request("This value must be between 1 and 100.", param="limit")
        events = list(reversed(self.store.events.values()))
        if "type" in params:
            events = [event for event in events if event["type"] == params["type"]]
        if "starting_after" in params:
            ids = [event["id"] for event in events]
            if params["starting_after"] not in ids:
                raise resource_missing("event", str(params["starting_after"]), param="starting_after")
            events = events[ids.index(params["starting_after"]) + 1 :]
        return {
            "object": "list",
            "data": events[:limit],
            "has_more": len(events) > limit,
            "url": "/v1/events",
        }

    def render(self, obj: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``obj`` as the API answers it, with the fields named by ``expand[]`` expanded."""
        result = snapshot(obj)
        expand = params.get("expand", [])
        for path in [expand] if isinstance(expand, str) else expand:
            if obj["object"] == "charge" and path == "refunds":
                # Not part of a Charge since API version 2022-11-15, unless expanded.
                refunds = [r for r in self.store.refunds_of(obj["payment_intent"]) if r["charge"] == obj["id"]]
                result["refunds"] = {
                    "object": "list",
                    "data": [snapshot(refund) for refund in reversed(refunds)],
                    "has_more": False,
                    "total_count": len(refunds),
                    "url": f"/v1/charges/{obj['id']}/refunds",
                }
                continue
            target = EXPANDABLE.get(obj["object"], {}).get(path)
            if target is None:
                raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
            if isinstance(result.get(path), str):
                expanded = self.store.get(target, result[path])
                result[path] = snapshot(expanded) if expanded is not None else None
        return result

    # helpers

    def _intent(self, intent_id: str, *, for_update: bool = False) -> dict[str, Any]:
        intent = self.store.get("payment_intent", intent_id, for_update=for_update)
        if intent is None:
            raise resource_missing("payment_intent", intent_id, param="intent")
        return intent

    def _intent_view(self, intent: dict[str, Any], params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        if caller.publishable:
            return objects.publishable_view(snapshot(intent))
        return self.render(intent, params)

    def _check_client_secret(self, intent: dict[str, Any], params: dict[str, Any], caller: Caller) -> None:
        if not caller.publishable:
            return
        secret = params.get("client_secret")
        if not secret:
            raise missing_param("client_secret")
        if secret != intent["client_secret"]:
            raise invalid_request(
                "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
                code="payment_intent_invalid_parameter",
                param="client_secret",
            )

    def _event(self, event_type: str, obj: dict[str, Any], request: RequestInfo) -> None:
        self.webhooks.record(event_type, obj, request_id=request.request_id, idempotency_key=request.idempotency_key)


def _usable(resolved: tuple[dict[str, Any] | None, cards.Decline | None]) -> dict[str, Any]:
    """A payment method to attach; a card refused before any charge is a card error right away."""
    method, decline = resolved
    if method is None:
        assert decline is not None
        raise StripeError(402, "card_error", decline.message, code=decline.code, param=decline.param)
    return method


def _only(params: dict[str, Any], allowed: set[str], prefix: str | None = None) -> None:
    for name in params:
        if name not in allowed:
            raise unknown_param(f"{prefix}[{name}]" if prefix else name)


def _integer(value: Any, param: str) -> int:
    text = str(value)
    if not text.lstrip("-").isdigit():
        raise invalid_request(f"Invalid integer: {text}", code="parameter_invalid_integer", param=param)
    return int(text)


def _amount(value: Any, currency: str) -> int:
    amount = _integer(value, "amount")
    if amount < 1:
        raise invalid_request(
            "This value must be greater than or equal to 1.", code="parameter_invalid_integer", param="amount"
        )
    minimum = MINIMUM_AMOUNTS.get(currency, 1)
    if amount < minimum:
        raise invalid_request(
            f"Amount must be at least {minimum} {currency} (in the currency's smallest unit)",
            code="amount_too_small",
            param="amount",
        )
    if amount > MAXIMUM_AMOUNT:
        raise invalid_request(
            f"Amount must be no more than {MAXIMUM_AMOUNT} {currency}",
            code="amount_too_large",
            param="amount",
        )
    return amount


def _currency(value: Any) -> str:
    currency = str(value).lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid_request(f"Invalid currency: {value}.", code="parameter_invalid_string", param="currency")
    return currency


def _boolean(params: dict[str, Any], name: str, *, default: bool | None = None, param: str | None = None) -> Any:
    if name not in params:
        return default
    value = params[name]
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise invalid_request(f"Invalid boolean: {value}", param=param or name)


def _optional_string(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, dict | list):
        raise invalid_request("Invalid string", param=name)
    return value or None  # Stripe: an empty string unsets the field


def _metadata(value: Any, *, current: dict[str, str]) -> dict[str, str]:
    """Stripe's metadata rules: merge into ``current``; ``key=""`` deletes a key, ``metadata=""`` all."""
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid_request("Invalid hash", param="metadata")
    merged = dict(current)
    for key, item in value.items():
        if not isinstance(item, str):
            raise invalid_request("Invalid string", param=f"metadata[{key}]")
        if len(key) > 40:
            raise invalid_request("Metadata keys can have at most 40 characters", param=f"metadata[{key}]")
        if len(item) > 500:
            raise invalid_request("Metadata values can have at most 500 characters", param=f"metadata[{key}]")
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    if len(merged) > 50:
        raise invalid_request("Metadata can have at most 50 keys", param="metadata")
    return merged


def _no_such(kind: str, object_id: str) -> StripeError:
    """An object named by a parameter (not by the URL) that does not exist: 400, as Stripe answers it."""
    return StripeError(
        400, "invalid_request_error", f"No such {kind}: '{object_id}'", code="resource_missing", param=kind
    )


_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "chf": "CHF "}
_ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf",
                 "xof", "xpf"}  # fmt: skip


def _money(amount: int, currency: str) -> str:
    """An amount as Stripe's messages write it: "$25.00", "£93.90"."""
    value = str(amount) if currency in _ZERO_DECIMAL else f"{amount // 100}.{amount % 100:02d}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def _list_expansion(path: str) -> str:
    """``expand[]=data.charge`` on a list expands ``charge`` in each item."""
    if not path.startswith("data."):
        raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
    return path.removeprefix("data.")


def _created_matches(created: int, condition: Any) -> bool:
    """Stripe's ``created`` filter: an exact timestamp, or ``created[gt|gte|lt|lte]``."""
    if not isinstance(condition, dict):
        return created == _integer(condition, "created")
    checks = {
        "gt": lambda bound: created > bound,
        "gte": lambda bound: created >= bound,
        "lt": lambda bound: created < bound,
        "lte": lambda bound: created <= bound,
    }
    for operator, value in condition.items():
        if operator not in checks:
            raise unknown_param(f"created[{operator}]")
        if not checks[operator](_integer(value, f"created[{operator}]")):
            return False
    return True
