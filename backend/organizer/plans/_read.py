"""Reading a plan: JSON bytes → a checked Struct of its format → a `db.seating.Seating` and what to keep beside it.

Every refusal is 422 `invalid_seating_plan` with `pointer`, the RFC 6901 JSON pointer of the first offending value
in the request body (`/seating_plan/zones/0/rows/3/seats/7/category`), and `detail`, a sentence. The structure is
checked first (msgspec stops at the first value of the wrong shape or type, or the first unknown field), then the
meaning, in document order: unique category names, unique seat guids, known categories, whole seat numbers, short
row labels, one seat per (section, row, number), bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from msgspec import UNSET

from backend.errors import Invalid
from backend.organizer.plans._limits import (
    MAX_COORDINATE,
    MAX_ROW_LABEL,
    MAX_SEAT_NUMBER_DIGITS,
    MAX_SEATS,
    MAX_SECTIONS,
)
from backend.organizer.plans._pretix import PretixPlan, Zone
from backend.organizer.plans._showtime import FORMAT as SHOWTIME_FORMAT
from backend.organizer.plans._showtime import ShowtimeLayout
from db.seating import PlanSection, Seating, coordinate, section_name

PlanFormat = Literal["pretix", "showtime"]
ERROR_CODE = "invalid_seating_plan"


@dataclass
class ReadPlan:
    format: PlanFormat
    name: str
    seating: Seating
    # Kept as Venue.plan_meta: the plan's name, categories with colours, size, zones' positions and drawings.
    meta: dict[str, Any]


def plan_error(pointer: str, detail: str) -> Invalid:
    return Invalid(detail, code=ERROR_CODE, pointer=pointer)


def pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


# msgspec names where it stopped as `$.zones[0].rows[1].seats[2].position.x`.
_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(.*)`$", re.DOTALL)
_SHOWN = 120  # how much of a client's own text (an unknown field's name) an answer repeats


def validation_pointer(exc: msgspec.ValidationError, base: str) -> tuple[str, str]:
    """(pointer, sentence) for a msgspec validation error, the pointer under `base`."""
    message = str(exc)
    text, found, path = message.rpartition(" - at `")
    if not found:
        text, path = message, "$`"
    pointer = base + "".join("/" + pointer_token(name or index)
                             for name, index in _PATH_PART.findall(path.removesuffix("`").removeprefix("$")))
    unknown = _UNKNOWN_FIELD.match(text)
    if unknown:
        # The offending value is the unknown field's own value.
        pointer += "/" + pointer_token(unknown.group(1))
        name = unknown.group(1)
        text = f"Unknown field `{name[:_SHOWN]}{'…' if len(name) > _SHOWN else ''}`: the format allows no other fields"
    return pointer, f"{text}."


def first_nul(value: Any) -> str | None:
    """The pointer (relative) of the first string, key or value, holding U+0000, in document order: no column or
    JSON column of PostgreSQL can keep it."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        pointer, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return pointer
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                if "\x00" in key:
                    return f"{pointer}/{pointer_token(key)}"
                children.append((f"{pointer}/{pointer_token(key)}", child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{pointer}/{k}", child) for k, child in enumerate(item)]))
    return None


class _Probe(msgspec.Struct):
    """Only what tells the formats apart: this project's layouts say `"format": "showtime"`; pretix's have no such
    field (its schema forbids any field it does not name)."""

    format: Any = UNSET


def read_plan(raw: bytes, base: str = "/seating_plan") -> ReadPlan:
    if b"\\u0000" in raw:
        nul = first_nul(msgspec.json.decode(raw))
        if nul is not None:
            raise plan_error(base + nul, "Text in a seating plan may not contain the NUL character (U+0000).")
    try:
        probe = msgspec.json.decode(raw, type=_Probe)
    except msgspec.ValidationError:
        raise plan_error(base, "A seating plan is a JSON object: pretix's format, or this project's own "
                               '(`"format": "showtime"`).') from None
    if probe.format is UNSET:
        return read_pretix(_decode(raw, PretixPlan, base), base)
    if probe.format == SHOWTIME_FORMAT:
        return read_showtime(_decode(raw, ShowtimeLayout, base), base)
    raise plan_error(f"{base}/format", 'Unknown plan format: this project\'s own layouts say `"format": "showtime"`; '
                                       "pretix's plans have no `format` field.")


def _decode(raw: bytes, kind: type, base: str) -> Any:
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        pointer, detail = validation_pointer(exc, base)
        raise plan_error(pointer, detail) from None


def _row_label(label: str, pointer: str) -> str:
    if len(label) > MAX_ROW_LABEL:
        raise plan_error(pointer, f"A row label may have at most {MAX_ROW_LABEL} characters (it is printed on the "
                                  f"ticket); this one has {len(label)}.")
    return label


def _in_bounds(x: float, y: float, pointer: str) -> None:
    if abs(x) > MAX_COORDINATE or abs(y) > MAX_COORDINATE:
        raise plan_error(pointer, f"This seat's position (zone + row + seat) lies beyond ±{MAX_COORDINATE:,.0f} "
                                  "map units.")


class _Sections:
    """Sections in order of first use, found by name; one name never stands for two categories."""

    def __init__(self, seating: Seating) -> None:
        self.seating = seating
        self.by_name: dict[str, int] = {}

    def index(self, name: str, category: str, zone: str, pointer: str) -> int:
        known = self.by_name.get(name)
        if known is not None:
            if self.seating.sections[known].category != category:
                raise plan_error(pointer, f"Section {name!r} would hold seats of two categories.")
            return known
        if len(self.seating.sections) == MAX_SECTIONS:
            raise plan_error(pointer, f"A plan may make at most {MAX_SECTIONS:,} sections (zone and category pairs).")
        self.by_name[name] = len(self.seating.sections)
        self.seating.sections.append(PlanSection(name, category, zone))
        return self.by_name[name]


def _unique_categories(names: list[str], base: str) -> list[str]:
    seen: set[str] = set()
    for k, name in enumerate(names):
        if name in seen:
            raise plan_error(f"{base}/categories/{k}/name",
                             f"Category {name!r} is named twice: a seat's category must say which one it is.")
        seen.add(name)
    return names


def read_pretix(plan: PretixPlan, base: str) -> ReadPlan:
    """A seat's position is its zone's plus its row's (absent: 0, 0) plus its own; rank is the plan's order."""
    categories = _unique_categories([c.name for c in plan.categories], base)
    known = set(categories)
    seating = Seating(categories=categories, sections=[])
    sections = _Sections(seating)
    guids: set[str] = set()
    places: set[tuple[int, str, int]] = set()
    # 60,000 seats go through this loop: pointers are spelled only for an error, and a zone's sections are looked
    # up by (zone, category) without building their names again.
    section_of: dict[tuple[str, str], int] = {}
    add = seating.add
    for zi, zone in enumerate(plan.zones):
        zone_name = zone.name if zone.name is not UNSET else ""
        zx, zy = zone.position.x, zone.position.y
        for ri, row in enumerate(zone.rows):
            label = _row_label(row.row_number, f"{base}/zones/{zi}/rows/{ri}/row_number")
            rx, ry = (row.position.x, row.position.y) if row.position is not UNSET else (0.0, 0.0)
            for si, seat in enumerate(row.seats):
                path = _SeatPath(base, zi, ri, si)
                if len(places) == MAX_SEATS:
                    raise plan_error(path(), f"A plan may have at most {MAX_SEATS:,} seats.")
                guid, category = seat.seat_guid, seat.category
                if guid in guids:
                    raise plan_error(path("/seat_guid"), f"Seat guid {guid!r} is used twice: each seat needs its own.")
                guids.add(guid)
                if category not in known:
                    raise plan_error(path("/category"), f"Category {category!r} is not one of the plan's categories.")
                text = seat.seat_number
                if not (text.isascii() and text.isdigit() and len(text) <= MAX_SEAT_NUMBER_DIGITS):
                    _seat_number(text, path("/seat_number"))
                number = int(text)
                x, y = zx + rx + seat.position.x, zy + ry + seat.position.y
                if not (-MAX_COORDINATE <= x <= MAX_COORDINATE and -MAX_COORDINATE <= y <= MAX_COORDINATE):
                    _in_bounds(x, y, path("/position"))
                section = section_of.get((zone_name, category))
                if section is None:
                    section = section_of[(zone_name, category)] = sections.index(
                        section_name(zone_name, category), category, zone_name, path("/category"))
                place = (section, label, number)
                if place in places:
                    raise plan_error(path("/seat_number"), f"Seat {number} of row {label!r} appears twice in section "
                                                           f"{seating.sections[section].name!r}.")
                places.add(place)
                add(guid, section, label, number, x, y, len(places) - 1, False)
    if not len(seating):
        raise plan_error(f"{base}/zones", "The plan has no seats.")
    meta: dict[str, Any] = {
        "format": "pretix",
        "name": plan.name,
        "categories": msgspec.to_builtins(plan.categories),
        "zones": [_zone_meta(zone) for zone in plan.zones],
    }
    if plan.size is not UNSET:
        meta["size"] = msgspec.to_builtins(plan.size)
    return ReadPlan("pretix", plan.name, seating, meta)


class _SeatPath:
    """A seat's pointer, spelled only when it is needed (an error)."""

    __slots__ = ("base", "row", "seat", "zone")

    def __init__(self, base: str, zone: int, row: int, seat: int) -> None:
        self.base, self.zone, self.row, self.seat = base, zone, row, seat

    def __call__(self, field: str = "") -> str:
        return f"{self.base}/zones/{self.zone}/rows/{self.row}/seats/{self.seat}{field}"


def _zone_meta(zone: Zone) -> dict[str, Any]:
    """A zone without its rows (the seats live in their own rows); its position at the map's precision, so that
    seats exported relative to it come back exactly."""
    kept = msgspec.to_builtins(msgspec.structs.replace(zone, rows=[]))
    del kept["rows"]
    kept["position"] = {"x": coordinate(zone.position.x), "y": coordinate(zone.position.y)}
    return kept


def _seat_number(text: str, pointer: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_SEAT_NUMBER_DIGITS):
        raise plan_error(pointer, f"Seat numbers here are whole numbers of 1 to {MAX_SEAT_NUMBER_DIGITS} digits "
                                  f"(tickets and best available count on them); {text[:_SHOWN]!r} is not one.")
    return int(text)


def read_showtime(layout: ShowtimeLayout, base: str) -> ReadPlan:
    categories = _unique_categories([c.name for c in layout.categories], base)
    known = set(categories)
    seating = Seating(categories=categories, sections=[])
    sections = _Sections(seating)
    for k, listed in enumerate(layout.sections):
        path = f"{base}/sections/{k}"
        if listed.name in sections.by_name:
            raise plan_error(f"{path}/name", f"Section {listed.name!r} is named twice.")
        if listed.category not in known:
            raise plan_error(f"{path}/category", f"Category {listed.category!r} is not one of the plan's "
                                                 "categories.")
        sections.index(listed.name, listed.category, listed.zone, f"{path}/name")
    guids: set[str] = set()
    places: set[tuple[int, str, int]] = set()
    for i, seat in enumerate(layout.seats):
        path = f"{base}/seats/{i}"
        if seat.seat_guid in guids:
            raise plan_error(f"{path}/seat_guid", f"Seat guid {seat.seat_guid!r} is used twice: each seat needs its "
                                                  "own.")
        guids.add(seat.seat_guid)
        found = sections.by_name.get(seat.section)
        if found is None:
            raise plan_error(f"{path}/section", f"Section {seat.section!r} is not one of the plan's sections.")
        section = found
        label = _row_label(seat.row, f"{path}/row")
        if (section, label, seat.seat_number) in places:
            raise plan_error(f"{path}/seat_number", f"Seat {seat.seat_number} of row {label!r} appears twice in "
                                                    f"section {seat.section!r}.")
        places.add((section, label, seat.seat_number))
        seating.add(seat.seat_guid, section, label, seat.seat_number, seat.x, seat.y, seat.rank, seat.accessible)
    if not len(seating):
        raise plan_error(f"{base}/seats", "The plan has no seats.")
    meta: dict[str, Any] = {"format": SHOWTIME_FORMAT, "name": layout.name,
                            "categories": msgspec.to_builtins(layout.categories)}
    if layout.size is not UNSET:
        meta["size"] = msgspec.to_builtins(layout.size)
    return ReadPlan("showtime", layout.name, seating, meta)
