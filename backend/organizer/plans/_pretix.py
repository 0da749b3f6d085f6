"""pretix's published seating-plan format (JSON schema draft-07, "version": "0.0.1"), as msgspec Structs.

Each Struct mirrors one of the schema's definitions and refuses unknown fields, as the schema's
`"additionalProperties": false` does; the fields the schema requires are required here, the others optional
(UNSET, so an export leaves out what the plan did not say). The same 0.0.1 schema has grown over time: the newer
revision adds ids (`zone_id`, `uuid`), labels, `start_direction`, `radius`, shaped areas and makes `size`
required and positions plain numbers; the first revision had `displayed` on zones, `number_of_seats` and
`seats_spacing` on rows, and rectangles as an area's own `width`/`height` with its `text` a string. Plans of
both revisions are accepted, so each Struct holds the union of the two revisions' fields. docs/seating-plans.md
states the format field by field and how positions compose.

Bounds (lengths, ranges) are this project's, not the format's: see `_limits.py`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from backend.organizer.plans._limits import (
    MAX_AREAS,
    MAX_CATEGORIES,
    MAX_POINTS,
    MAX_ROWS,
    MAX_ZONES,
    CategoryName,
    Color,
    Coordinate,
    Dimension,
    Guid,
    Label,
    PlanName,
    Rotation,
    ZoneName,
)


class _Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """`additionalProperties: false`; an encoded Struct leaves out the optional fields it does not have."""


class Position(_Strict):
    """An element's position: relative to the element that holds it (see docs/seating-plans.md)."""

    x: Coordinate
    y: Coordinate


class Size(_Strict):
    """The whole plan's size, in pixels."""

    width: Dimension
    height: Dimension


class Category(_Strict):
    """A category of seats, e.g. a price level; seats name it."""

    name: CategoryName
    color: Color | UnsetType = UNSET


class Seat(_Strict):
    seat_guid: Guid
    seat_number: Label
    position: Position
    category: CategoryName
    uuid: Label | UnsetType = UNSET
    start_direction: Label | UnsetType | None = UNSET
    radius: Dimension | UnsetType = UNSET


class Row(_Strict):
    row_number: Label
    # At most MAX_SEATS in the whole plan: counted across rows when the plan is read, pointing at the first too many.
    seats: list[Seat]
    position: Position | UnsetType = UNSET
    row_label: Label | UnsetType | None = UNSET
    seat_label: Label | UnsetType | None = UNSET
    uuid: Label | UnsetType = UNSET
    row_number_position: Literal["start", "end", "both"] | UnsetType | None = UNSET
    # First revision only.
    number_of_seats: Dimension | UnsetType = UNSET
    seats_spacing: Dimension | UnsetType = UNSET


class Polygon(_Strict):
    points: Annotated[list[Position], Meta(max_length=MAX_POINTS)]


class Rectangle(_Strict):
    width: Dimension
    height: Dimension


class Ellipse(_Strict):
    radius: Position


class Circle(_Strict):
    radius: Dimension


class AreaText(_Strict):
    text: Label
    color: Color | UnsetType = UNSET
    size: Dimension | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class Area(_Strict):
    """A drawing on the plan (stage, bar, a label): shown, never sold."""

    color: Color | UnsetType = UNSET
    border_color: Color | UnsetType = UNSET
    rotation: Rotation | UnsetType = UNSET
    position: Position | UnsetType = UNSET
    uuid: Label | UnsetType = UNSET
    shape: Literal["polygon", "rectangle", "ellipse", "circle", "text"] | UnsetType = UNSET
    polygon: Polygon | UnsetType = UNSET
    rectangle: Rectangle | UnsetType = UNSET
    ellipse: Ellipse | UnsetType = UNSET
    circle: Circle | UnsetType = UNSET
    # The newer revision's text object, or the first revision's plain string.
    text: AreaText | Label | UnsetType = UNSET
    # First revision only (a rectangle's size).
    width: Dimension | UnsetType = UNSET
    height: Dimension | UnsetType = UNSET


class Zone(_Strict):
    """The group that holds rows and areas ("main area", "balcony")."""

    position: Position
    rows: Annotated[list[Row], Meta(max_length=MAX_ROWS)]
    name: ZoneName | UnsetType = UNSET
    zone_id: Label | UnsetType = UNSET
    uuid: Label | UnsetType = UNSET
    areas: Annotated[list[Area], Meta(max_length=MAX_AREAS)] | UnsetType = UNSET
    # First revision only.
    displayed: bool | UnsetType = UNSET


class PretixPlan(_Strict):
    """A whole plan: `{name, categories, zones, size?}`."""

    name: PlanName
    categories: Annotated[list[Category], Meta(max_length=MAX_CATEGORIES)]
    zones: Annotated[list[Zone], Meta(max_length=MAX_ZONES)]
    size: Size | UnsetType = UNSET
