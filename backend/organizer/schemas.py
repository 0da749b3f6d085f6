"""The organizer API's bodies and answers (API.md, "Organizers"). The seating plans themselves are in plans/."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta


class VenueImportBody(msgspec.Struct, forbid_unknown_fields=True):
    """`seating_plan` stays raw here: it is read by backend/organizer/plans, which tells its format and points at
    its first bad value."""

    name: Annotated[str, Meta(min_length=1, max_length=200)]
    city: Annotated[str, Meta(min_length=1, max_length=100)]
    lat: Annotated[float, Meta(ge=-90, le=90)]
    lng: Annotated[float, Meta(ge=-180, le=180)]
    seating_plan: msgspec.Raw


class VenueImported(msgspec.Struct):
    venue_id: str
    layout_hash: str
    seats: int
    categories: list[str]


class OrganizerVenue(msgspec.Struct):
    """A venue of the caller's organization: the import's answer plus where it is."""

    venue_id: str
    name: str
    city: str
    lat: float
    lng: float
    layout_hash: str
    seats: int
    categories: list[str]


class OrganizerVenueList(msgspec.Struct):
    items: list[OrganizerVenue]
