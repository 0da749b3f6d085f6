"""The seat map's compact form over HTTP (an immutable layout + a status overlay), and the catalog's prepared answers:
fresh within a second or two after a sale, the same for every visitor."""

from __future__ import annotations

import base64
import gzip
import struct

import httpx
import msgspec

from db.tables import Seat
from tests.booking.helpers import eventually, hold
from tests.support.data import create_show


def decode_layout(body: bytes) -> tuple[dict, list[str]]:
    """The header and the seat ids, in layout order (the web app's decoder does the same, in TypeScript)."""
    assert body[:4] == b"STL1"
    (length,) = struct.unpack_from("<I", body, 4)
    header = msgspec.json.decode(body[8:8 + length])
    start = 8 + length + (-(8 + length) % 4)
    deltas = struct.unpack_from(f"<{header['seats']}i", body, start)
    ids, value = [], 0
    for delta in deltas:
        value += delta
        ids.append(str(value))
    return header, ids


def decode_status(document: dict) -> list[int]:
    packed = base64.b64decode(document["status"])
    return [(packed[k >> 2] >> ((k & 3) * 2)) & 3 for k in range(document["seats"])]


async def test_layout_and_status_say_what_the_legacy_map_says(make_fan, anon: httpx.AsyncClient) -> None:
    show = await create_show(rows=3, seats_per_row=7, accessible_every=3)
    # Best seats last: the layout's order (section, row, number) is then unlike the rank order seats load in.
    await Seat.update({Seat.rank: 1000 - Seat.rank}).where(Seat.venue == show.venue_id)
    fan = await make_fan()
    held = show.rows["Back/B"][2:4]
    assert (await hold(fan, show.id, held)).status_code == 201

    status = await anon.get(f"/api/v1/shows/{show.id}/map/status", headers={"Accept-Encoding": "gzip"})
    assert status.status_code == 200 and status.headers["content-encoding"] == "gzip"
    assert status.headers["cache-control"] == "no-cache" and status.headers["etag"]
    document = status.json()
    assert document["layout"].startswith(f"/api/v1/venues/{show.venue_id}/layouts/")
    layout = await anon.get(document["layout"], headers={"Accept-Encoding": "gzip"})
    assert layout.status_code == 200 and layout.headers["content-type"] == "application/octet-stream"
    assert layout.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert layout.headers["content-encoding"] == "gzip"
    header, ids = decode_layout(layout.content)

    legacy = (await anon.get(f"/api/v1/shows/{show.id}/map")).json()
    assert document["version"] == legacy["version"] and document["currency"] == legacy["currency"]
    names = {0: "available", 1: "held", 2: "sold"}
    assert dict(zip(ids, map(names.get, decode_status(document)), strict=True)) == {
        seat["id"]: seat["status"] for seat in legacy["seats"]}
    assert [(s["id"], s["name"], s["price_cents"]) for s in header["sections"]] == [
        (s["id"], s["name"], s["price_cents"]) for s in legacy["sections"]]
    assert sum(count for _, _, count in header["rows"]) == len(legacy["seats"]) == 42


async def test_status_has_its_own_etag_per_version(make_fan, anon: httpx.AsyncClient) -> None:
    show = await create_show(rows=1, seats_per_row=4)
    path = f"/api/v1/shows/{show.id}/map/status"
    first = await anon.get(path)
    unchanged = await anon.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and not unchanged.content
    fan = await make_fan()
    assert (await hold(fan, show.id, show.seat_ids[:1])).status_code == 201
    changed = await anon.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert changed.json()["version"] > first.json()["version"]
    assert sorted(decode_status(changed.json())) == [0, 0, 0, 0, 0, 0, 0, 1]  # two sections of one row of four


async def test_layout_is_content_addressed(anon: httpx.AsyncClient) -> None:
    show = await create_show(rows=1, seats_per_row=3)
    path = (await anon.get(f"/api/v1/shows/{show.id}/map/status")).json()["layout"]
    layout = await anon.get(path)
    digest = path.rsplit("/", 1)[1]
    assert layout.headers["etag"] == f'"{digest}"'
    async with anon.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as compressed:
        assert compressed.headers["content-encoding"] == "gzip"
        assert gzip.decompress(b"".join([chunk async for chunk in compressed.aiter_raw()])) == layout.content
    revalidated = await anon.get(path, headers={"If-None-Match": layout.headers["etag"]})
    assert revalidated.status_code == 304
    for wrong in (path[:-1] + ("0" if path[-1] != "0" else "1"), f"/api/v1/venues/999999999/layouts/{digest}",
                  f"/api/v1/venues/x1/layouts/{digest}"):
        response = await anon.get(wrong)
        assert response.status_code == 404 and response.json()["error"] == "layout_not_found", wrong


async def test_a_sale_shows_in_the_catalog_within_two_seconds(make_fan, anon: httpx.AsyncClient) -> None:
    show = await create_show(rows=1, seats_per_row=2, sections=(("Only", 4000),), title="Two Seat Recital")
    before = (await anon.get(f"/api/v1/shows/{show.id}")).json()
    assert before["seats"]["available"] == 2 and before["status"] == "on_sale"
    listed = await anon.get("/api/v1/shows", params={"q": "Two Seat Recital"})
    assert [item["seats"]["available"] for item in listed.json()["items"] if item["id"] == show.sid] == [2]
    fan = await make_fan()
    assert (await hold(fan, show.id, show.seat_ids)).status_code == 201

    async def detail_sold_out() -> bool:
        now = (await anon.get(f"/api/v1/shows/{show.id}")).json()
        return now["seats"]["available"] == 0 and now["status"] == "sold_out"

    async def list_sold_out() -> bool:
        items = (await anon.get("/api/v1/shows", params={"q": "Two Seat Recital"})).json()["items"]
        return [(i["seats"]["available"], i["status"]) for i in items if i["id"] == show.sid] == [(0, "sold_out")]

    await eventually(detail_sold_out, timeout=2.0)
    await eventually(list_sold_out, timeout=2.0)


async def test_catalog_answers_are_the_same_for_every_visitor(make_fan, anon: httpx.AsyncClient) -> None:
    show = await create_show(rows=1, seats_per_row=2, title="Same For Everyone")
    fans = [await make_fan(), await make_fan()]
    for path in (f"/api/v1/shows/{show.id}", "/api/v1/shows?q=Same+For+Everyone"):
        answers = [await client.get(path) for client in (anon, *fans)]
        assert len({answer.content for answer in answers}) == 1, path
        assert all("set-cookie" not in answer.headers for answer in answers), path
        assert b"profile" not in answers[0].content and b"email" not in answers[0].content
