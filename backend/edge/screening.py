"""What a request must pass before any handler reads it: small pure checks, one per concern.

The API accepts JSON only, so every body of an unsafe request is screened here, once, for every route (not only
the ones whose handlers remember to look): a size limit, strict UTF-8, JSON that decodes, a sane nesting depth,
no card data anywhere, and no text the database cannot store. Every request's path and query string are screened
for that text too. Each check answers a `Refusal` (status, code, sentence) or None; the ASGI middleware that calls
them (backend.edge.middleware) only buffers the body and renders the refusal in API.md's error shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec

from backend.edge.card_data import (
    looks_like_card_number,
    names_card_field,
    raw_names_card_field,
    strings_carry_card_number,
)

# One request body, any route. The largest legitimate body (a hold of 8 seat ids) is well under 1 KB.
MAX_BODY_BYTES = 64 * 1024
# Our bodies nest two or three levels; 32 leaves room for any client and none for a parser bomb.
MAX_JSON_DEPTH = 32

CARD_DATA_DETAIL = ("Card details must never be sent to this server: the payment form sends them to Stripe "
                    "directly. Leave card numbers and card fields out of every request.")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    detail: str


BODY_TOO_LARGE = Refusal(413, "body_too_large", f"The request body may have at most {MAX_BODY_BYTES} bytes.")
CARD_DATA = Refusal(422, "card_data_forbidden", CARD_DATA_DETAIL)
NOT_UTF8 = Refusal(400, "invalid_encoding", "The request body is not valid UTF-8.")
MALFORMED = Refusal(400, "malformed_json", "The request body is not valid JSON.")
TOO_DEEP = Refusal(400, "json_too_deep", f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
NOT_JSON = Refusal(415, "unsupported_media_type", "Send request bodies as JSON (Content-Type: application/json).")
# PostgreSQL's text types cannot hold NUL, and UTF-8 cannot encode a lone surrogate: either would reach the database
# as a driver error (a 500) from whichever query first met it, so they are refused here, for every route.
UNSTORABLE_TEXT = Refusal(422, "invalid_characters", "Text in a request may not contain the NUL character "
                                                     "(U+0000) or an unpaired surrogate (U+D800 to U+DFFF).")


def refuse_content_type(content_type: str | None) -> Refusal | None:
    """Forms are not an API body here; anything else is judged by what it holds (clients often omit the type)."""
    if content_type and content_type.split(";", 1)[0].strip().lower() in FORM_TYPES:
        return NOT_JSON
    return None


def refuse_size(length: int) -> Refusal | None:
    return BODY_TOO_LARGE if length > MAX_BODY_BYTES else None


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Iterative, so a deep value cannot exhaust the stack here either."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def decode_json_body(raw: bytes) -> tuple[Any, Refusal | None]:
    """The decoded body, or why it is not acceptable JSON. msgspec refuses invalid UTF-8 itself (as a
    UnicodeDecodeError) and gives up on absurd nesting (as a RecursionError): both are the client's fault."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, NOT_UTF8
    try:
        decoded = msgspec.json.decode(raw)
    except RecursionError:
        return None, TOO_DEEP
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None, MALFORMED
    if json_depth_exceeds(decoded):
        return None, TOO_DEEP
    return decoded, None


def unstorable(text: str) -> bool:
    """Whether PostgreSQL would refuse this text: a NUL, or a lone surrogate (which no UTF-8 can encode)."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def holds_unstorable_text(value: Any) -> bool:
    """Any string (key or value) of a decoded JSON value that the database could not store."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def refuse_target(path: str, query_string: bytes) -> Refusal | None:
    """Every request's path (already percent-decoded by the server) and query string. Both are decoded as UTF-8
    with replacement (uvicorn, Litestar), so of the unstorable text only NUL (`%00`) can reach a handler there."""
    if unstorable(path):
        return UNSTORABLE_TEXT
    if (b"%" in query_string or b"\x00" in query_string) and b"\x00" in unquote_to_bytes(query_string):
        return UNSTORABLE_TEXT
    return None


def screen_body(raw: bytes, content_type: str | None, *, screen_cards: bool = True) -> Refusal | None:
    """Every check for one complete body. Card data is looked for before any other refusal so that such a body is
    refused as card data (and never echoed) whatever else is wrong. A card number is looked for in the raw bytes
    always, and in the decoded strings when the body writes characters as escapes (\\u0034...); card field names in
    the decoded JSON when it decodes (which also sees escapes such as "\\u0063vc"), else in the raw bytes (a broken
    or too deep body). JSON can carry a NUL only as the escape \\u0000 (msgspec refuses lone surrogates itself), so
    only a body that has one is walked for it."""
    if not raw:
        return None
    if refusal := refuse_size(len(raw)):
        return refusal
    if screen_cards and looks_like_card_number(raw):
        return CARD_DATA
    decoded, refusal = decode_json_body(raw)
    if screen_cards:
        if refusal is not None:
            if raw_names_card_field(raw):
                return CARD_DATA
        elif names_card_field(decoded) or (b"\\u" in raw and strings_carry_card_number(decoded)):
            return CARD_DATA
    if refusal is None and b"\\u0000" in raw and holds_unstorable_text(decoded):
        return UNSTORABLE_TEXT
    return refuse_content_type(content_type) or refusal
