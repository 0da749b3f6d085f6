"""The seat map's ETag follows the seats: after a hold, a sale, and a Redis flush (with the real rebuild from the
database), a client presenting the old ETag gets 200 and the new body, never a 304 for a stale map."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from tests.booking.helpers import insert_sold_tickets
from tests.payments.helpers import Standin, checkout, hold
from tests.seats.test_flush import private_redis_url, private_server  # noqa: F401 - a fixture, used by name
from tests.support import data


async def _map(client: httpx.AsyncClient, show_id: int, etag: str | None = None) -> httpx.Response:
    return await client.get(f"/api/v1/shows/{show_id}/map", headers={"If-None-Match": etag} if etag else {})


def _status(response: httpx.Response) -> dict[str, str]:
    return {seat["id"]: seat["status"] for seat in response.json()["seats"]}


async def _changed(client: httpx.AsyncClient, show_id: int, old_etag: str) -> httpx.Response:
    """The map as a client holding `old_etag` gets it: must be a fresh 200 whose ETag differs."""
    response = await _map(client, show_id, old_etag)
    assert response.status_code == 200, response.status_code
    assert response.headers["etag"] != old_etag
    assert (await _map(client, show_id, response.headers["etag"])).status_code == 304
    return response


async def test_the_etag_changes_with_a_hold_and_a_sale(server, fan: httpx.AsyncClient) -> None:
    show = await data.create_show()
    seats = show.rows["Front/B"][:2]
    first = await _map(fan, show.id)
    assert first.status_code == 200
    assert (await _map(fan, show.id, first.headers["etag"])).status_code == 304

    held = await hold(fan, show.id, seats)
    after_hold = await _changed(fan, show.id, first.headers["etag"])
    assert [_status(after_hold)[seat] for seat in seats] == ["held", "held"]

    response = await checkout(fan, show.id, held["hold_id"])
    await Standin(server).pay(response.json()["payment"]["client_secret"])
    for _ in range(100):
        after_sale = await _map(fan, show.id, after_hold.headers["etag"])
        if after_sale.status_code == 200 and _status(after_sale)[seats[0]] == "sold":
            break
        assert after_sale.status_code in (200, 304)
    assert [_status(after_sale)[seat] for seat in seats] == ["sold", "sold"]
    assert after_sale.headers["etag"] not in (first.headers["etag"], after_hold.headers["etag"])


async def test_the_etag_changes_when_redis_is_flushed_and_rebuilt(server, private_redis_url: str) -> None:  # noqa: F811
    show = await data.create_show()
    sold, held = show.seat_ids[:2], show.seat_ids[5:7]
    await insert_sold_tickets(show.id, sold)
    redis = Redis.from_url(private_redis_url)
    async with private_server(private_redis_url) as app, httpx.AsyncClient(base_url=app.url, timeout=30) as fan:
        registered = await fan.post("/api/v1/auth/register", json={
            "email": f"etag-{show.id}@example.com", "password": "correct horse battery staple", "name": "E"})
        assert registered.status_code == 201
        await hold(fan, show.id, held)
        before = await _map(fan, show.id)
        assert [_status(before)[seat] for seat in sold + held] == ["sold", "sold", "held", "held"]

        await redis.flushdb()  # the holds are gone; the sold seats come back from the database
        after = await _changed(fan, show.id, before.headers["etag"])
        assert [_status(after)[seat] for seat in sold + held] == ["sold", "sold", "available", "available"]
    await redis.aclose()
