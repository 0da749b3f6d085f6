"""This project's own layout format ("showtime", version 1): what pretix's format has no room for.

A flat list of seats, each naming its section; sections name their category (what a show prices) and, when the
plan came from pretix, the zone they were drawn in. Beyond pretix's format it carries each seat's accessibility
(wheelchair spaces), its rank (lower is better: the order best available offers seats in) and the sections
themselves (their names and order, which the seat map and tickets show). Coordinates are absolute map units.

    {"format": "showtime", "version": 1, "name": "Lyric Theatre",
     "categories": [{"name": "Stalls", "color": "#8e2b2b"}],
     "sections": [{"name": "Stalls", "category": "Stalls", "zone": "Stalls"}],
     "seats": [{"seat_guid": "Stalls/A/1", "section": "Stalls", "row": "A", "seat_number": 1,
                "x": -30.5, "y": 60.0, "rank": 0, "accessible": false}],
     "size": {"width": 800, "height": 600}}

Keys are chosen so that no body carrying a layout looks like card data to the edge (backend/edge/card_data.py refuses
a key named `number` anywhere), hence `seat_number`, as in pretix's format.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from backend.organizer.plans._limits import (
    MAX_CATEGORIES,
    MAX_RANK,
    MAX_SEATS,
    MAX_SECTIONS,
    CategoryName,
    Color,
    Coordinate,
    Guid,
    Label,
    PlanName,
    SectionName,
    ZoneName,
)
from backend.organizer.plans._pretix import Size

FORMAT: Literal["showtime"] = "showtime"
VERSION: Literal[1] = 1


class _Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    pass


class LayoutCategory(_Strict):
    name: CategoryName
    color: Color | UnsetType = UNSET


class LayoutSection(_Strict):
    name: SectionName
    category: CategoryName
    zone: ZoneName = ""


class LayoutSeat(_Strict):
    seat_guid: Guid
    section: SectionName
    row: Label
    seat_number: Annotated[int, Meta(ge=0, le=999_999)]
    x: Coordinate
    y: Coordinate
    rank: Annotated[int, Meta(ge=0, le=MAX_RANK)]
    accessible: bool = False


class ShowtimeLayout(_Strict):
    format: Literal["showtime"]
    version: Literal[1]
    name: PlanName
    categories: Annotated[list[LayoutCategory], Meta(max_length=MAX_CATEGORIES)]
    sections: Annotated[list[LayoutSection], Meta(max_length=MAX_SECTIONS)]
    seats: Annotated[list[LayoutSeat], Meta(max_length=MAX_SEATS)]
    size: Size | UnsetType = UNSET
