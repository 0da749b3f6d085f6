"""Ids in URLs and bodies: a positive integer in ASCII digits that an id column can hold (PostgreSQL's serial ids
are int4, so at most 2,147,483,647); anything else names nothing (404). Unicode digits (superscript two,
Arabic-Indic one, ...) pass `str.isdigit()` but are not ids: `int()` raises on some and silently reads others as
ASCII digits. A larger number would reach PostgreSQL as a driver error (a 500), not as "no such row"."""

from __future__ import annotations

from backend.errors import NotFound

MAX_ID = 2**31 - 1  # the largest value of an int4 serial column


def ascii_int(raw: str) -> int | None:
    """The id `raw` spells in ASCII digits, if an id column can hold it, else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ID)):
        return None
    number = int(raw)
    return number if number <= MAX_ID else None


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
