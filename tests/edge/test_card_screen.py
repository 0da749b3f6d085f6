"""The card-data screen (backend.edge.screen_body, the function the edge middleware calls for every body): every
Stripe test card of every network is refused in every grouping, field and JSON position, and nothing a fan really
types (the generated corpus of names, e-mail addresses, phone numbers and street addresses) is mistaken for one.

These run the screen in-process over the whole cross product; tests/edge/test_card_edge.py sends the same values
through a real server."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest

from backend.edge.screening import CARD_DATA, screen_body
from tests.support import cards, corpus

JSON = "application/json"
CORPUS_FANS = 2_600  # four values each: 10,400 values


def escaped(text: str) -> str:
    """The text with every character written as a JSON \\u escape (the raw bytes then hold no digit of it)."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def placements(written: str, digits: str) -> Iterator[tuple[str, bytes]]:
    """(where, body) for one way of writing a card number: in each JSON position a client could put it."""
    encode = msgspec.json.encode
    yield "top-level field", encode({"hold_id": written})
    yield "inside a sentence", encode({"note": f"my card is {written}, exp 12/31"})
    yield "followed by its code", encode({"note": f"{written} 123"})
    yield "nested", encode({"billing": {"details": [{"remark": written}]}})
    yield "array element", encode({"seat_ids": ["12", written]})
    yield "top-level array", encode([written])
    yield "top-level string", encode(written)
    yield "object key", encode({written: True})
    yield "escaped", b'{"name": "' + escaped(written).encode() + b'"}'
    yield "not JSON", f"name=Ann&card={written}".encode()
    if digits == written:
        yield "number", b'{"amount": ' + digits.encode() + b"}"
        yield "number in array", b'{"amounts": [1, ' + digits.encode() + b", 2]}"


@pytest.mark.parametrize("number", cards.ALL)
def test_every_stripe_test_card_is_refused_in_every_grouping_and_position(number: str) -> None:
    missed = [(written, where) for written in cards.groupings(number)
              for where, body in placements(written, number) if screen_body(body, JSON) is not CARD_DATA]
    assert not missed, missed


def test_every_network_is_in_the_list() -> None:
    assert set(cards.BY_BRAND) >= {"Visa", "Mastercard", "Mastercard 2-series", "American Express", "Discover",
                                   "Diners Club", "JCB", "UnionPay"}
    assert {len(n) for n in cards.ALL} == {14, 15, 16, 19}


def test_no_false_alarm_on_what_fans_type() -> None:
    fans = [corpus.REPORTED, *corpus.fans(CORPUS_FANS)]
    values = [value for fan in fans for value in (fan.name, fan.email, fan.phone, fan.address)]
    assert len(values) >= 10_000
    refused = [value for value in values if screen_body(msgspec.json.encode({"value": value}), JSON) is CARD_DATA]
    assert not refused, f"{len(refused)} false alarms, e.g. {refused[:10]}"
    # A whole profile in one body, as a sign-up form sends it.
    profiles = [msgspec.json.encode({"email": f.email, "name": f.name, "phone": f.phone, "address": f.address})
                for f in fans]
    assert not [body for body in profiles if screen_body(body, JSON) is CARD_DATA]


def test_the_corpus_holds_what_made_the_false_alarms() -> None:
    """The corpus is not trivially clean: many of its phone numbers (alone, or inside e-mail addresses) pass the
    Luhn check, which is all the screen used to ask of a 13-19 digit run."""
    from backend.edge.card_data import luhn_ok

    fans = corpus.fans(CORPUS_FANS)
    luhn_valid = [f.phone for f in fans if luhn_ok("".join(c for c in f.phone if c.isdigit()))]
    assert len(luhn_valid) > CORPUS_FANS // 20
    assert sum(any(c.isdigit() for c in f.email.split("@")[0][-9:]) for f in fans) > CORPUS_FANS // 5


@pytest.mark.parametrize("raw", [
    b'{"hold_id": "h1_abcdefghijklmnop"}',
    b'{"hold_id": "h12_0123456789012345"}',
    b'{"hold_id": "h1_abcdefghijklmnop", "client_time": 1764110000000}',
    b'{"hold_id": "h1_abcdefghijklmnop", "numbers_seen": 3}',
    b'{"scan_id": "550e8400-e29b-41d4-a716-446655440000", "scanned_at": "2026-12-01T19:30:00.123Z"}',
    b'{"email": "anna.4915112345678@example.com", "password": "x", "name": "Anna"}',
    b"not json",
])
def test_ordinary_bodies_are_not_mistaken_for_card_data(raw: bytes) -> None:
    assert screen_body(raw, JSON) is not CARD_DATA


def test_deep_nesting_is_handled() -> None:
    assert screen_body(b'{"a":' * 200 + b'{"cvc": "1"}' + b"}" * 200, JSON) is CARD_DATA
    assert screen_body(b"[" * 5000 + b"]" * 5000, JSON) is not CARD_DATA


def test_card_fields_are_found_in_broken_or_escaped_json() -> None:
    assert screen_body(b'{"hold_id": "x", "cvc": "123"', JSON) is CARD_DATA  # truncated
    assert screen_body(b'{"hold_id": "x", "\\u0063vc": "123"}', JSON) is CARD_DATA  # escaped key
    assert screen_body(b"[" * 5000 + b'{"exp_month": 1}' + b"]" * 5000, JSON) is CARD_DATA
