"""Writing a venue's seating back as a plan, in pretix's format or this project's own, so that importing the export
gives the same layout hash (docs/seating-plans.md, "Round trips").

pretix's format: the plan's zones (names, positions, drawings and ids, kept in `Venue.plan_meta`), holding the
seats best first, which for an imported plan is the plan's own order, so ranks come back; a new row object starts
wherever the row label changes, seats sit relative to their zone, rows at (0, 0). A venue that never was a pretix
plan gets a zone per section zone, at (0, 0). What pretix's format has no room for is left out: accessibility,
ranks (the plan's order stands for them), section names (made again from zone and category).
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
from msgspec import UNSET

from backend.organizer.plans._pretix import Category, PretixPlan, Size
from backend.organizer.plans._showtime import (
    FORMAT,
    VERSION,
    LayoutCategory,
    LayoutSeat,
    LayoutSection,
    ShowtimeLayout,
)
from db.seating import Seating, coordinate

# Room around the seats when a plan has no size of its own (pretix's current schema requires one).
MARGIN = 50


def _colors(meta: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["color"] for c in meta.get("categories", ())
            if isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("color"), str)}


def _size(seating: Seating, meta: dict[str, Any]) -> Size:
    kept = meta.get("size")
    if isinstance(kept, dict):
        return msgspec.convert(kept, Size)
    width = max((x for x in seating.xs), default=0.0)
    height = max((y for y in seating.ys), default=0.0)
    return Size(width=max(0, math.ceil(width)) + MARGIN, height=max(0, math.ceil(height)) + MARGIN)


def to_showtime(seating: Seating, meta: dict[str, Any], name: str) -> ShowtimeLayout:
    colors = _colors(meta)
    size = meta.get("size")
    return ShowtimeLayout(
        format=FORMAT, version=VERSION, name=str(meta.get("name") or name),
        categories=[LayoutCategory(name=c, color=colors.get(c, UNSET)) for c in seating.categories],
        sections=[LayoutSection(name=s.name, category=s.category, zone=s.zone) for s in seating.sections],
        seats=[LayoutSeat(seat_guid=seating.guids[i], section=seating.sections[seating.section_of[i]].name,
                          row=seating.rows[i], seat_number=seating.numbers[i], x=seating.xs[i], y=seating.ys[i],
                          rank=seating.ranks[i], accessible=seating.accessible[i])
               for i in seating.in_rank_order()],
        size=msgspec.convert(size, Size) if isinstance(size, dict) else UNSET,
    )


def _runs(seating: Seating) -> list[tuple[str, list[int]]]:
    """The seats best first, cut wherever the zone changes: (zone name, seat indexes) in order."""
    runs: list[tuple[str, list[int]]] = []
    for i in seating.in_rank_order():
        zone = seating.sections[seating.section_of[i]].zone
        if not runs or runs[-1][0] != zone:
            runs.append((zone, []))
        runs[-1][1].append(i)
    return runs


def _zones(seating: Seating, kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Zone objects whose seats, read in order, are the seats best first (so ranks come back as the plan's order):
    each run of seats takes the next unused kept zone of its name (its position, drawings and ids), or a new zone
    at (0, 0); kept zones no run takes (drawings only) stay in their place between the others."""
    out: list[dict[str, Any]] = []
    used = [False] * len(kept)
    emitted = 0  # kept zones before this index are placed
    for zone_name, seats in _runs(seating):
        candidates = [k for k, z in enumerate(kept) if not used[k] and z.get("name", "") == zone_name]
        later = [k for k in candidates if k >= emitted]
        k = later[0] if later else candidates[0] if candidates else None
        if k is None:
            zone: dict[str, Any] = {"position": {"x": 0.0, "y": 0.0}, **({"name": zone_name} if zone_name else {})}
        else:
            used[k] = True
            while emitted < k:  # drawings-only zones that came before this one
                if not used[emitted]:
                    used[emitted] = True
                    out.append({**kept[emitted], "rows": []})
                emitted += 1
            emitted = max(emitted, k + 1)
            zone = dict(kept[k])
        rows: list[dict[str, Any]] = []
        origin = zone["position"]
        for i in seats:
            if not rows or rows[-1]["row_number"] != seating.rows[i]:
                rows.append({"row_number": seating.rows[i], "seats": []})
            rows[-1]["seats"].append({
                "seat_guid": seating.guids[i], "seat_number": str(seating.numbers[i]),
                "category": seating.sections[seating.section_of[i]].category,
                "position": {"x": coordinate(seating.xs[i] - origin["x"]),
                             "y": coordinate(seating.ys[i] - origin["y"])},
            })
        out.append({**zone, "rows": rows})
    out.extend({**z, "rows": []} for k, z in enumerate(kept) if not used[k])
    return out


def to_pretix(seating: Seating, meta: dict[str, Any], name: str) -> PretixPlan:
    colors = _colors(meta)
    kept = [z for z in meta.get("zones", ()) if isinstance(z, dict)] if meta.get("format") == "pretix" else []
    zones = _zones(seating, kept)
    plan = {
        "name": str(meta.get("name") or name),
        "categories": [msgspec.to_builtins(Category(name=c, color=colors.get(c, UNSET)))
                       for c in seating.categories],
        "zones": zones,
        "size": msgspec.to_builtins(_size(seating, meta)),
    }
    # Through the Structs: what leaves here is a plan this module's own reader (and pretix's schema) accepts.
    return msgspec.convert(plan, PretixPlan)
