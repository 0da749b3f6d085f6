"""An organizer's shows (API.md, "Organizers"): created with a price per seat category, public at once, sold at
those prices, edited, and refused an edit that would change what a sold ticket is."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import httpx

from backend.timeutil import rfc3339, utcnow
from tests.organizer.conftest import MakeOrganizer
from tests.organizer.plans import pretix_plan, venue_body
from tests.payments.helpers import Standin, hold_and_checkout, order_status_becomes

PREFIX = "/api/v1/organizer"


async def venue_of(organizer: httpx.AsyncClient, categories: tuple[str, ...] = ("Front", "Back")) -> dict[str, Any]:
    response = await organizer.post(f"{PREFIX}/venues", json=venue_body(pretix_plan(categories=categories)))
    assert response.status_code == 201, response.text
    return response.json()


def show_body(venue_id: str, **changes: Any) -> dict[str, Any]:
    now = utcnow()
    body = {"venue_id": venue_id, "title": f"Quartet {secrets.token_hex(4)}", "description": "Strings",
            "starts_at": rfc3339(now + timedelta(days=30)), "sale_opens_at": rfc3339(now - timedelta(minutes=1)),
            "currency": "EUR", "prices": [{"category": "Front", "price_cents": 4500},
                                          {"category": "Back", "price_cents": 2500}],
            "max_seats_per_order": 4, "queue": {"enabled": False}}
    body.update(changes)
    return body


async def new_show(organizer: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    venue = await venue_of(organizer)
    response = await organizer.post(f"{PREFIX}/shows", json=show_body(venue["venue_id"], **changes))
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_show_is_created_priced_per_category_and_public_at_once(
        make_organizer: MakeOrganizer, anon: httpx.AsyncClient) -> None:
    organizer = await make_organizer()
    show = await new_show(organizer)
    assert show["sale"] == "open" and show["status"] == "on_sale"
    assert show["price_range"] == {"min_cents": 2500, "max_cents": 4500, "currency": "EUR"}
    assert show["seats"] == {"total": 12, "available": 12}
    assert show["prices"] == [{"category": "Front", "price_cents": 4500}, {"category": "Back", "price_cents": 2500}]
    assert show["max_seats_per_order"] == 4 and show["queue"]["enabled"] is False

    listed = (await anon.get("/api/v1/shows", params={"q": show["title"]})).json()["items"]
    assert [item["id"] for item in listed] == [show["id"]]
    public = (await anon.get(f"/api/v1/shows/{show['id']}")).json()
    assert public["price_range"] == show["price_range"] and "sale" not in public
    assert {k: v for k, v in show.items() if k in public and k != "queue"} == {
        k: v for k, v in public.items() if k != "queue"}
    assert public["queue"] == {"enabled": False}  # the organizer's show adds the waiting room's settings

    mine = (await organizer.get(f"{PREFIX}/shows")).json()["items"]
    assert [item["id"] for item in mine] == [show["id"]]
    assert (await organizer.get(f"{PREFIX}/shows/{show['id']}")).json() == show


async def test_every_category_needs_a_price(make_organizer: MakeOrganizer) -> None:
    organizer = await make_organizer()
    venue = await venue_of(organizer)
    response = await organizer.post(f"{PREFIX}/shows", json=show_body(
        venue["venue_id"], prices=[{"category": "Front", "price_cents": 4500}]))
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "missing_price" and response.json()["category"] == "Back"
    response = await organizer.post(f"{PREFIX}/shows", json=show_body(
        venue["venue_id"], prices=[{"category": "Front", "price_cents": 1}, {"category": "Back", "price_cents": 1},
                                   {"category": "Balcony", "price_cents": 1}]))
    assert response.status_code == 422 and response.json()["error"] == "unknown_category", response.text


async def test_another_organizations_venue_is_not_found(make_organizer: MakeOrganizer) -> None:
    mine, theirs = await make_organizer(), await make_organizer()
    venue = await venue_of(theirs)
    response = await mine.post(f"{PREFIX}/shows", json=show_body(venue["venue_id"]))
    assert response.status_code == 404 and response.json()["error"] == "venue_not_found", response.text


async def test_fans_pay_the_shows_prices_and_sold_tickets_keep_what_they_are(
        server, make_organizer: MakeOrganizer, make_fan) -> None:
    organizer = await make_organizer()
    show = await new_show(organizer)
    seat_map = (await organizer.get(f"/api/v1/shows/{show['id']}/map")).json()
    sections = {s["id"]: s for s in seat_map["sections"]}
    assert sorted(s["price_cents"] for s in sections.values()) == [2500, 4500]
    front = [seat["id"] for seat in seat_map["seats"] if sections[seat["section_id"]]["price_cents"] == 4500][:2]

    fan = await make_fan()
    order = await hold_and_checkout(fan, show["id"], front)
    assert order["amount_cents"] == 9000
    await Standin(server).pay(order["payment"]["client_secret"])
    await order_status_becomes(fan, order["order_id"], "paid")

    url = f"{PREFIX}/shows/{show['id']}"
    refused = await organizer.patch(url, json={"prices": [{"category": "Front", "price_cents": 5000},
                                                          {"category": "Back", "price_cents": 2500}]})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "show_has_sales" and refused.json()["category"] == "Front"
    other_venue = await venue_of(organizer)
    moved = await organizer.patch(url, json={"venue_id": other_venue["venue_id"]})
    assert moved.status_code == 409 and moved.json()["field"] == "venue_id", moved.text

    # What no sold ticket is: the unsold category's price, the title.
    changed = await organizer.patch(url, json={"title": "Quartet, late", "prices": [
        {"category": "Front", "price_cents": 4500}, {"category": "Back", "price_cents": 3000}]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Quartet, late"
    assert changed.json()["price_range"] == {"min_cents": 3000, "max_cents": 4500, "currency": "EUR"}
    assert (await fan.get(f"/api/v1/shows/{show['id']}")).json()["title"] == "Quartet, late"


async def test_a_show_without_sales_may_move_venue(make_organizer: MakeOrganizer) -> None:
    organizer = await make_organizer()
    show = await new_show(organizer)
    other = await venue_of(organizer, categories=("Stalls", "Circle"))
    url = f"{PREFIX}/shows/{show['id']}"
    lacking = await organizer.patch(url, json={"venue_id": other["venue_id"]})
    assert lacking.status_code == 422 and lacking.json()["error"] == "missing_price", lacking.text
    moved = await organizer.patch(url, json={"venue_id": other["venue_id"], "prices": [
        {"category": "Stalls", "price_cents": 100}, {"category": "Circle", "price_cents": 200}]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["venue"]["id"] == other["venue_id"] and moved.json()["price_range"]["max_cents"] == 200


async def test_other_organizations_shows_are_not_found(make_organizer: MakeOrganizer) -> None:
    mine, theirs = await make_organizer(), await make_organizer()
    show = await new_show(theirs)
    for response in (await mine.get(f"{PREFIX}/shows/{show['id']}"),
                     await mine.patch(f"{PREFIX}/shows/{show['id']}", json={"title": "Mine now"})):
        assert response.status_code == 404 and response.json()["error"] == "show_not_found", response.text
    assert (await mine.get(f"{PREFIX}/shows")).json()["items"] == []
