"""Stripe API objects as Stripe shapes them (API version 2024-06-20), built as plain dicts."""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from .cards import Card, Decline

API_VERSION = "2024-06-20"
_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    """``length`` characters of [A-Za-z0-9] from the OS's secure random source, uniform (bytes >= 248 are
    skipped so that ``% 62`` favours no character). One urandom read, not one per character as
    ``secrets.choice`` does: ids are made on every request."""
    token = ""
    while len(token) < length:
        token += "".join(_ALPHABET[byte % 62] for byte in secrets.token_bytes(length + 8) if byte < 248)
    return token[:length]


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_token(24)}"


def payment_intent(
    *,
    created: int,
    amount: int,
    currency: str,
    metadata: dict[str, str],
    description: str | None,
    receipt_email: str | None,
    automatic_payment_methods: dict[str, Any] | None,
    payment_method_types: list[str],
    capture_method: str,
    statement_descriptor: str | None,
    statement_descriptor_suffix: str | None,
) -> dict[str, Any]:
    intent_id = new_id("pi")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": automatic_payment_methods,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{intent_id}_secret_{random_token(25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": None,
        "description": description,
        "invoice": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": payment_method_types,
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": statement_descriptor,
        "statement_descriptor_suffix": statement_descriptor_suffix,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


# What a browser holding the publishable key and the client secret may see of a PaymentIntent.
_PUBLISHABLE_FIELDS = (
    "id", "object", "amount", "amount_details", "automatic_payment_methods", "canceled_at",
    "cancellation_reason", "capture_method", "client_secret", "confirmation_method", "created", "currency",
    "description", "last_payment_error", "livemode", "next_action", "payment_method",
    "payment_method_configuration_details", "payment_method_types", "processing", "receipt_email",
    "setup_future_usage", "shipping", "source", "status",
)  # fmt: skip


def publishable_view(intent: dict[str, Any]) -> dict[str, Any]:
    return {field: intent[field] for field in _PUBLISHABLE_FIELDS if field in intent}


def payment_method(card: Card, *, created: int) -> dict[str, Any]:
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state")),
            "email": None,
            "name": None,
            "phone": None,
        },
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass" if card.cvc_given else None,
            },
            "country": card.country,
            "display_brand": card.brand,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def charge(
    intent: dict[str, Any],
    method: dict[str, Any],
    *,
    created: int,
    decline: Decline | None,
    pending: bool = False,
    charge_id: str | None = None,
) -> dict[str, Any]:
    """A charge as it ends (paid, or failed with ``decline``), or ``pending`` while its payment is processing.

    ``charge_id``: the pending charge that is now settling (Stripe keeps the charge, only its outcome changes).
    """
    card = method["card"]
    paid = decline is None and not pending
    status = "pending" if pending else "succeeded" if paid else "failed"
    return {
        "id": charge_id or new_id("ch"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if paid else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn") if paid else None,
        "billing_details": method["billing_details"],
        "calculated_statement_descriptor": "STANDIN",
        "captured": paid,
        "created": created,
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline.code if decline and not pending else None,
        "failure_message": decline.message if decline and not pending else None,
        "fraud_details": {},
        "invoice": None,
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        # No outcome yet while the payment is processing.
        "outcome": None if pending else _outcome(decline),
        "paid": paid,
        "payment_intent": intent["id"],
        "payment_method": method["id"],
        "payment_method_details": {
            "card": {
                "brand": card["brand"],
                "checks": card["checks"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "funding": card["funding"],
                "last4": card["last4"],
                "network": card["brand"],
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": intent["receipt_email"],
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": intent["statement_descriptor"],
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def _outcome(decline: Decline | None) -> dict[str, Any]:
    if decline is None:
        return {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    return {
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": "The bank did not return any further details with this decline.",
        "type": "issuer_declined",
    }


def payment_error(decline: Decline, *, method: dict[str, Any] | None, charge_id: str | None) -> dict[str, Any]:
    """``last_payment_error`` of a PaymentIntent, also the core of the 402 card_error body."""
    error: dict[str, Any] = {"type": "card_error", "code": decline.code}
    if charge_id:
        error["charge"] = charge_id
    if decline.decline_code:
        error["decline_code"] = decline.decline_code
    error["doc_url"] = "https://stripe.com/docs/error-codes/" + decline.code.replace("_", "-")
    error["message"] = decline.message
    if decline.param:
        error["param"] = decline.param
    if method is not None:
        error["payment_method"] = copy.deepcopy(method)
    return error


def refund(
    charge_object: dict[str, Any],
    *,
    amount: int,
    created: int,
    metadata: dict[str, str],
    reason: str | None,
) -> dict[str, Any]:
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge_object["id"],
        "created": created,
        "currency": charge_object["currency"],
        "destination_details": {"card": {"reference_status": "pending", "type": "refund"}, "type": "card"},
        "metadata": metadata,
        "payment_intent": charge_object["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def event(
    event_type: str,
    data_object: dict[str, Any],
    *,
    created: int,
    pending_webhooks: int,
    request_id: str | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": data_object},
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
