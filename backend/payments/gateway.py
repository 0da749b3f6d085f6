"""The one place that talks to Stripe: the SDK client, the script URL browsers load, webhook verification.

With no real key configured the launcher (backend/launcher/serve.py) starts the offline Stripe stand-in and hands the app
its address as STRIPE_API_BASE; the real SDK is pointed there, so the code path is the one production runs.
The rest of the payments package sees plain snapshots (`IntentSnapshot`, `RefundSnapshot`), never SDK objects,
and the gateway's own errors, never the SDK's.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec
import stripe

from backend.ids import ascii_int
from backend.settings import Settings

logger = logging.getLogger("showtime.payments.gateway")
# The SDK logs every request at INFO: in a flash sale that is noise (and ~3 % of the app's CPU in bench/sellout.py's
# profile), and failures are logged here anyway.
logging.getLogger("stripe").setLevel(logging.WARNING)

REAL_STRIPE_JS = "https://js.stripe.com/v3/"
# Stripe's own network retries reuse the idempotency key we pass, so a retry can never charge twice.
NETWORK_RETRIES = 2
REQUEST_TIMEOUT_S = 20
# The PaymentIntent's metadata key listing its order's seats, comma-separated (at most MAX_SEATS_PER_ORDER ids: far
# below Stripe's 500 characters a value): with order_id, show_id, hold_id and profile_id, enough to write the order
# again should the database lose it in a failover (reconciler.py).
SEAT_IDS_METADATA = "seat_ids"


class GatewayError(Exception):
    """Stripe could not be asked (network, outage, rate limit, bad configuration): try again later."""


class IntentMissing(GatewayError):
    """Stripe does not know this PaymentIntent (another account, or another stand-in in tests)."""


class IntentNotCancelable(GatewayError):
    """The PaymentIntent already succeeded or is in a state that cannot be canceled."""


class InvalidWebhook(Exception):
    """The webhook's signature does not verify: forged, altered, stale, from the future or missing."""


class MalformedWebhook(Exception):
    """The webhook's signature verifies but its body is not a Stripe event (no id, a list, wrong types)."""


class _EventObject(msgspec.Struct):
    object: str | None = None
    id: str | None = None


class _EventData(msgspec.Struct):
    object: _EventObject


class _EventEnvelope(msgspec.Struct):
    """What this service reads of an event; anything else Stripe sends is ignored."""

    id: str
    type: str
    data: _EventData
    created: int | None = None  # Stripe's time of the event (Unix seconds): how late its delivery came


@dataclass(frozen=True)
class PaymentError:
    """Why a card was refused, as the fan may be told: never the card itself."""

    code: str | None
    decline_code: str | None
    message: str | None


@dataclass(frozen=True)
class IntentSnapshot:
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str  # upper case, as orders store it
    metadata: dict[str, str]
    client_secret: str | None
    last_payment_error: PaymentError | None
    # When the latest charge was made (Stripe's time, Unix seconds), when it was read back with the intent.
    charged_at: int | None = None
    created: int = 0  # Stripe's time of the intent's creation (Unix seconds)
    # How much of the latest charge Stripe has refunded (read with the expanded charge; 0 when not expanded).
    amount_refunded: int = 0

    @property
    def order_id(self) -> int | None:
        return ascii_int(self.metadata.get("order_id", ""))


@dataclass(frozen=True)
class RefundSnapshot:
    id: str
    amount: int
    currency: str
    status: str


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    object_type: str | None
    object_id: str | None
    created: int | None = None


def _signed_at(signature: str) -> int:
    """The `t=` of a Stripe-Signature header the SDK has already verified (so it is there and numeric)."""
    return max(int(value) for key, _, value in (item.partition("=") for item in signature.split(",")) if key == "t")


def order_idempotency_key(order_id: int, hold_id: str, action: str) -> str:
    """Stripe remembers idempotency keys for a day: the hold id (random) keeps a key from ever meeting an older
    order with the same number, e.g. after a development database was reset."""
    return f"showtime-order-{order_id}-{hold_id}-{action}"


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if isinstance(obj, stripe.StripeObject) else dict(obj)


def _amount_refunded(charge: Any) -> int:
    refunded = charge.get("amount_refunded") if isinstance(charge, dict) else None
    return refunded if isinstance(refunded, int) else 0


def _charged_at(charge: Any) -> int | None:
    """The time of an expanded `latest_charge` (only that: the charge also names the card, which we do not keep)."""
    created = charge.get("created") if isinstance(charge, dict) else None
    return created if isinstance(created, int) else None


def _intent(obj: Any) -> IntentSnapshot:
    obj = _plain(obj)
    error = obj.get("last_payment_error")
    return IntentSnapshot(
        id=obj["id"],
        status=obj["status"],
        amount=int(obj.get("amount") or 0),
        amount_received=int(obj.get("amount_received") or 0),
        currency=str(obj.get("currency") or "").upper(),
        metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()},
        client_secret=obj.get("client_secret"),
        # Only the reason: Stripe's error also names the payment method (brand, last4), which we do not keep.
        last_payment_error=PaymentError(
            code=error.get("code"), decline_code=error.get("decline_code"), message=error.get("message"),
        ) if error else None,
        charged_at=_charged_at(obj.get("latest_charge")),
        created=int(obj.get("created") or 0),
        amount_refunded=_amount_refunded(obj.get("latest_charge")),
    )


def _refund(obj: Any) -> RefundSnapshot:
    obj = _plain(obj)
    return RefundSnapshot(id=obj["id"], amount=int(obj["amount"]), currency=str(obj["currency"]).upper(),
                          status=str(obj["status"]))


def _unreachable(action: str, exc: stripe.StripeError) -> GatewayError:
    # The SDK's message may quote request parameters; the type and code are enough to act on.
    logger.warning("stripe %s failed: %s %s", action, type(exc).__name__, getattr(exc, "code", None))
    return GatewayError(f"Stripe could not {action} ({type(exc).__name__}).")


class StripeGateway:
    def __init__(self, *, secret_key: str, publishable_key: str, webhook_secret: str | None,
                 api_base: str | None) -> None:
        base_addresses: dict[str, str] = {"api": api_base.rstrip("/")} if api_base else {}
        # aiohttp, not the SDK's default httpx: every call here is async, and httpx's request path cost the app
        # more CPU than the rest of a checkout or a settle call (bench/sellout.py: 15.5 ms of app CPU per paid order
        # with httpx, 11.7 ms with aiohttp; docs/performance.md). Its session opens on the first call, in the
        # event loop that makes it, and `close` ends it.
        self._http = stripe.AIOHTTPClient(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses=base_addresses,  # type: ignore[arg-type]
            max_network_retries=NETWORK_RETRIES,
            http_client=self._http,
        )
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.webhook_secret = webhook_secret
        # The stand-in serves its Stripe.js-compatible script (and the card iframe) from its own origin.
        self.js_url = f"{api_base.rstrip('/')}/v3/" if api_base else REAL_STRIPE_JS
        # Names the Stripe account (and endpoint) without revealing the key: processes that share it share work.
        self.account_tag = hashlib.sha256(f"{secret_key}|{api_base or ''}".encode()).hexdigest()[:16]

    async def close(self) -> None:
        """End the HTTP session (its connections to Stripe); the gateway is not used after this."""
        await self._http.close_async()

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway:
        if not settings.stripe_secret_key or not settings.stripe_publishable_key:
            raise RuntimeError("STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY are not set: start the app through "
                               "`just serve`, which starts the Stripe stand-in when no real key is configured")
        if not settings.stripe_webhook_secret:
            logger.error("STRIPE_WEBHOOK_SECRET is not set: every webhook will be refused; the reconciler alone "
                         "will settle payments")
        return cls(secret_key=settings.stripe_secret_key, publishable_key=settings.stripe_publishable_key,
                   webhook_secret=settings.stripe_webhook_secret, api_base=settings.stripe_api_base)

    async def create_intent(self, *, amount_cents: int, currency: str, metadata: dict[str, str],
                            description: str, idempotency_key: str) -> IntentSnapshot:
        try:
            intent = await self.client.v1.payment_intents.create_async(
                params={
                    "amount": amount_cents,
                    "currency": currency.lower(),
                    # Cards and wallets, never a redirect away from the seat map (and no return_url to manage).
                    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                    "metadata": metadata,
                    "description": description,
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _unreachable("create a PaymentIntent", exc) from None
        return _intent(intent)

    async def retrieve_intent(self, intent_id: str) -> IntentSnapshot:
        try:
            # The charge expanded for its time only: payment → paid is measured from it (backend.infra.metrics).
            intent = await self.client.v1.payment_intents.retrieve_async(intent_id,
                                                                          params={"expand": ["latest_charge"]})
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                raise IntentMissing(f"Stripe does not know PaymentIntent {intent_id}.") from None
            raise _unreachable("read a PaymentIntent", exc) from None
        except stripe.StripeError as exc:
            raise _unreachable("read a PaymentIntent", exc) from None
        return _intent(intent)

    async def intents_created_since(self, created_gte: int) -> list[IntentSnapshot]:
        """Every PaymentIntent created at or after `created_gte` (Stripe's time, Unix seconds), newest first, each
        with its charge: what the reconciler holds the database against after a failover (reconciler.py)."""
        try:
            page = await self.client.v1.payment_intents.list_async(
                params={"created": {"gte": created_gte}, "limit": 100, "expand": ["data.latest_charge"]})
            return [_intent(intent) async for intent in page.auto_paging_iter()]
        except stripe.StripeError as exc:
            raise _unreachable("list PaymentIntents", exc) from None

    async def cancel_intent(self, intent_id: str, idempotency_key: str) -> IntentSnapshot:
        try:
            intent = await self.client.v1.payment_intents.cancel_async(
                intent_id, params={"cancellation_reason": "abandoned"},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                raise IntentMissing(f"Stripe does not know PaymentIntent {intent_id}.") from None
            if exc.code == "payment_intent_unexpected_state":
                raise IntentNotCancelable(f"PaymentIntent {intent_id} cannot be canceled now.") from None
            raise _unreachable("cancel a PaymentIntent", exc) from None
        except stripe.StripeError as exc:
            raise _unreachable("cancel a PaymentIntent", exc) from None
        return _intent(intent)

    async def refund_intent(self, intent_id: str, *, metadata: dict[str, str], idempotency_key: str,
                            amount_cents: int | None = None) -> RefundSnapshot | None:
        """Refund `amount_cents` of the payment (all that is left of it when None); None when Stripe says it was
        already refunded in full. The idempotency key makes a retry return the first refund, never a second."""
        params: dict[str, Any] = {"payment_intent": intent_id, "metadata": metadata}
        if amount_cents is not None:
            params["amount"] = amount_cents
        try:
            refund = await self.client.v1.refunds.create_async(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":
                return None
            raise _unreachable("refund a payment", exc) from None
        except stripe.StripeError as exc:
            raise _unreachable("refund a payment", exc) from None
        return _refund(refund)

    def verify_event(self, payload: bytes, signature: str | None) -> WebhookEvent:
        """The event if Stripe-Signature verifies within the SDK's tolerance (5 minutes) either way, else
        InvalidWebhook; MalformedWebhook when a verified body is not an event this service can read."""
        if not self.webhook_secret or not signature:
            raise InvalidWebhook("missing signature or webhook secret")
        tolerance = stripe.Webhook.DEFAULT_TOLERANCE
        try:
            stripe.WebhookSignature.verify_header(payload, signature, self.webhook_secret, tolerance)
        except (stripe.SignatureVerificationError, ValueError, KeyError, IndexError, TypeError):
            raise InvalidWebhook("signature does not verify") from None
        # The SDK only refuses old timestamps; a signature dated in the future is as suspect as a stale one.
        if _signed_at(signature) > time.time() + tolerance:
            raise InvalidWebhook("signature timestamp is in the future")
        try:
            event = msgspec.json.decode(payload, type=_EventEnvelope)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            raise MalformedWebhook("the signed body is not a Stripe event") from None
        return WebhookEvent(id=event.id, type=event.type, object_type=event.data.object.object,
                            object_id=event.data.object.id, created=event.created)
