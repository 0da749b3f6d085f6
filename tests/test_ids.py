"""Ids in URLs and bodies are ASCII digits only: every other character Python calls a digit names nothing."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from backend.errors import NotFound
from backend.ids import MAX_ID, ascii_int, parse_show_id

# Every character Python's str.isdigit() accepts that is not an ASCII digit (superscripts, Arabic-Indic, fullwidth,
# Devanagari, circled, ...): int() reads many of them as the ASCII digit they look like.
UNICODE_DIGITS = [chr(c) for c in range(128, sys.maxunicode + 1) if chr(c).isdigit()]


def test_there_are_many_to_refuse() -> None:
    assert len(UNICODE_DIGITS) > 500
    assert {"\u00b2", "\u0661", "\uff11", "\u0967"} <= set(UNICODE_DIGITS)


@pytest.mark.parametrize("digit", [*UNICODE_DIGITS[::7], "\u00b2", "\u0661", "\uff11"],
                         ids=lambda c: unicodedata.name(c, hex(ord(c))))
def test_a_unicode_digit_is_not_an_id(digit: str) -> None:
    for raw in (digit, f"1{digit}", f"{digit}1", digit * 3):
        assert ascii_int(raw) is None, raw
        with pytest.raises(NotFound):
            parse_show_id(raw)


def test_ascii_ids_an_int4_column_holds() -> None:
    """PostgreSQL's serial ids are int4: a larger number is no id (404), never a driver error (a 500)."""
    assert ascii_int("0") == 0 and ascii_int("42") == 42 and parse_show_id("7") == 7
    assert ascii_int(str(MAX_ID)) == MAX_ID == 2**31 - 1
    for raw in (str(MAX_ID + 1), "9" * 18, "9" * 19, "", "-1", "+1", " 1", "1 ", "1e3", "0x1", "1.0", "1_000"):
        assert ascii_int(raw) is None, raw
