"""Redis loses everything in the middle of a sale. Sold seats come back from the database before any seat is locked
again, and no seat ends up in two live holds.

This test flushes its Redis, so it runs its own: a private Redis server (redis-server when the suite runs on a real
Redis and one is installed, else the embedded Valkey) and a private app server on it, sharing the suite's database.
Flushing the suite's Redis would sign out every other test's fans.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

from backend.embedded_valkey import start_valkey
from backend.processes import free_port, port_open, spawn, stop, wait_until
from backend.seats import _keys as keys
from tests.booking.helpers import insert_sold_tickets, statuses
from tests.booking.race import (
    Attempt,
    close_fans,
    hold_race,
    plan_requests,
    register_fans,
    seats_in_two_holds,
    sign_in_again,
)
from tests.conftest import ENV
from tests.support import data
from tests.support.servers import ServerProcess

FANS = 20


@pytest.fixture(scope="module")
def private_redis_url() -> Iterator[str]:
    directory = ENV.var_dir / "flush-redis"
    directory.mkdir(parents=True, exist_ok=True)
    executable = shutil.which("redis-server")
    if ENV.redis_url_given and executable:
        port = free_port()
        process = spawn([executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--dir", str(directory)], log_path=str(directory / "redis.log"))
        wait_until(lambda: port_open("127.0.0.1", port), 15, "private redis-server", process)
        url = f"redis://127.0.0.1:{port}/0"
    else:
        process, url = start_valkey(directory)
    try:
        yield url
    finally:
        stop(process)


@asynccontextmanager
async def private_server(redis_url: str) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(var_dir=ENV.var_dir, name="flush-server", env={"REDIS_URL": redis_url})
    await asyncio.to_thread(process.start)
    try:
        yield process
    finally:
        await asyncio.to_thread(process.stop)


def _sold_in(attempts: list[Attempt], sold: set[str]) -> list[Attempt]:
    return [a for a in attempts if a.status == 201 and sold & set(a.body["seat_ids"])]


async def test_flush_mid_sale_never_resells_sold_seats_nor_doubles_a_hold(
    server: ServerProcess, private_redis_url: str
) -> None:
    show = await data.create_show()
    sold = {show.seat_ids[i] for i in (0, 11, 25, 42, 63)}
    await insert_sold_tickets(show.id, sorted(sold))
    redis = Redis.from_url(private_redis_url)
    async with private_server(private_redis_url) as app:
        # The startup hook rebuilt the show from the database before any request.
        assert await redis.exists(keys.version(show.id))
        assert set((await redis.hgetall(keys.state(show.id))).keys()) == {s.encode() for s in sold}

        fans = await register_fans(app.url, FANS)
        try:
            flushed = asyncio.Event()
            answers_before_flush: list[Attempt] = []

            def flush_midway(attempt: Attempt) -> None:
                if not flushed.is_set():
                    answers_before_flush.append(attempt)
                    if len(answers_before_flush) == 60:
                        flushed.set()

            async def flusher() -> None:
                await flushed.wait()
                await redis.flushdb()

            plan = plan_requests(fans, show.seat_ids, 240, seed=7)
            first, _ = await asyncio.gather(hold_race(show.id, plan, on_answer=flush_midway), flusher())
            assert flushed.is_set() and len(first.attempts) > len(answers_before_flush)  # it was mid-sale
            assert any(a.status == 201 for a in answers_before_flush)
            assert set(first.statuses) <= {201, 401, 409, 422}, first.statuses  # 401: sessions were flushed

            await sign_in_again(fans)
            second = await hold_race(show.id, plan_requests(fans, show.seat_ids, 240, seed=8))
            assert set(second.statuses) <= {201, 409, 422}, second.statuses
            assert second.statuses[201] > 0

            for outcome in (first, second):
                assert _sold_in(outcome.attempts, sold) == []
            refused_sold = [a for a in second.answers(409) if sold & set(a.body["seat_ids"])]
            assert refused_sold, "the plan asks for sold seats; the server must have refused some"

            # The holds that are still alive never share a seat and are exactly what the map shows held.
            owners = {**first.owners, **second.owners}
            live: dict[str, set[str]] = {}
            for hold_id, fan_index in owners.items():
                answer = await fans[fan_index].client.get(f"/api/v1/holds/{hold_id}")
                assert answer.status_code in (200, 404)
                if answer.status_code == 200:
                    live[hold_id] = set(answer.json()["seat_ids"])
            assert live and seats_in_two_holds(live) == {}
            assert not any(hold_id in live for hold_id in (a.body["hold_id"] for a in answers_before_flush
                                                           if a.status == 201))  # lost with Redis
            seat_status = await statuses(fans[0].client, show.id)
            assert {s for s, status in seat_status.items() if status == "held"} == set().union(*live.values())
            assert {s for s, status in seat_status.items() if status == "sold"} == sold
        finally:
            await close_fans(fans)
    await redis.aclose()


def test_the_flushed_redis_is_not_the_suites(private_redis_url: str, redis_url: str) -> None:
    assert private_redis_url != redis_url
