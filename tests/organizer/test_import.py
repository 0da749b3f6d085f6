"""Venues from seating-plan files over HTTP, on the real server and database: pretix's format and this project's
own, positions composed (zone + row + seat), the same plan again answering 200 with the same venue, exports that
import to the same layout hash, and the demo venue loaded from the sample plan."""

from __future__ import annotations

import json

import httpx

from db.demo_data import plan_seating
from db.seating import layout_hash
from db.tables import Seat, Section, Venue
from tests.organizer.conftest import MakeOrganizer
from tests.organizer.plans import pretix_plan, sample_plan, showtime_plan, venue_body

VENUES = "/api/v1/organizer/venues"


async def import_plan(client: httpx.AsyncClient, body: dict, status: int = 201) -> dict:
    response = await client.post(VENUES, json=body)
    assert response.status_code == status, response.text[:500]
    return response.json()


async def export(client: httpx.AsyncClient, venue_id: str, fmt: str | None = None) -> dict:
    response = await client.get(f"{VENUES}/{venue_id}/seating-plan", params={"format": fmt} if fmt else None)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def test_a_pretix_plan_becomes_a_venue_with_composed_positions(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    plan = pretix_plan(rows=3, seats_per_row=4)
    answer = await import_plan(client, venue_body(plan, name="Small hall", city="Graz"))
    assert answer["seats"] == 12 and answer["categories"] == ["Front", "Back"]
    assert len(answer["layout_hash"]) == 32
    venue = await Venue.select(Venue.organization, Venue.name, Venue.city, Venue.layout_hash).where(
        Venue.id == int(answer["venue_id"])).first()
    assert venue == {"organization": client.organization_id, "name": "Small hall", "city": "Graz",  # type: ignore[attr-defined]
                     "layout_hash": answer["layout_hash"]}
    seats = await Seat.select(Seat.guid, Seat.row, Seat.number, Seat.x, Seat.y, Seat.rank, Seat.accessible,
                              Seat.section.name, Seat.section.category, Seat.section.zone).where(
        Seat.venue == int(answer["venue_id"])).order_by(Seat.rank)
    prefix = plan["zones"][0]["rows"][0]["seats"][0]["seat_guid"].rsplit("-", 2)[0]
    # Zone (100, 50) + row (5 r, 20 r) + seat (10 s, 0); rank is the plan's order.
    assert [(s["guid"], s["row"], s["number"], s["x"], s["y"], s["rank"]) for s in seats] == [
        (f"{prefix}-{r}-{n}", str(r + 1), n + 1, 100.0 + 5 * r + 10 * n, 50.0 + 20 * r, 4 * r + n)
        for r in range(3) for n in range(4)]
    assert not any(s["accessible"] for s in seats)
    # One section per zone and category: "Hall · Front" holds rows 1 and 3.
    assert {(s["section.name"], s["section.category"], s["section.zone"]) for s in seats} == {
        ("Hall · Front", "Front", "Hall"), ("Hall · Back", "Back", "Hall")}
    assert [s["row"] for s in seats if s["section.name"] == "Hall · Front"] == ["1"] * 4 + ["3"] * 4


async def test_the_same_plan_again_is_the_same_venue(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    body = venue_body(pretix_plan())
    first = await import_plan(client, body)
    again = await import_plan(client, body, status=200)
    assert again == first
    # Keys in another order, the same plan: the hash is of the seating, not of the bytes.
    reordered = {**body, "seating_plan": dict(reversed(list(body["seating_plan"].items())))}
    assert await import_plan(client, reordered, status=200) == first
    assert await Venue.count().where(Venue.layout_hash == first["layout_hash"]) == 1
    # Another name (or another organization) makes a venue of its own, with the same layout hash.
    other = await import_plan(client, {**body, "name": body["name"] + " II"})
    assert other["venue_id"] != first["venue_id"] and other["layout_hash"] == first["layout_hash"]
    elsewhere = await import_plan(await make_organizer(), body)
    assert elsewhere["venue_id"] not in (first["venue_id"], other["venue_id"])
    assert elsewhere["layout_hash"] == first["layout_hash"]


async def test_exports_import_to_the_same_layout_hash(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    for plan in (sample_plan(), pretix_plan(), showtime_plan()):
        first = await import_plan(client, venue_body(plan))
        for fmt in ("pretix", "showtime"):
            exported = await export(client, first["venue_id"], fmt)
            if fmt == "pretix" and "format" in plan:
                continue  # pretix's format has no room for ranks and wheelchair spaces: another seating
            again = await import_plan(client, venue_body(exported))
            assert again["layout_hash"] == first["layout_hash"], (fmt, plan["name"])
            assert again["categories"] == first["categories"] and again["seats"] == first["seats"]
            # And the export of the venue made from the export is the export itself.
            assert await export(client, again["venue_id"], fmt) == exported


async def test_the_default_export_is_the_own_format_keeping_ranks_and_wheelchair_spaces(
        make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    plan = showtime_plan(seats=6)
    answer = await import_plan(client, venue_body(plan))
    exported = await export(client, answer["venue_id"])
    assert exported["format"] == "showtime" and exported["version"] == 1
    assert exported["categories"] == plan["categories"] and exported["sections"] == [
        {"name": "Stalls", "category": "Stalls"}, {"name": "Box A", "category": "Boxes", "zone": "Box"}]
    by_guid = {s["seat_guid"]: s for s in exported["seats"]}
    for seat in plan["seats"]:
        assert by_guid[seat["seat_guid"]] == {k: v for k, v in seat.items() if v is not False}
    # Best first: ranks were 6..1 in the file.
    assert [s["rank"] for s in exported["seats"]] == [1, 2, 3, 4, 5, 6]


async def test_the_pretix_export_keeps_zones_drawings_and_colours(make_organizer: MakeOrganizer) -> None:
    client = await make_organizer()
    plan = sample_plan()
    answer = await import_plan(client, venue_body(plan))
    exported = await export(client, answer["venue_id"], "pretix")
    assert exported["name"] == plan["name"] and exported["categories"] == plan["categories"]
    assert exported["size"] == plan["size"]
    for kept, original in zip(exported["zones"], plan["zones"], strict=True):
        assert kept["name"] == original["name"] and kept["zone_id"] == original["zone_id"]
        assert kept.get("areas") == original.get("areas")
        assert kept["position"] == {k: float(v) for k, v in original["position"].items()}

    def seats(document: dict) -> dict[str, tuple]:
        found = {}
        for zone in document["zones"]:
            for row in zone["rows"]:
                for seat in row["seats"]:
                    found[seat["seat_guid"]] = (
                        row["row_number"], int(seat["seat_number"]), seat["category"], zone["name"],
                        zone["position"]["x"] + row.get("position", {}).get("x", 0) + seat["position"]["x"],
                        zone["position"]["y"] + row.get("position", {}).get("y", 0) + seat["position"]["y"])
        return found

    assert seats(exported) == seats(plan)


async def test_the_list_shows_the_organizations_venues_only(make_organizer: MakeOrganizer) -> None:
    a, b = await make_organizer(), await make_organizer()
    mine = await import_plan(a, venue_body(pretix_plan(), name="Mine", city="Linz"))
    await import_plan(b, venue_body(pretix_plan(), name="Theirs"))
    listed = (await a.get(VENUES)).json()["items"]
    assert listed == [{"venue_id": mine["venue_id"], "name": "Mine", "city": "Linz", "lat": 48.2, "lng": 16.37,
                       "layout_hash": mine["layout_hash"], "seats": 12, "categories": ["Front", "Back"]}]


async def test_the_demo_venue_is_the_sample_plan_as_an_organizer_imports_it(make_organizer: MakeOrganizer) -> None:
    """db/demo_data.py reads the sample plan with its own short walk (db may not import backend): the same seats."""
    demo_organizer = await make_organizer("Showtime Demo")
    listed = {v["name"]: v for v in (await demo_organizer.get(VENUES)).json()["items"]}
    assert {"Lyric Theatre", "Ziggo Arena", "Olympiastadion", "Musikverein"} <= set(listed)
    seating, _ = plan_seating(sample_plan())
    assert listed["Musikverein"]["layout_hash"] == layout_hash(seating)
    assert listed["Musikverein"]["seats"] == 620 and listed["Musikverein"]["categories"] == [
        "Kategorie 1", "Kategorie 2", "Kategorie 3", "Kategorie 4"]
    imported = await import_plan(await make_organizer(), venue_body(sample_plan()))
    assert imported["layout_hash"] == listed["Musikverein"]["layout_hash"]
    # The demo venues made without a plan export too, and come back the same.
    theatre = listed["Lyric Theatre"]
    exported = await export(demo_organizer, theatre["venue_id"])
    assert sum(1 for s in exported["seats"] if s.get("accessible")) > 0
    again = await import_plan(demo_organizer, venue_body(exported, name="Lyric Theatre (copy)"))
    assert again["layout_hash"] == theatre["layout_hash"]
    sections = await Section.select(Section.name, Section.price_cents).where(
        Section.venue == int(again["venue_id"]))
    assert {s["name"] for s in sections} == {"Stalls", "Dress Circle", "Upper Circle", "Boxes"}
    # Prices belong to shows (they set them per category), not to the plan: an imported venue's are 0 until then.
    assert {s["price_cents"] for s in sections} == {0}


async def test_a_large_sample_body_is_let_through_the_edge_on_this_route_only(
        make_organizer: MakeOrganizer, fan: httpx.AsyncClient) -> None:
    body = json.dumps(venue_body(sample_plan())).encode()
    assert len(body) > 64 * 1024  # more than any other route takes
    client = await make_organizer()
    assert (await client.post(VENUES, content=body, headers={"Content-Type": "application/json"})).status_code == 201
    refused = await fan.post("/api/v1/auth/register", content=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413 and refused.json()["error"] == "body_too_large"
