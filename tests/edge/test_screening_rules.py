"""The body screen's rules at their edges, in-process (backend/edge/screening.py, backend/edge/card_data.py): the
depth limit to the level, a NUL in a key as well as in a value (and where the refusal points), a form type with
its parameters, card field names and whole card numbers deep in a file, and card numbers written in groups that
cards are not written in. Written for the mutation audit (docs/mutation.md, card-data): each test kills a mutant
that the tests of whole requests let live."""

from __future__ import annotations

import msgspec
import pytest

from backend.edge.card_data import (
    is_card_number,
    luhn_ok,
    redact_card_numbers,
    values_carry_card_data,
    walk_file,
)
from backend.edge.screening import (
    BODY_TOO_LARGE,
    CARD_DATA,
    MALFORMED,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    NOT_JSON,
    TOO_DEEP,
    UNSTORABLE_TEXT,
    json_depth_exceeds,
    refuse_size,
    refuse_target,
    screen_body,
    unstorable,
)

JSON = "application/json"


def nested(levels: int) -> list:
    """A value of `levels` nested lists, the innermost holding one number."""
    value: list = [1]
    for _ in range(levels - 1):
        value = [value]
    return value


def test_the_depth_limit_counts_every_container_and_allows_exactly_its_own_depth() -> None:
    assert not json_depth_exceeds(nested(MAX_JSON_DEPTH))
    assert json_depth_exceeds(nested(MAX_JSON_DEPTH + 1))
    assert not json_depth_exceeds({"a": nested(MAX_JSON_DEPTH - 1)})
    assert json_depth_exceeds({"a": nested(MAX_JSON_DEPTH)})
    # A scalar met first does not end the walk: the too-deep sibling is still found.
    assert json_depth_exceeds({"a": nested(MAX_JSON_DEPTH), "b": 1})
    assert json_depth_exceeds([nested(MAX_JSON_DEPTH), "x", 2])
    assert screen_body(msgspec.json.encode(nested(MAX_JSON_DEPTH)), JSON) is None
    assert screen_body(msgspec.json.encode(nested(MAX_JSON_DEPTH + 1)), JSON) is TOO_DEEP


def test_a_file_nested_to_the_limit_passes_and_one_level_more_is_too_deep() -> None:
    assert walk_file(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH) == (False, False)
    assert walk_file(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH) == (False, True)
    file = msgspec.json.encode({"zones": nested(MAX_JSON_DEPTH)})
    assert screen_body(file, JSON, file_body=True, limit=1 << 20) is TOO_DEEP


@pytest.mark.parametrize(("body", "pointer"), [
    (b'{"name": "Ann\\u0000"}', "/name"),
    (b'{"seat_ids": ["1", "2\\u0000"]}', "/seat_ids/1"),
    (b'{"fine": "x", "bad\\u0000key": "value"}', "/bad\\u0000key"),
    (b'{"outer": {"a/b\\u0000": 1}}', "/outer/a~1b\\u0000"),
])
def test_a_nul_is_refused_in_keys_and_values_and_the_refusal_points_at_it(body: bytes, pointer: str) -> None:
    refusal = screen_body(body, JSON)
    assert refusal is not None and (refusal.status, refusal.code) == (UNSTORABLE_TEXT.status, UNSTORABLE_TEXT.code)
    assert refusal.pointer == pointer.replace("\\u0000", "\x00")


def test_a_nul_in_a_file_is_refused_too() -> None:
    refusal = screen_body(b'{"zones": [{"name": "Stalls\\u0000"}]}', JSON, file_body=True, limit=1 << 20)
    assert refusal is not None and refusal.code == UNSTORABLE_TEXT.code and refusal.pointer == "/zones/0/name"


@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "multipart/form-data; boundary=----x",
    " Multipart/Form-Data ;boundary=y",
])
def test_forms_are_refused_whatever_parameters_their_type_carries(content_type: str) -> None:
    assert screen_body(b"name=Ann&seat=12", content_type) is NOT_JSON
    assert screen_body(b'{"name": "Ann"}', JSON) is None


@pytest.mark.parametrize("field", ["card_number", "cardNumber", "CVC", "exp-month", "cardholder_name"])
def test_a_card_field_deep_in_a_file_is_card_data_and_ordinary_keys_are_not(field: str) -> None:
    good = {"name": "Musikverein", "zones": [{"name": "Parterre", "rows": [{"row": "1", "seats": [{"n": 1}]}]}]}
    assert not values_carry_card_data(good)
    bad = {"name": "Musikverein", "zones": [{"name": "Parterre", "rows": [{"row": "1", field: "x"}]}]}
    assert values_carry_card_data(bad)
    # The same key again after a clean one: each key is judged once, and remembered either way.
    assert values_carry_card_data({"zones": [{"rows": [{"row": "1"}, {"row": "2", field: "x"}]}]})


@pytest.mark.parametrize("value", ["4242 4242 4242 4242", "4242424242424242", 4242424242424242, "36227206271667"])
def test_a_whole_card_number_in_a_file_is_card_data(value: object) -> None:
    assert values_carry_card_data({"zones": [{"rows": [{"row": "1", "note": value}]}]})
    file = msgspec.json.encode({"zones": [{"note": value}]})
    assert screen_body(file, JSON, file_body=True, limit=1 << 20) is CARD_DATA


@pytest.mark.parametrize("written", [
    "3782 8224 631 0005",  # Amex 378282246310005 cut 4-4-3-4: a grouping no card is written in
    "4242 424 2424 24242",  # Visa 4242424242424242 cut 4-3-4-5
])
def test_numbers_cut_into_groups_cards_are_not_written_in_are_not_card_data(written: str) -> None:
    assert screen_body(msgspec.json.encode({"note": written}), JSON) is None


@pytest.mark.parametrize("digits", ["1000000000000008", "7000000000000005", "9123 4567 8901 2348",
                                    "8123456789012345673", "42222222222222222228"])
def test_long_luhn_valid_numbers_no_card_network_starts_with_are_not_card_data(digits: str) -> None:
    # 16 to 19 digits are a card only when they start with 2 to 6 (the networks that issue those lengths);
    # 20 digits never are, whatever they start with.
    assert screen_body(msgspec.json.encode({"reference": digits}), JSON) is None
    assert not values_carry_card_data({"zones": [{"reference": digits}, {"id": int(digits.replace(" ", ""))}]})


def test_fifteen_digits_are_a_card_only_as_american_express_writes_them() -> None:
    # Only American Express issues 15-digit numbers (34, 37); a Luhn-valid 15-digit run that starts like a
    # 16-digit network's (a phone number with its country code can) is not a card.
    for digits in ("378282246310005", "371449635398431", "340000000000009"):
        assert luhn_ok(digits) and is_card_number(digits), digits
    for digits in ("424242424242424", "555555555555558", "600000000000004"):
        assert luhn_ok(digits) and not is_card_number(digits), digits
        assert screen_body(msgspec.json.encode({"phone": digits}), JSON) is None


@pytest.mark.parametrize("padding", [10, 30])
def test_a_card_number_with_whitespace_around_it_is_caught_in_a_file_however_long_the_padding(padding: int) -> None:
    # The whole-value net strips a value first; what it is given must not be chosen by the unstripped length.
    padded_card = " " * padding + "4242 4242 4242 4242" + " " * padding
    assert values_carry_card_data({"zones": [{"rows": [{"row": "1", "note": padded_card}]}]})


def test_the_documented_limit_is_64_kb() -> None:
    # docs/architecture.md and docs/seating-plans.md state it: 64 KB on every route but the seating plan's.
    assert screen_body(padded(64 * 1024), JSON) is None
    assert screen_body(padded(64 * 1024 + 1), JSON) is BODY_TOO_LARGE


def test_a_card_number_cut_four_four_four_then_five_is_not_written_as_cards_are() -> None:
    # 42424242424242426: 17 digits, Luhn-valid, shaped like a card; the last group of a card is never 5 long.
    assert is_card_number("42424242424242426")
    assert screen_body(msgspec.json.encode({"note": "4242 4242 4242 42426"}), JSON) is None


def test_the_log_net_masks_every_luhn_valid_run_of_13_to_19_digits_and_nothing_longer_or_shorter() -> None:
    removed = "[card number removed]"
    # 13 digits (a Visa test number), 19 (UnionPay's), grouped as printed on a card.
    for number in ("4222222222222", "6205500000000000004", "4242 4242 4242 4242", "3782-822463-10005"):
        assert redact_card_numbers(f"paid with {number} today") == f"paid with {removed} today", number
    # 12 and 20 digits pass Luhn here too, and are no card; nor is a run inside a hex id.
    for text in ("ref 424242424242", "ref 42222222222222222228", "request a4242424242424242f",
                 "order 4242424242424241"):  # 16 digits that fail Luhn: an order or phone number, kept
        assert redact_card_numbers(text) == text, text


def padded(size: int) -> bytes:
    """A JSON body of exactly `size` bytes."""
    body = b'{"note": ""}'
    return body[:-2] + b"x" * (size - len(body)) + body[-2:]


def test_a_body_of_exactly_the_limit_passes_and_one_byte_more_is_too_large() -> None:
    assert screen_body(padded(MAX_BODY_BYTES), JSON) is None
    assert screen_body(padded(MAX_BODY_BYTES + 1), JSON) is BODY_TOO_LARGE
    # A route with a larger limit (a seating plan) names its own limit.
    limit = 1 << 20
    assert refuse_size(limit, limit) is None
    refusal = refuse_size(limit + 1, limit)
    assert refusal is not None and refusal.code == BODY_TOO_LARGE.code and str(limit) in refusal.detail


def test_a_file_that_does_not_decode_is_malformed_unless_its_bytes_carry_card_data() -> None:
    assert screen_body(b'{"zones": [{"name": "Stalls"', JSON, file_body=True, limit=1 << 20) is MALFORMED
    assert screen_body(b'{"zones": [{"card_number": "x"', JSON, file_body=True, limit=1 << 20) is CARD_DATA


def test_a_file_is_judged_value_by_value_even_when_it_nests_too_deep() -> None:
    # A float's digits are no value the file net judges, and the byte net (which would see a Luhn-valid run in
    # them) is for bodies that do not decode: a deep file is too deep, not card data.
    deep = msgspec.json.encode({"x": 4242424242424242.5, "zones": nested(MAX_JSON_DEPTH + 1)})
    assert screen_body(deep, JSON, file_body=True, limit=1 << 20) is TOO_DEEP


def test_a_card_like_number_inside_a_longer_value_of_a_file_is_not_card_data() -> None:
    # The file net judges each value whole (card_data.values_carry_card_data says why): a seat's external
    # reference that embeds a digit run is no card number.
    assert not values_carry_card_data({"zones": [{"ref": "SEAT-4242424242424242-A"}]})


def test_text_the_database_cannot_store() -> None:
    assert unstorable("Ann\x00") and unstorable("lone \ud800 surrogate") and unstorable("\udfff")
    assert not unstorable("Zoë, 東京, 🎫") and not unstorable("plain")


def test_only_a_nul_in_the_query_string_is_refused_not_any_escape() -> None:
    assert refuse_target("/api/v1/shows", b"q=caf%C3%A9%20bar&page=2") is None
    assert refuse_target("/api/v1/shows", b"") is None
    assert refuse_target("/api/v1/shows", b"q=a%00b") is UNSTORABLE_TEXT
    assert refuse_target("/api/v1/shows\x00", b"") is UNSTORABLE_TEXT
