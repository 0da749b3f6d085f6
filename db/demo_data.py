"""Demo data: four real venues in four cities, all of the demo organization, and a season of shows over three.

- a ~300-seat theatre in London (stalls, dress circle, upper circle, boxes; wheelchair spaces),
- a ~5,000-seat arena in Amsterdam (floor plus a ring of tiers),
- a 52,000-seat stadium in Berlin (an oval bowl of 24 sections),
- a 620-seat concert hall in Vienna, loaded from a seating plan in pretix's format (db/plans/musikverein.json,
  written for this project), the way an organizer imports one; no show is on there yet.

Seat coordinates are in abstract map units (the stage or pitch near the origin); `rank` orders seats best first
by distance to the focus of the show, so "best available" walks them in that order. Show times are relative to the
moment of seeding so the demo always has shows on sale, one whose sale opens later and queue-enabled hot shows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from db.seating import PlanSection, Seating, coordinate, insert_venue, section_name
from db.tables import Organization, Show, Venue

DEMO_ORGANIZATION = "Showtime Demo"  # also the one the migration gave venues made before organizations existed
SAMPLE_PLAN = Path(__file__).resolve().parent / "plans" / "musikverein.json"
# Prices of the sample plan's categories (the plan itself has none: a show prices its categories).
SAMPLE_PRICES = {"Kategorie 1": 9500, "Kategorie 2": 7500, "Kategorie 3": 5500, "Kategorie 4": 3000}


@dataclass
class SeatSpec:
    row: str
    number: int
    x: float
    y: float
    accessible: bool = False


@dataclass
class SectionSpec:
    name: str
    price_cents: int
    seats: list[SeatSpec] = field(default_factory=list)


@dataclass
class VenueSpec:
    name: str
    city: str
    lat: float
    lng: float
    focus: tuple[float, float]
    sections: list[SectionSpec]


def _row_label(index: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0 on a ticket
    if index < len(letters):
        return letters[index]
    return letters[index // len(letters) - 1] + letters[index % len(letters)]


def _arc_rows(name: str, price: int, rows: int, seats_first_row: int, growth: int, radius0: float,
              row_gap: float, angle_span: float, centre_angle: float = 90.0,
              accessible_rows: tuple[int, ...] = ()) -> SectionSpec:
    """Rows on concentric arcs around the stage at the origin."""
    section = SectionSpec(name, price)
    for r in range(rows):
        count = seats_first_row + r * growth
        radius = radius0 + r * row_gap
        for n in range(count):
            t = 0.5 if count == 1 else n / (count - 1)
            angle = math.radians(centre_angle - angle_span / 2 + t * angle_span)
            accessible = r in accessible_rows and n in (0, 1, count - 2, count - 1)
            section.seats.append(SeatSpec(_row_label(r), n + 1, round(radius * math.cos(angle), 2),
                                          round(radius * math.sin(angle), 2), accessible))
    return section


def theatre() -> VenueSpec:
    stalls = _arc_rows("Stalls", 8500, rows=12, seats_first_row=10, growth=1, radius0=60, row_gap=9,
                       angle_span=80, accessible_rows=(11,))
    dress = _arc_rows("Dress Circle", 6500, rows=5, seats_first_row=16, growth=1, radius0=180, row_gap=10,
                      angle_span=90, accessible_rows=(0,))
    upper = _arc_rows("Upper Circle", 3500, rows=4, seats_first_row=18, growth=1, radius0=250, row_gap=10,
                      angle_span=95)
    boxes = SectionSpec("Boxes", 12000)
    for side, x in (("L", -150), ("R", 150)):
        for n in range(4):
            boxes.seats.append(SeatSpec(f"Box {side}", n + 1, x + (n % 2) * 12 * (1 if x > 0 else -1),
                                        90 + (n // 2) * 12))
    return VenueSpec("Lyric Theatre", "London", 51.5117, -0.1337, (0.0, 0.0), [stalls, dress, upper, boxes])


def arena() -> VenueSpec:
    sections = []
    floor = SectionSpec("Floor", 9500)
    for r in range(20):
        for n in range(30):
            floor.seats.append(SeatSpec(_row_label(r), n + 1, round(-145 + n * 10, 2), round(60 + r * 10, 2),
                                        accessible=(r == 19 and n in (0, 1, 28, 29))))
    sections.append(floor)
    tiers = [("Lower", 7500, 10, 30, 330), ("Upper", 4500, 14, 30, 460)]
    for tier, price, rows, per_row, radius0 in tiers:
        for k in range(6):
            centre = 20 + k * 28  # six blocks fanned round the floor, facing the stage
            sections.append(_arc_rows(f"{tier} {k + 1}", price + (1000 if k in (2, 3) else 0), rows, per_row, 0,
                                      radius0, 11, 22, centre_angle=centre,
                                      accessible_rows=(0,) if tier == "Lower" else ()))
    return VenueSpec("Ziggo Arena", "Amsterdam", 52.3130, 4.9372, (0.0, 0.0), sections)


def stadium() -> VenueSpec:
    sections = []
    blocks, rows, per_row = 24, 50, 44  # 24 x 50 x 44 = 52,800 seats
    for k in range(blocks):
        centre = k * 360 / blocks
        side = math.cos(math.radians(centre)) ** 2  # long sides of the pitch cost more than the ends
        price = 4500 + int(side * 5000) // 500 * 500
        section = SectionSpec(f"Block {k + 1}", price)
        for r in range(rows):
            for n in range(per_row):
                angle = math.radians(centre - 7 + 14 * n / (per_row - 1))
                # An oval bowl: wider along x, the pitch's long axis.
                rx, ry = 700 + r * 8, 480 + r * 8
                section.seats.append(SeatSpec(_row_label(r), n + 1, round(rx * math.cos(angle), 1),
                                              round(ry * math.sin(angle), 1),
                                              accessible=(r == 0 and n % 11 == 0)))
        sections.append(section)
    return VenueSpec("Olympiastadion", "Berlin", 52.5147, 13.2395, (0.0, 0.0), sections)


def _seating(spec: VenueSpec) -> Seating:
    """A spec's seats in the canonical form: each section its own category (and zone), seats ranked by distance
    to the focus, guids `<section>/<row>/<number>`."""
    seating = Seating(categories=[s.name for s in spec.sections],
                      sections=[PlanSection(s.name, s.name, s.name) for s in spec.sections])
    ranked = sorted(((math.hypot(seat.x - spec.focus[0], seat.y - spec.focus[1]), k, seat)
                     for k, section in enumerate(spec.sections) for seat in section.seats), key=lambda item: item[0])
    for rank, (_, k, seat) in enumerate(ranked):
        seating.add(f"{spec.sections[k].name}/{seat.row}/{seat.number}", k, seat.row, seat.number, seat.x, seat.y,
                    rank, seat.accessible)
    return seating


async def _insert_venue(spec: VenueSpec, organization: int) -> tuple[int, int]:
    seating = _seating(spec)
    venue, _ = await insert_venue(
        name=spec.name, city=spec.city, lat=spec.lat, lng=spec.lng, organization=organization, seating=seating,
        plan_meta={"name": spec.name, "categories": [{"name": name} for name in seating.categories]},
        section_prices={s.name: s.price_cents for s in spec.sections})
    return venue, len(seating)


def plan_seating(plan: dict[str, Any]) -> tuple[Seating, dict[str, Any]]:
    """The sample plan's seating and what it carries besides, read as pretix composes positions: a seat is at its
    zone's position plus its row's plus its own. backend/organizer/plans reads every plan this way, with all its
    checks (db may not import it); tests/organizer check that both give the same layout hash."""
    seating = Seating(categories=[c["name"] for c in plan["categories"]], sections=[])
    index: dict[str, int] = {}
    for zone in plan["zones"]:
        zone_name = zone.get("name", "")
        zx, zy = zone["position"]["x"], zone["position"]["y"]
        for row in zone["rows"]:
            rx, ry = row.get("position", {}).get("x", 0), row.get("position", {}).get("y", 0)
            for seat in row["seats"]:
                name = section_name(zone_name, seat["category"])
                if name not in index:
                    index[name] = len(seating.sections)
                    seating.sections.append(PlanSection(name, seat["category"], zone_name))
                seating.add(seat["seat_guid"], index[name], row["row_number"], int(seat["seat_number"]),
                            zx + rx + seat["position"]["x"], zy + ry + seat["position"]["y"], len(seating), False)
    zones = [{**{k: v for k, v in zone.items() if k != "rows"},
              "position": {"x": coordinate(zone["position"]["x"]), "y": coordinate(zone["position"]["y"])}}
             for zone in plan["zones"]]
    meta = {"format": "pretix", "name": plan["name"], "categories": plan["categories"], "zones": zones,
            **({"size": plan["size"]} if "size" in plan else {})}
    return seating, meta


async def _insert_sample_plan(organization: int) -> tuple[int, int]:
    seating, meta = plan_seating(json.loads(SAMPLE_PLAN.read_text(encoding="utf-8")))
    venue, _ = await insert_venue(
        name="Musikverein", city="Vienna", lat=48.2006, lng=16.3725, organization=organization, seating=seating,
        plan_meta=meta,
        section_prices={s.name: SAMPLE_PRICES[s.category] for s in seating.sections})
    return venue, len(seating)


async def demo_organization() -> int:
    found = await Organization.select(Organization.id).where(Organization.name == DEMO_ORGANIZATION).first()
    if found is None:
        found = (await Organization.insert(Organization(name=DEMO_ORGANIZATION)).returning(Organization.id))[0]
    return int(found["id"])


async def database_is_empty() -> bool:
    return not await Venue.exists()


async def seed() -> dict[str, int]:
    organization = await demo_organization()
    venues = {}
    for spec in (theatre(), arena(), stadium()):
        venues[spec.name] = (*await _insert_venue(spec, organization), spec)
    _, sample_seats = await _insert_sample_plan(organization)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    day = timedelta(days=1)
    shows = [
        ("Hamlet", "Shakespeare's tragedy in a new staging.", "Lyric Theatre", 10 * day, -7 * day, False),
        ("The Nutcracker", "The Christmas ballet with a live orchestra.", "Lyric Theatre", 24 * day, -14 * day,
         False),
        ("Late Night Comedy", "Five comedians, one microphone.", "Lyric Theatre", 40 * day, 3 * day, False),
        ("Northern Lights Tour", "Electronic pop under a sky of lasers.", "Ziggo Arena", 14 * day, -10 * day,
         False),
        ("Championship Finals", "The season's final night of basketball.", "Ziggo Arena", 30 * day, -1 * day,
         True),
        ("Symphony of Film", "Film scores played by a full symphony orchestra.", "Ziggo Arena", 50 * day,
         -20 * day, False),
        ("Summer Stadium Fest", "A day of rock bands in the open air.", "Olympiastadion", 60 * day, -30 * day,
         False),
        ("Cup Final", "The national cup final.", "Olympiastadion", 75 * day, -2 * day, True),
        ("World Tour Finale", "The last night of a world tour.", "Olympiastadion", 90 * day, 5 * day, True),
    ]
    for title, description, venue_name, starts_in, opens_in, queue in shows:
        venue_id, seat_count, spec = venues[venue_name]
        await Show.insert(
            Show(
                title=title,
                description=description,
                venue=venue_id,
                starts_at=now + starts_in,
                sale_opens_at=now + opens_in,
                currency="GBP" if spec.city == "London" else "EUR",
                queue_enabled=queue,
                seats_total=seat_count,
                search_text=f"{title} {description} {spec.name} {spec.city}",
            )
        )
    return {**{name: count for name, (_, count, _) in venues.items()}, "Musikverein": sample_seats}
