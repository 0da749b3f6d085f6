"""Stripe's test cards and what happens when they are charged.

A card number only passes through this module: callers keep the resulting ``Card`` (brand, last4,
expiry), never the number or the CVC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str = "credit"
    country: str = "US"
    cvc_given: bool = False


@dataclass(frozen=True)
class Decline:
    code: str
    message: str
    decline_code: str | None = None
    param: str | None = None
    # False when the card is refused before any charge is attempted (bad number, past expiry).
    charge_attempted: bool = True


_DECLINED = Decline("card_declined", "Your card was declined.", "generic_decline")

# https://docs.stripe.com/testing#declined-payments
DECLINES_BY_NUMBER: dict[str, Decline] = {
    "4000000000000002": _DECLINED,
    "4000000000009995": Decline("card_declined", "Your card has insufficient funds.", "insufficient_funds"),
    "4000000000009987": Decline("card_declined", "Your card was declined.", "lost_card"),
    "4000000000009979": Decline("card_declined", "Your card was declined.", "stolen_card"),
    "4000000000000069": Decline("expired_card", "Your card has expired.", "expired_card"),
    "4000000000000127": Decline("incorrect_cvc", "Your card's security code is incorrect.", "incorrect_cvc"),
    "4000000000000119": Decline(
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
        "processing_error",
    ),
}

DEBIT_NUMBERS = {"4000056655665556", "5200828282828210", "6200000000000005"}

# https://docs.stripe.com/testing#test-payment-methods : ready-made payment methods.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
}


# Not Stripe's: ready-made methods whose charge stays pending, the PaymentIntent `processing`, until it settles
# (the decline, or None: it pays). Stripe's cards settle at once; its asynchronous methods (SEPA Direct Debit, ACH)
# are the ones that process for a while (https://docs.stripe.com/payments/payment-intents/verifying-status), which
# the stand-in's card-only API could not otherwise show. Real Stripe does not know these tokens.
SETTLING_LATER: dict[str, Decline | None] = {
    "pm_card_processingThenSucceeds": None,
    "pm_card_processingThenDeclined": Decline(
        "card_declined", "Your card has insufficient funds.", "insufficient_funds"
    ),
}
# The card they stand for (brand, last4 and expiry only ever reach the state file).
SETTLING_LATER_NUMBER = "4242424242424242"


def brand_of(number: str) -> str:
    two, four = int(number[:2]), int(number[:4])
    if number.startswith("4"):
        return "visa"
    if two in (34, 37):
        return "amex"
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if number.startswith(("6011", "65")) or 644 <= int(number[:3]) <= 649:
        return "discover"
    if 3528 <= four <= 3589:
        return "jcb"
    if two in (30, 36, 38, 39):
        return "diners"
    if two == 62:
        return "unionpay"
    return "unknown"


def luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def examine(card_params: dict[str, Any], today: date) -> tuple[Card | None, Decline | None]:
    """Check raw card fields (``payment_method_data[card]``) and decide the charge's outcome.

    Returns the card to keep (None when the number itself is unusable) and the decline, if any.
    """
    number = "".join(str(card_params.get("number", "")).split())
    param = "payment_method_data[card]"
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return None, Decline(
            "invalid_number",
            "Your card number is invalid.",
            param=f"{param}[number]",
            charge_attempted=False,
        )
    if not luhn_ok(number):
        return None, Decline(
            "incorrect_number",
            "Your card number is incorrect.",
            param=f"{param}[number]",
            charge_attempted=False,
        )
    try:
        exp_month = int(card_params.get("exp_month", ""))
    except ValueError:
        exp_month = 0
    try:
        exp_year = int(card_params.get("exp_year", ""))
    except ValueError:
        exp_year = 0
    if exp_year and exp_year < 100:
        exp_year += 2000
    cvc = str(card_params.get("cvc", ""))
    card = Card(
        brand=brand_of(number),
        last4=number[-4:],
        exp_month=exp_month,
        exp_year=exp_year,
        funding="debit" if number in DEBIT_NUMBERS else "credit",
        cvc_given=bool(cvc),
    )
    if not 1 <= exp_month <= 12:
        return card, Decline(
            "invalid_expiry_month",
            "Your card's expiration month is invalid.",
            param=f"{param}[exp_month]",
            charge_attempted=False,
        )
    if not exp_year or (exp_year, exp_month) < (today.year, today.month):
        return card, Decline(
            "expired_card",
            "Your card has expired.",
            param=f"{param}[exp_year]",
            charge_attempted=False,
        )
    if cvc and not (cvc.isdigit() and len(cvc) in (3, 4)):
        return card, Decline(
            "invalid_cvc",
            "Your card's security code is invalid.",
            param=f"{param}[cvc]",
            charge_attempted=False,
        )
    return card, DECLINES_BY_NUMBER.get(number)


def card_for_test_token(token: str, today: date) -> tuple[Card, Decline | None] | None:
    """The card behind a ready-made test payment method such as ``pm_card_visa``, or None."""
    number = SETTLING_LATER_NUMBER if token in SETTLING_LATER else TEST_PAYMENT_METHODS.get(token)
    if number is None:
        return None
    card, decline = examine({"number": number, "exp_month": 12, "exp_year": today.year + 3, "cvc": "123"}, today)
    assert card is not None
    return card, SETTLING_LATER[token] if token in SETTLING_LATER else decline
