"""Hold expiry end to end: a second server process whose holds live 2 s, sharing the database and Redis with the
suite's server, so two sweepers run at once, as they do in production."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import httpx
import pytest
from redis.asyncio import Redis

from tests.booking.helpers import eventually, hold, next_changes, statuses, subscribe
from tests.conftest import ENV
from tests.support.data import create_show
from tests.support.servers import ServerProcess

HOLD_TTL_SECONDS = 2


@pytest.fixture(scope="module")
def short_hold_server(server: ServerProcess, redis_url: str) -> Iterator[ServerProcess]:
    process = ServerProcess(var_dir=ENV.var_dir, name="short-holds",
                            env={"REDIS_URL": redis_url, "HOLD_TTL_SECONDS": str(HOLD_TTL_SECONDS)}).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def short(short_hold_server: ServerProcess, fan: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The signed-in fan, talking to the short-hold server (sessions live in the shared Redis)."""
    async with httpx.AsyncClient(base_url=short_hold_server.url, cookies=fan.cookies, timeout=30) as client:
        yield client


def epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


@pytest.mark.cluster
async def test_expired_seats_are_available_and_published_within_a_second(
    short: httpx.AsyncClient, fan: httpx.AsyncClient, redis: Redis
) -> None:
    show = await create_show()
    seats = show.rows["Front/A"][2:4]
    await statuses(short, show.id)  # like a watcher: load the map, then subscribe
    pubsub = await subscribe(redis, show.id)
    published: list[tuple[dict, float]] = []

    async def listen() -> None:
        while (item := await next_changes(pubsub, timeout=10)) is not None:
            published.append((json.loads(item[0]), item[1]))

    listener = asyncio.create_task(listen())
    try:
        placed = await hold(short, show.id, seats)
        assert placed.status_code == 201
        expires_at = epoch(placed.json()["expires_at"])
        assert 1.5 < expires_at - time.time() <= HOLD_TTL_SECONDS

        async def seats_are(status: str) -> bool:
            current = await statuses(fan, show.id)
            return all(current[seat] == status for seat in seats)

        assert await seats_are("held")
        freed_at = await eventually(lambda: seats_are("available"), timeout=HOLD_TTL_SECONDS + 5, interval=0.05)
        assert expires_at - 0.05 <= freed_at <= expires_at + 1.0, freed_at - expires_at
        await asyncio.sleep(0.6)  # two sweepers run every 250 ms: give a double publish the time to show up
    finally:
        listener.cancel()
        await pubsub.aclose()

    freed = [(message, at) for message, at in published if [seats[0], "available"] in message.get("c", [])]
    assert len(freed) == 1, published  # one release, one publish, however many sweepers
    message, arrived_at = freed[0]
    assert message["c"] == [[seats[0], "available"], [seats[1], "available"]]
    assert arrived_at - expires_at <= 1.0
    assert (await short.get(f"/api/v1/holds/{placed.json()['hold_id']}")).status_code == 404


async def test_after_expiry_anyone_can_hold_the_seats_and_a_new_hold_starts(
    short: httpx.AsyncClient, make_fan
) -> None:
    show = await create_show()
    seats = show.rows["Back/C"][:2]
    first = (await hold(short, show.id, seats)).json()
    rival = await make_fan()
    assert (await hold(rival, show.id, seats)).status_code == 409
    await eventually(lambda: _is_404(short, first["hold_id"]), timeout=HOLD_TTL_SECONDS + 5)
    again = await hold(short, show.id, [seats[0]])
    assert again.status_code == 201
    assert again.json()["hold_id"] != first["hold_id"]  # the expired hold is not revived
    assert (await hold(rival, show.id, [seats[1]])).status_code == 201


async def _is_404(client: httpx.AsyncClient, hold_id: str) -> bool:
    return (await client.get(f"/api/v1/holds/{hold_id}")).status_code == 404
