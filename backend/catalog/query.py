"""The list query (GET /api/v1/shows) decoded at the edge by a msgspec struct, and the page cursor's codec.

Every refusal is `400 invalid_parameter` with a sentence naming the parameter (or `invalid_cursor`), as API.md's
error shape wants; the handler declares the parameters one by one only so the OpenAPI document lists them.
"""

from __future__ import annotations

import base64
import math
import re
from datetime import datetime
from typing import Annotated, Any

import msgspec

from backend.errors import BadRequest
from backend.timeutil import parse_rfc3339

MAX_LIMIT = 100
MAX_QUERY_LENGTH = 200
MAX_RADIUS_KM = 20_100
MAX_CURSOR_LENGTH = 200

# What a field's failed constraint means, in words (msgspec's own message names types, not the API's rules).
_FIELD_ERRORS = {
    "q": f"q may have at most {MAX_QUERY_LENGTH} characters.",
    "radius_km": f"radius_km must be above 0 and at most {MAX_RADIUS_KM}.",
    "limit": f"limit must be between 1 and {MAX_LIMIT}.",
}
_ERROR_PATH = re.compile(r"at `\$\.(\w+)`")


class ListQuery(msgspec.Struct, kw_only=True):
    q: Annotated[str, msgspec.Meta(max_length=MAX_QUERY_LENGTH)] | None = None
    near: str | None = None
    radius_km: Annotated[float, msgspec.Meta(gt=0, le=MAX_RADIUS_KM)] = 50.0
    from_: str | None = msgspec.field(default=None, name="from")
    to: str | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 20
    cursor: str | None = None
    # Derived in __post_init__ from the raw fields above (never decoded from the request).
    point: tuple[float, float] | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None

    def __post_init__(self) -> None:
        self.q = (self.q or "").strip() or None
        self.cursor = self.cursor or None
        if self.near is not None:
            self.point = _parse_point(self.near)
        self.starts_from = _parse_time("from", self.from_)
        self.starts_to = _parse_time("to", self.to)
        if self.starts_from and self.starts_to and self.starts_to < self.starts_from:
            raise ValueError("to is before from.")


def _parse_point(near: str) -> tuple[float, float]:
    try:
        lat_s, lng_s = near.split(",")
        point = (float(lat_s), float(lng_s))
    except ValueError:
        raise ValueError("near must be LAT,LNG in decimal degrees, e.g. 48.8566,2.3522.") from None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180) or any(map(math.isnan, point)):
        raise ValueError("near is outside the globe: latitude -90..90, longitude -180..180.")
    return point


def _parse_time(name: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return parse_rfc3339(raw)
    except ValueError:
        raise ValueError(f"{name} must be an RFC 3339 time such as 2026-12-01T20:00:00Z.") from None


def decode_list_query(params: dict[str, Any]) -> ListQuery:
    """The query from the request's parameters (absent ones None), or 400 invalid_parameter."""
    given = {name: value for name, value in params.items() if value is not None}
    try:
        return msgspec.convert(given, ListQuery)
    except msgspec.ValidationError as exc:
        field = _ERROR_PATH.search(str(exc))
        detail = _FIELD_ERRORS.get(field.group(1), str(exc)) if field else str(exc)
        raise BadRequest(detail, code="invalid_parameter") from None


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).decode().rstrip("=")


def _in_range(value: object) -> bool:
    """What the database can compare: ids within signed 64 bits (2**63 overflowed the driver), finite distances."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= 40_075  # no distance on Earth is longer (km)
    return True


def decode_cursor(cursor: str, shape: tuple[Any, ...]) -> list:
    """The cursor's values, each of the type `shape` names, or 400 invalid_cursor."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        values = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(shape):
            raise ValueError
        for value, kind in zip(values, shape, strict=True):
            if not isinstance(value, kind) or isinstance(value, bool) or not _in_range(value):
                raise ValueError
        return values
    except (ValueError, msgspec.DecodeError, TypeError):
        raise BadRequest("cursor is not one this service issued; start again without it.",
                         code="invalid_cursor") from None


def decode_cursor_time(raw: str) -> datetime:
    try:
        return parse_rfc3339(raw)
    except ValueError:
        raise BadRequest("cursor is not one this service issued.", code="invalid_cursor") from None
