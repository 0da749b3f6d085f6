"""Spotting card data in a request body, so it can be refused before anything reads, logs or stores it.

PCI SAQ-A: card numbers go from the browser to Stripe only. A client that sends them to us anyway (a bug, or a
hand-rolled integration) gets a 422 naming no value, whatever the endpoint: the edge (backend.edge.screening) screens every
body with these functions before any handler reads it, and the log formatter masks what slips through anyway.
Two nets: field names that only card data uses, at any depth (in the raw bytes and in the decoded JSON), and
anything that looks like a card number (13-19 digits, a card network's first digit, valid Luhn check digit)
anywhere in the raw bytes, JSON or not.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

# Compared after lower-casing and dropping `_`, `-`, `.` and spaces, so cardNumber, card-number and CARD_NUMBER match.
_CARD_FIELDS = (
    "payment_details", "payment_method_data", "card", "cards", "card_details", "card_number", "cc_number",
    "ccnum", "number", "pan", "primary_account_number", "cvc", "cvc2", "cvv", "cvv2", "cid", "csc", "sec_code",
    "security_code", "card_code", "card_verification", "exp", "exp_month", "exp_year", "exp_date", "expiry",
    "expiry_month", "expiry_year", "expiry_date", "expiration", "expiration_month", "expiration_year",
    "expiration_date", "cardholder", "cardholder_name", "card_holder", "track1", "track2", "track_data",
    "magstripe", "pin", "pin_block",
)  # fmt: skip
_SEPARATORS = re.compile(r"[\s_.\-]")
FORBIDDEN_FIELDS = frozenset(_SEPARATORS.sub("", name) for name in _CARD_FIELDS)

# A digit run of 13-19 digits, optionally grouped by single spaces or dashes, not part of a longer number.
_PAN_CANDIDATE = re.compile(rb"(?<![0-9])[2-6](?:[ -]?[0-9]){12,18}(?![0-9])")
# In log text, a digit run inside a word (a hex request id or hash) is not a card number: whole words only.
_PAN_TEXT = re.compile(r"(?<![0-9A-Za-z])[2-6](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def looks_like_card_number(raw: bytes) -> bool:
    return any(_is_card_number(match.group().decode()) for match in _PAN_CANDIDATE.finditer(raw))


# Something that looks like a JSON object key; catches card fields even in bodies too broken or deep to decode.
_RAW_KEY = re.compile(rb'"([^"\\]{1,64})"\s*:')


def raw_names_card_field(raw: bytes) -> bool:
    return any(
        _SEPARATORS.sub("", match.group(1).decode("utf-8", "replace").lower()) in FORBIDDEN_FIELDS
        for match in _RAW_KEY.finditer(raw)
    )


def names_card_field(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, nested in item.items():
                if isinstance(key, str) and _SEPARATORS.sub("", key.lower()) in FORBIDDEN_FIELDS:
                    return True
                stack.append(nested)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def raw_carries_card_data(raw: bytes) -> bool:
    """The byte-level nets: a card number anywhere, or a card field's name, even in a body that is not JSON."""
    return looks_like_card_number(raw) or raw_names_card_field(raw)


def carries_card_data(raw: bytes) -> bool:
    if raw_carries_card_data(raw):
        return True
    try:
        decoded = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return False  # not JSON (or absurdly deep): the caller refuses it as malformed without quoting it
    # Decoding also resolves escapes such as "\u0063vc", which the raw scan cannot see.
    return names_card_field(decoded)


def text_has_card_number(text: str) -> bool:
    return any(_is_card_number(match.group()) for match in _PAN_TEXT.finditer(text))


def redact_card_numbers(text: str) -> str:
    """Masks anything that looks like a card number (a log line's last net: a number must never be written)."""
    if not _PAN_TEXT.search(text):
        return text
    return _PAN_TEXT.sub(lambda m: "[card number removed]" if _is_card_number(m.group()) else m.group(), text)


def _is_card_number(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    return 13 <= len(digits) <= 19 and _luhn_ok(digits)
