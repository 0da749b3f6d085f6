"""What a request body must pass before any handler reads it: small pure checks, one per concern.

The API accepts JSON only, so every body of an unsafe request is screened here, once, for every route (not only
the ones whose handlers remember to look): a size limit, strict UTF-8, JSON that decodes, a sane nesting depth,
and no card data anywhere. Each check answers a `Refusal` (status, code, sentence) or None; the ASGI middleware
that calls them (backend.edge.middleware) only buffers the body and renders the refusal in API.md's error shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from backend.edge.card_data import looks_like_card_number, names_card_field, raw_names_card_field

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


def screen_body(raw: bytes, content_type: str | None, *, screen_cards: bool = True) -> Refusal | None:
    """Every check for one complete body. Card data is looked for before any other refusal so that such a body is
    refused as card data (and never echoed) whatever else is wrong. A card number is looked for in the raw bytes
    always; card field names in the decoded JSON when it decodes (which also sees escapes such as "\\u0063vc"),
    else in the raw bytes (a broken or too deep body)."""
    if not raw:
        return None
    if refusal := refuse_size(len(raw)):
        return refusal
    if screen_cards and looks_like_card_number(raw):
        return CARD_DATA
    decoded, refusal = decode_json_body(raw)
    if screen_cards and (names_card_field(decoded) if refusal is None else raw_names_card_field(raw)):
        return CARD_DATA
    return refuse_content_type(content_type) or refusal
