"""Ids in URLs: a show id is a positive integer of at most 18 ASCII digits; anything else names no show (404)."""

from __future__ import annotations

from backend.errors import NotFound

MAX_ID_DIGITS = 18


def parse_show_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_ID_DIGITS:
        raise NotFound("No such show.", code="show_not_found")
    return int(raw)
