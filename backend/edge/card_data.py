"""Spotting card data in a request body, so it can be refused before anything reads, logs or stores it.

PCI SAQ-A: card numbers go from the browser to Stripe only. A client that sends them to us anyway (a bug, or a
hand-rolled integration) gets a 422 naming no value, whatever the endpoint: the edge (backend.edge.screening.screen_body)
screens every body before any handler reads it, and the log formatter masks what slips through anyway.

Two nets, both made to miss no card and to refuse nothing else a fan sends (a name, an e-mail address, a phone
number with its country code, a street address):
- field names that only card data uses, at any depth (in the raw bytes and in the decoded JSON);
- a card number anywhere in the body, JSON or not: a run of digits, alone or grouped the way card numbers are
  written (fours, or Amex's and Diners' 4-6-5 and 4-6-4, by single spaces or dashes), that is as long as a card of
  a network whose numbers start that way (16 to 19 digits starting 2-6; Amex: 15 digits starting 34 or 37; Diners
  Club: 14 digits starting 300-305, 3095, 36, 38 or 39), with a valid Luhn check digit. A phone number never has
  16 digits (E.164 allows 15 with the country code), no country code of a 15- or 14-digit number is an Amex or
  Diners prefix, and phones are grouped otherwise (3-3-4, 2-8-4, ...): the Luhn check alone would pass one phone
  number in ten. What this does not catch: obsolete 13-digit Visa numbers and 12-15 digit Maestro numbers (both
  the length of phone numbers with a country code), and a number cut into unusual groups.
The log's net (`redact_card_numbers`) stays wider, any Luhn-valid run of 13-19 digits: masking a phone number in a
log line costs nothing.
"""

from __future__ import annotations

import re
from typing import Any

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

SHORTEST, LONGEST = 14, 19
# A run of at least 14 digits, each joined to the next by nothing or one space or dash, not inside a longer run.
_DIGIT_RUN = re.compile(rb"(?<![0-9])[0-9](?:[ -]?[0-9]){13,}(?![0-9])")
_DIGIT_RUN_TEXT = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){13,}(?![0-9])")
_GROUP_SEPARATOR = re.compile(rb"[ -]")
_DINERS_14 = ("300", "301", "302", "303", "304", "305", "3095", "36", "38", "39")
# The groupings of more than one group that card numbers are written in (besides fours with a shorter last group).
_AMEX_DINERS_GROUPS = ((4, 6, 5), (4, 6, 4))

# The log's wider net: in log text a digit run inside a word (a hex request id or hash) is not a card number.
_PAN_TEXT = re.compile(r"(?<![0-9A-Za-z])[2-6](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """Whether these digits (no separators) are a card number of a network that issues that length."""
    length = len(digits)
    if length >= 16:
        shaped = length <= LONGEST and "2" <= digits[0] <= "6"
    elif length == 15:
        shaped = digits.startswith(("34", "37"))
    else:
        shaped = length == SHORTEST and digits.startswith(_DINERS_14)
    return shaped and luhn_ok(digits)


def _card_grouping(sizes: tuple[int, ...]) -> bool:
    if len(sizes) == 1:
        return True
    return (all(size == 4 for size in sizes[:-1]) and sizes[-1] <= 4) or sizes in _AMEX_DINERS_GROUPS


def _run_holds_card(run: bytes) -> bool:
    """Any window of whole groups of this run, grouped as card numbers are, that is a card number: so a card
    number followed by its security code ("4242 4242 4242 4242 123") is found too."""
    groups = [group.decode() for group in _GROUP_SEPARATOR.split(run)]
    for start in range(len(groups)):
        digits = ""
        sizes: tuple[int, ...] = ()
        for group in groups[start:]:
            digits += group
            sizes += (len(group),)
            if len(digits) > LONGEST:
                break
            if len(digits) >= SHORTEST and _card_grouping(sizes) and is_card_number(digits):
                return True
    return False


def looks_like_card_number(raw: bytes) -> bool:
    """A card number anywhere in these bytes (JSON or not)."""
    return any(_run_holds_card(match.group()) for match in _DIGIT_RUN.finditer(raw))


def text_carries_card_number(text: str) -> bool:
    """The same net over decoded text (a JSON string whose digits were written as escapes)."""
    return any(_run_holds_card(match.group().encode()) for match in _DIGIT_RUN_TEXT.finditer(text))


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


def strings_carry_card_number(value: Any) -> bool:
    """A card number in any string (key or value) of a decoded JSON value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if text_carries_card_number(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# A value that is a card number and nothing else: 13-19 digits, optionally grouped by single spaces or dashes.
_WHOLE_PAN = re.compile(r"[2-6](?:[ -]?[0-9]){12,18}")


def value_is_card_number(value: object) -> bool:
    """A string or integer that is a card number as a whole, by the same rule as the byte net (length per network,
    the groupings cards are written in, Luhn)."""
    if isinstance(value, str):
        text = value.strip()
        return 13 <= len(text) <= 37 and _WHOLE_PAN.fullmatch(text) is not None and _run_holds_card(text.encode())
    if isinstance(value, int) and not isinstance(value, bool):
        return 10**12 <= value < 10**19 and is_card_number(str(value))
    return False  # not reached from walk_file, which passes strings and integers only


def values_carry_card_data(value: Any) -> bool:
    """The value-by-value net, for bodies that are files (a seating plan): a card field's name anywhere, or a
    string or integer that is a card number as a whole. The byte-level net does not suit such a body: its tens of
    thousands of ids and coordinates hold digit runs that pass the Luhn check by chance (a float's 17 digits do one
    time in ten; an all-digit stretch of a UUID, now and then), and would refuse a good file."""
    return walk_file(value, max_depth=None)[0]


def walk_file(value: Any, max_depth: int | None) -> tuple[bool, bool]:
    """(carries card data, nests deeper than `max_depth` containers) in one pass over a decoded file: a 60,000-seat
    plan is half a million values, and two walks cost twice. Scalars are judged where they are found, never
    stacked; a file repeats its few keys many times, so each key is judged once."""
    names: dict[str, bool] = {}
    deep = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if max_depth is not None and depth > max_depth:
            deep = True
        children: Any
        if type(item) is dict:
            for key in item:
                forbidden = names.get(key)
                if forbidden is None:
                    forbidden = names[key] = isinstance(key, str) and \
                        _SEPARATORS.sub("", key.lower()) in FORBIDDEN_FIELDS
                if forbidden:
                    return True, deep
            children = item.values()
        else:
            children = item
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif (kind is str and len(child) >= SHORTEST) or (kind is int and child >= 10**12):
                if value_is_card_number(child):
                    return True, deep
    return False, deep


def raw_carries_card_data(raw: bytes) -> bool:
    """The byte-level nets: a card number anywhere, or a card field's name, even in a body that is not JSON."""
    return looks_like_card_number(raw) or raw_names_card_field(raw)



def text_has_card_number(text: str) -> bool:
    return any(_is_log_card_number(match.group()) for match in _PAN_TEXT.finditer(text))


def redact_card_numbers(text: str) -> str:
    """Masks anything that looks like a card number (a log line's last net: a number must never be written)."""
    if not _PAN_TEXT.search(text):
        return text
    return _PAN_TEXT.sub(lambda m: "[card number removed]" if _is_log_card_number(m.group()) else m.group(), text)


def _is_log_card_number(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)
