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
    raw_carries_card_data,
    raw_names_card_field,
    strings_carry_card_number,
    walk_file,
)

# One request body, any route. The largest legitimate body (a hold of 8 seat ids) is well under 1 KB. A route that
# needs more says so with its handler's `request_max_body_size` (a seating plan, backend/organizer/routes.py); the
# middleware then applies that limit to that path alone.
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
    pointer: str | None = None  # RFC 6901: where in the JSON body the refused value is, when that helps the client


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


def refuse_size(length: int, limit: int = MAX_BODY_BYTES) -> Refusal | None:
    if length <= limit:
        return None
    return BODY_TOO_LARGE if limit == MAX_BODY_BYTES else too_large(limit)


def too_large(limit: int) -> Refusal:
    """The refusal for a route that takes more than the default (a seating plan): it names that route's limit."""
    return Refusal(413, "body_too_large", f"The request body may have at most {limit} bytes.")


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


def decode_json_body(raw: bytes, check_depth: bool = True) -> tuple[Any, Refusal | None]:
    """The decoded body, or why it is not acceptable JSON. msgspec refuses invalid UTF-8 itself (as a
    UnicodeDecodeError) and gives up on absurd nesting (as a RecursionError): both are the client's fault.
    `check_depth=False` leaves the depth to the caller (a file's one walk checks it with its card data)."""
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
    if check_depth and json_depth_exceeds(decoded):
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


def unstorable_pointer(value: Any) -> str | None:
    """The RFC 6901 pointer of the first string (key or value, in document order) of a decoded JSON value that the
    database could not store, or None. A key is pointed at as its member."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, pointer = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                return pointer
        elif isinstance(item, dict):
            members = [(f"{pointer}/{_escaped(key)}", key, nested) for key, nested in item.items()]
            for member, key, _ in members:
                if isinstance(key, str) and unstorable(key):
                    return member
            stack.extend((nested, member) for member, _, nested in reversed(members))
        elif isinstance(item, list):
            stack.extend((nested, f"{pointer}/{index}") for index, nested in reversed(list(enumerate(item))))
    return None


def _escaped(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def refuse_unstorable(raw: bytes, decoded: Any) -> Refusal | None:
    """JSON can carry a NUL only as the escape \\u0000 (msgspec refuses lone surrogates itself), so only a body
    that has one is walked; the refusal names where the first such string is."""
    if b"\\u0000" not in raw:
        return None
    pointer = unstorable_pointer(decoded)
    return None if pointer is None else Refusal(UNSTORABLE_TEXT.status, UNSTORABLE_TEXT.code, UNSTORABLE_TEXT.detail,
                                                pointer)


def refuse_target(path: str, query_string: bytes) -> Refusal | None:
    """Every request's path (already percent-decoded by the server) and query string. Both are decoded as UTF-8
    with replacement (uvicorn, Litestar), so of the unstorable text only NUL (`%00`) can reach a handler there."""
    if unstorable(path):
        return UNSTORABLE_TEXT
    if (b"%" in query_string or b"\x00" in query_string) and b"\x00" in unquote_to_bytes(query_string):
        return UNSTORABLE_TEXT
    return None


def screen_body(raw: bytes, content_type: str | None, *, screen_cards: bool = True,
                limit: int = MAX_BODY_BYTES, file_body: bool = False) -> Refusal | None:
    """Every check for one complete body. Card data is looked for before any other refusal so that such a body is
    refused as card data (and never echoed) whatever else is wrong. A card number is looked for in the raw bytes
    always, and in the decoded strings when the body writes characters as escapes (\\u0034...); card field names in
    the decoded JSON when it decodes (which also sees escapes such as "\\u0063vc"), else in the raw bytes (a broken
    or too deep body). Text the database cannot store is refused naming where it is (`refuse_unstorable`). A
    `file_body` (a route that takes files, such as a seating plan) is
    screened value by value when it decodes instead (card_data.values_carry_card_data says why)."""
    if not raw:
        return None
    if refusal := refuse_size(len(raw), limit):
        return refusal
    if file_body and screen_cards:
        # A file (a route with a larger limit): value by value when it decodes, byte by byte when it does not;
        # card data and depth in one walk.
        decoded, refusal = decode_json_body(raw, check_depth=False)
        if refusal is not None:
            return CARD_DATA if raw_carries_card_data(raw) else refuse_content_type(content_type) or refusal
        card, deep = walk_file(decoded, MAX_JSON_DEPTH)
        if card:
            return CARD_DATA
        return refuse_unstorable(raw, decoded) or refuse_content_type(content_type) or (TOO_DEEP if deep else None)
    if screen_cards and looks_like_card_number(raw):
        return CARD_DATA
    decoded, refusal = decode_json_body(raw)
    if screen_cards:
        if refusal is not None:
            if raw_names_card_field(raw):
                return CARD_DATA
        elif names_card_field(decoded) or (b"\\u" in raw and strings_carry_card_number(decoded)):
            return CARD_DATA
    if refusal is None and (unstorable_text := refuse_unstorable(raw, decoded)):
        return unstorable_text
    return refuse_content_type(content_type) or refusal
