"""Catalog over HTTP against the real server with the demo data plus shows made here."""

from __future__ import annotations

import asyncio
import gzip
from datetime import timedelta

import httpx
import msgspec

from backend.catalog.search import VenuePriceRanges
from backend.timeutil import utcnow
from db.tables import Section
from tests.support.data import create_show


async def _all_pages(client: httpx.AsyncClient, params: dict) -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        response = await client.get("/api/v1/shows", params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("pagination did not end")


async def test_lists_demo_shows_soonest_first_with_contract_fields(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/api/v1/shows", params={"limit": 100})
    assert response.status_code == 200
    items = response.json()["items"]
    titles = {show["title"] for show in items}
    assert {"Hamlet", "Cup Final", "Summer Stadium Fest"} <= titles
    starts = [show["starts_at"] for show in items]
    assert starts == sorted(starts)
    show = items[0]
    assert set(show) >= {"id", "title", "description", "venue", "starts_at", "sale_opens_at", "status",
                         "price_range", "seats", "queue"}
    assert set(show["venue"]) == {"id", "name", "city", "lat", "lng"}
    assert set(show["price_range"]) == {"min_cents", "max_cents", "currency"}
    assert show["status"] in {"scheduled", "on_sale", "sold_out", "ended"}
    statuses = {s["title"]: s["status"] for s in items}
    assert statuses["Late Night Comedy"] == "scheduled"
    assert statuses["Hamlet"] == "on_sale"
    assert any(s["queue"]["enabled"] for s in items)


async def test_keyset_pagination_visits_every_show_once(anon: httpx.AsyncClient) -> None:
    everything = (await anon.get("/api/v1/shows", params={"limit": 100})).json()["items"]
    paged = await _all_pages(anon, {"limit": 2})
    assert [s["id"] for s in paged] == [s["id"] for s in everything]


async def test_text_search_uses_words_and_prefixes(anon: httpx.AsyncClient) -> None:
    found = (await anon.get("/api/v1/shows", params={"q": "nutcrack"})).json()["items"]
    assert [s["title"] for s in found] == ["The Nutcracker"]
    by_city = (await anon.get("/api/v1/shows", params={"q": "amsterdam"})).json()["items"]
    assert by_city and all(s["venue"]["city"] == "Amsterdam" for s in by_city)
    nothing = (await anon.get("/api/v1/shows", params={"q": "zzzzqqq"})).json()
    assert nothing == {"items": [], "next_cursor": None}


async def test_near_filters_by_radius_and_sorts_by_distance(anon: httpx.AsyncClient) -> None:
    near = (await anon.get("/api/v1/shows", params={"near": "52.37,4.89", "radius_km": 30})).json()["items"]
    assert near and {s["venue"]["city"] for s in near} == {"Amsterdam"}
    wide = await _all_pages(anon, {"near": "52.37,4.89", "radius_km": 1000, "limit": 3})
    cities = [s["venue"]["city"] for s in wide]
    assert cities.index("Amsterdam") < cities.index("London")
    assert cities.index("Amsterdam") < cities.index("Berlin")
    distances = [s["distance_km"] for s in wide]
    assert distances == sorted(distances)


async def test_date_range(anon: httpx.AsyncClient) -> None:
    now = utcnow()
    frm = (now + timedelta(days=20)).isoformat()
    to = (now + timedelta(days=45)).isoformat()
    items = (await anon.get("/api/v1/shows", params={"from": frm, "to": to})).json()["items"]
    assert items
    assert all(frm[:10] <= s["starts_at"][:10] <= to[:10] for s in items)
    assert "Hamlet" not in {s["title"] for s in items}


async def test_show_detail_and_unknown(anon: httpx.AsyncClient) -> None:
    first = (await anon.get("/api/v1/shows")).json()["items"][0]
    detail = await anon.get(f"/api/v1/shows/{first['id']}")
    assert detail.status_code == 200 and detail.json()["title"] == first["title"]
    for bad in ("999999", "abc", "1;DROP TABLE show", "-1"):
        response = await anon.get(f"/api/v1/shows/{bad}")
        assert response.status_code == 404, bad
        assert response.json()["error"] == "show_not_found"


async def test_stadium_map_has_every_seat_gzip_and_etag(anon: httpx.AsyncClient) -> None:
    shows = (await anon.get("/api/v1/shows", params={"q": "Summer Stadium"})).json()["items"]
    stadium = shows[0]
    response = await anon.get(f"/api/v1/shows/{stadium['id']}/map", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    body = response.json()  # httpx decompresses
    assert len(body["seats"]) == stadium["seats"]["total"] >= 50_000
    assert body["show_id"] == stadium["id"] and isinstance(body["version"], int)
    seat = body["seats"][0]
    assert set(seat) == {"id", "section_id", "row", "number", "x", "y", "accessible", "status"}
    assert {s["id"] for s in body["sections"]} >= {s["section_id"] for s in body["seats"]}
    assert any(s["accessible"] for s in body["seats"])
    etag = response.headers["etag"]
    again = await anon.get(f"/api/v1/shows/{stadium['id']}/map", headers={"If-None-Match": etag})
    assert again.status_code == 304
    plain = await anon.get(f"/api/v1/shows/{stadium['id']}/map", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert msgspec.json.decode(plain.content) == body


async def test_map_of_a_new_show_lists_its_seats_available(anon: httpx.AsyncClient) -> None:
    show = await create_show(rows=2, seats_per_row=5)
    body = (await anon.get(f"/api/v1/shows/{show.id}/map")).json()
    assert sorted(s["id"] for s in body["seats"]) == sorted(show.seat_ids)
    assert {s["status"] for s in body["seats"]} == {"available"}
    assert [s["price_cents"] for s in body["sections"]] == [5000, 3000]
    detail = (await anon.get(f"/api/v1/shows/{show.id}")).json()
    assert detail["seats"] == {"total": 20, "available": 20}
    assert detail["price_range"] == {"min_cents": 3000, "max_cents": 5000, "currency": "EUR"}


async def test_gzip_body_is_valid_gzip(anon: httpx.AsyncClient) -> None:
    show = await create_show(rows=1, seats_per_row=3)
    async with httpx.AsyncClient(base_url=str(anon.base_url), headers={"Accept-Encoding": "gzip"}) as raw:
        async with raw.stream("GET", f"/api/v1/shows/{show.id}/map") as response:
            compressed = b"".join([chunk async for chunk in response.aiter_raw()])
    assert len(msgspec.json.decode(gzip.decompress(compressed))["seats"]) == 6  # two sections of one row of three


async def test_venue_price_ranges_follow_a_price_change_within_their_ttl(anon: httpx.AsyncClient) -> None:
    show = await create_show(sections=(("Front", 5000), ("Back", 3000)))
    ranges = VenuePriceRanges(ttl_s=0.3)
    assert await ranges.get({show.venue_id}) == {show.venue_id: (3000, 5000)}
    await Section.update({Section.price_cents: 9000}).where(Section.id == show.sections["Front"])
    assert await ranges.get({show.venue_id}) == {show.venue_id: (3000, 5000)}  # cached...
    await asyncio.sleep(0.4)
    assert await ranges.get({show.venue_id}) == {show.venue_id: (3000, 9000)}  # ...for the TTL only
