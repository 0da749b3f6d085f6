"""Ids in URLs and bodies: a positive integer of at most 18 ASCII digits (so within 64 bits); anything else names
nothing (404). Unicode digits (superscript two, Arabic-Indic one, ...) pass `str.isdigit()` but are not ids:
`int()` raises on some and silently reads others as ASCII digits."""

from __future__ import annotations

from backend.errors import NotFound

MAX_ID_DIGITS = 18


def ascii_int(raw: str, max_digits: int = MAX_ID_DIGITS) -> int | None:
    """The number `raw` spells in at most `max_digits` ASCII digits, else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > max_digits:
        return None
    return int(raw)


def parse_id(raw: str, what: str) -> int:
    """The id of a `what` in a URL, parsed where the route reads it: a malformed id names nothing (404
    `<what>_not_found`, the answer an unknown one gets)."""
    number = ascii_int(raw)
    if number is None:
        raise NotFound(f"No such {what}.", code=f"{what}_not_found")
    return number


def parse_show_id(raw: str) -> int:
    return parse_id(raw, "show")


def parse_order_id(raw: str) -> int:
    return parse_id(raw, "order")
