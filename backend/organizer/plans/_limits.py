"""What a plan may hold. The formats set no bounds; these are ours, so that no file can make the import run long,
allocate without end, or write a value a column or the seat map cannot keep (each is answered 422 with a pointer)."""

from __future__ import annotations

from typing import Annotated

import msgspec

MAX_SEATS = 100_000  # the demo stadium has 52,800; a 60,000-seat plan imports in a few seconds
MAX_ZONES = 1_000
MAX_ROWS = 10_000  # rows in one zone
MAX_SECTIONS = 1_000  # (zone, category) pairs a plan uses
MAX_CATEGORIES = 200
MAX_AREAS = 1_000  # drawings in one zone
MAX_POINTS = 1_000  # corners of one polygon
# The seat map keeps coordinates as int32 hundredths, delta-coded twice (backend/catalog/map_format.py): a
# million map units either way leaves room for both deltas.
MAX_COORDINATE = 1_000_000.0
MAX_DIMENSION = 10_000_000
MAX_ROW_LABEL = 8  # db.tables.Seat.row
MAX_SEAT_NUMBER_DIGITS = 6  # seat numbers are whole numbers here (db.tables.Seat.number, the tickets, best available)
MAX_RANK = 2**31 - 1

Coordinate = Annotated[float, msgspec.Meta(ge=-MAX_COORDINATE, le=MAX_COORDINATE)]
Dimension = Annotated[int, msgspec.Meta(ge=-MAX_DIMENSION, le=MAX_DIMENSION)]
Rotation = Annotated[float, msgspec.Meta(ge=-360_000.0, le=360_000.0)]
PlanName = Annotated[str, msgspec.Meta(max_length=200)]
CategoryName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
ZoneName = Annotated[str, msgspec.Meta(max_length=50)]
SectionName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Guid = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
# Long enough for any label a plan carries; the row label itself is checked against MAX_ROW_LABEL with a sentence.
Label = Annotated[str, msgspec.Meta(max_length=200)]
Color = Annotated[str, msgspec.Meta(max_length=40)]
