"""Seating plans for the organizer tests, written here: small pretix-format and showtime-format plans, and the
request body that imports one."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "db" / "plans" / "musikverein.json"


def sample_plan() -> dict[str, Any]:
    return json.loads(SAMPLE_PLAN.read_text(encoding="utf-8"))


def pretix_seat(guid: str, number: int | str, x: float, y: float, category: str) -> dict[str, Any]:
    return {"seat_guid": guid, "seat_number": str(number), "position": {"x": x, "y": y}, "category": category}


def pretix_plan(rows: int = 3, seats_per_row: int = 4, categories: tuple[str, ...] = ("Front", "Back"),
                prefix: str | None = None) -> dict[str, Any]:
    """One zone at (100, 50); rows at (5 r, 20 r); seats at (10 s, 0): seat (r, s) is at (100 + 5 r + 10 s, 50 + 20 r)."""
    prefix = prefix or secrets.token_hex(3)
    return {
        "name": "Small hall",
        "categories": [{"name": c} for c in categories],
        "zones": [{
            "name": "Hall", "position": {"x": 100, "y": 50},
            "rows": [{"row_number": str(r + 1), "position": {"x": 5 * r, "y": 20 * r},
                      "seats": [pretix_seat(f"{prefix}-{r}-{s}", s + 1, 10 * s, 0, categories[r % len(categories)])
                                for s in range(seats_per_row)]}
                     for r in range(rows)],
        }],
        "size": {"width": 400, "height": 300},
    }


def showtime_plan(seats: int = 6, prefix: str | None = None) -> dict[str, Any]:
    prefix = prefix or secrets.token_hex(3)
    return {
        "format": "showtime", "version": 1, "name": "Own layout",
        "categories": [{"name": "Stalls", "color": "#aa3333"}, {"name": "Boxes"}],
        "sections": [{"name": "Stalls", "category": "Stalls"}, {"name": "Box A", "category": "Boxes", "zone": "Box"}],
        "seats": [{"seat_guid": f"{prefix}-{i}", "section": "Stalls" if i % 3 else "Box A", "row": "A",
                   "seat_number": i + 1, "x": 10.5 * i, "y": -4.25, "rank": seats - i, "accessible": i == 0}
                  for i in range(seats)],
    }


def venue_body(plan: Any, name: str | None = None, city: str = "Vienna") -> dict[str, Any]:
    return {"name": name or f"Hall {secrets.token_hex(3)}", "city": city, "lat": 48.2, "lng": 16.37,
            "seating_plan": plan}
