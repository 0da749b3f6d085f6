"""Redis loses everything in the middle of a sale. Sold seats come back from the database before any seat is locked
again, and no seat ends up in two live holds; the live map's watchers are brought back onto the rebuilt state.

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

from backend.launcher.embedded_valkey import start_valkey
from backend.launcher.processes import free_port, port_open, spawn, stop, wait_until
from backend.seats import _keys as keys
from tests.booking.helpers import hold, insert_sold_tickets, statuses
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
from tests.realtime.support import MapWatcher, converged, running
from tests.support import data
from tests.support.servers import ServerProcess

FANS = 20
# The feed's audit runs every 2 s and needs two looks to see that Redis lost a show; the rebuild's reset is meant to
# reach watchers at once, so well within one audit interval.
AUDIT_NOTICES_WITHIN_S = 8.0
RESET_REACHES_WATCHERS_WITHIN_S = 1.5


@pytest.fixture(scope="module")
def private_redis_url() -> Iterator[str]:
    directory = ENV.var_dir / "flush-redis"
    directory.mkdir(parents=True, exist_ok=True)
    executable = shutil.which("redis-server")
    if ENV.redis_url_given and executable:
        port = free_port()
        process = spawn(
            [
                executable,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            log_path=str(directory / "redis.log"),
        )
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
            assert not any(
                hold_id in live for hold_id in (a.body["hold_id"] for a in answers_before_flush if a.status == 201)
            )  # lost with Redis
            seat_status = await statuses(fans[0].client, show.id)
            assert {s for s, status in seat_status.items() if status == "held"} == set().union(*live.values())
            assert {s for s, status in seat_status.items() if status == "sold"} == sold
        finally:
            await close_fans(fans)
    await redis.aclose()


async def test_watchers_get_the_rebuilt_map_after_a_flush_then_diffs_again(
    server: ServerProcess, private_redis_url: str
) -> None:
    show = await data.create_show()
    sold = sorted(show.seat_ids[i] for i in (3, 17, 30))
    await insert_sold_tickets(show.id, sold)
    redis = Redis.from_url(private_redis_url)
    async with private_server(private_redis_url) as app:
        fans = await register_fans(app.url, 2)
        watchers = [MapWatcher([app.ws_url], show.id) for _ in range(3)]
        try:
            async with running(watchers):
                free = [seat for seat in show.seat_ids if seat not in sold]
                for fan, seats in zip(fans, (free[:3], free[3:5]), strict=True):
                    assert (await hold(fan.client, show.id, seats)).status_code == 201
                before, held_map = await converged(watchers, fans[0].client, show.id)
                assert set(held_map) == set(sold) | set(free[:5])
                _assert_on(watchers, before, held_map)

                # Redis loses everything. Nobody writes: the feed's audit notices and reloads from the database.
                await redis.flushdb()
                snapshots = [w.snapshots for w in watchers]
                version, seats = await converged(watchers, fans[0].client, show.id, AUDIT_NOTICES_WITHIN_S)
                assert (version, seats) == (0, dict.fromkeys(sold, "sold"))  # not built; the holds died with Redis
                _assert_on(watchers, version, seats)
                assert all(w.snapshots > n for w, n in zip(watchers, snapshots, strict=True))

                # The first write rebuilds the show (a hold of a sold seat: refused, after the rebuild, with no
                # change of its own): only the rebuild's announcement can tell the watchers at once.
                await sign_in_again(fans)
                snapshots = [w.snapshots for w in watchers]
                refused = await hold(fans[0].client, show.id, [sold[0]])
                assert refused.status_code == 409, refused.text
                version, seats = await converged(watchers, fans[0].client, show.id, RESET_REACHES_WATCHERS_WITHIN_S)
                assert seats == dict.fromkeys(sold, "sold")
                assert version > before  # versions never repeat across a flush: old diffs cannot pass for new
                _assert_on(watchers, version, seats)
                assert all(w.snapshots > n for w, n in zip(watchers, snapshots, strict=True))

                # From there on, changes flow as diffs again, on the same connections.
                snapshots = [w.snapshots for w in watchers]
                diffs = [w.diffs for w in watchers]
                assert (await hold(fans[0].client, show.id, free[10:12])).status_code == 201
                assert (await hold(fans[1].client, show.id, free[12:13])).status_code == 201
                version, seats = await converged(watchers, fans[0].client, show.id)
                assert set(seats) == set(sold) | set(free[10:13])
                _assert_on(watchers, version, seats)
                assert [w.snapshots for w in watchers] == snapshots
                assert all(w.diffs > n for w, n in zip(watchers, diffs, strict=True))
        finally:
            await close_fans(fans)
    await redis.aclose()


def _assert_on(watchers: list[MapWatcher], version: int, seats: dict[str, str]) -> None:
    """Every watcher shows exactly the server's map, got there by the protocol, on its first connection."""
    for watcher in watchers:
        assert watcher.problems == []
        assert watcher.connects == 1
        assert (watcher.version, watcher.seats) == (version, seats)


def test_the_flushed_redis_is_not_the_suites(private_redis_url: str, redis_url: str) -> None:
    assert private_redis_url != redis_url
