"""The live map across server processes: holds made through one process reach the watchers of every process,
and watchers of a process that dies fail over to another and converge."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest
from redis.asyncio import Redis

from backend.seats import ensure_built
from db.tables import Ticket
from tests.payments.helpers import Standin, hold_and_checkout, order_status_becomes
from tests.realtime.conftest import start_server
from tests.realtime.fans import Fan, signed_in
from tests.realtime.support import MapWatcher, converged, running, server_map
from tests.support.data import create_show
from tests.support.servers import ServerProcess

WATCHERS = 200
BUYERS = 100
ROUNDS_PER_BUYER = 8


async def buy_and_release(fan: Fan, urls: list[str], show_id: int, seat_ids: list[str], rng: random.Random,
                          rounds: int, unexpected: list[str]) -> int:
    """One fan's afternoon: hold 1-3 seats through alternating processes, give some back. Returns holds made."""
    clients = [fan.client(url) for url in urls]
    made = 0
    try:
        for round_ in range(rounds):
            client = clients[round_ % len(clients)]
            answer = await client.post(f"/api/v1/shows/{show_id}/holds",
                                       json={"seat_ids": rng.sample(seat_ids, rng.randint(1, 3))})
            if answer.status_code == 201:
                made += 1
                hold = answer.json()
                roll = rng.random()
                if roll < 0.4 or len(hold["seat_ids"]) > 5:
                    released = await client.delete(f"/api/v1/holds/{hold['hold_id']}")
                    expected = {204}
                elif roll < 0.7:
                    released = await client.delete(f"/api/v1/holds/{hold['hold_id']}/seats/{hold['seat_ids'][0]}")
                    expected = {200, 204}
                else:
                    released, expected = None, set()
                if released is not None and released.status_code not in expected:
                    unexpected.append(f"release {released.status_code} {released.text[:200]}")
            elif answer.status_code != 409:  # someone else holds one of the seats: fine, that's the sale
                unexpected.append(f"hold {answer.status_code} {answer.text[:200]}")
            await asyncio.sleep(rng.uniform(0, 0.15))
    finally:
        for client in clients:
            await client.aclose()
    return made


@pytest.mark.cluster
async def test_watchers_on_two_processes_see_every_hold_made_through_either(
        server: ServerProcess, server_b: ServerProcess, anon: httpx.AsyncClient, redis: Redis) -> None:
    show = await create_show(rows=10, seats_per_row=20)  # 400 seats: plenty of contention, few 409s only
    fans = await signed_in(redis, BUYERS, server.url)
    await ensure_built(redis, show.id)
    start_version, _ = await server_map(anon, show.id)
    watchers = [MapWatcher([(server, server_b)[i % 2].ws_url], show.id) for i in range(WATCHERS)]
    rng = random.Random(7)
    unexpected: list[str] = []
    started = time.monotonic()
    async with running(watchers):
        made = await asyncio.gather(*(
            buy_and_release(fan, [server.url, server_b.url], show.id, show.seat_ids, random.Random(rng.random()),
                            ROUNDS_PER_BUYER, unexpected)
            for fan in fans))
        version, seats = await converged(watchers, anon, show.id)
        _, seats_via_b = await server_map(httpx.AsyncClient(base_url=server_b.url), show.id)
    assert unexpected == []
    assert sum(made) >= BUYERS, made  # the buyers really did hold seats, through both processes
    assert version - start_version >= BUYERS  # and every hold and release moved the version
    assert seats_via_b == seats
    for watcher in watchers:
        assert watcher.problems == [], watcher.problems  # every diff chained onto the previous message
        assert (watcher.version, watcher.seats) == (version, seats)
        assert watcher.connects == 1 and watcher.snapshots == 1  # one snapshot, then diffs only
    # Coalescing: fewer messages than versions (each diff may carry many versions' changes).
    assert sum(w.diffs for w in watchers) < WATCHERS * (version - start_version)
    assert time.monotonic() - started < 90


async def buy_tickets(fan: Fan, server: ServerProcess, show_id: int, seat_ids: list[str]) -> str:
    """Hold, check out and pay (through the server's Stripe stand-in); returns the paid order's id."""
    async with fan.client(server.url) as client:
        order = await hold_and_checkout(client, show_id, seat_ids)
        await Standin(server).pay(order["payment"]["client_secret"])
        await order_status_becomes(client, order["order_id"], "paid", timeout=30)
    return order["order_id"]


async def test_watchers_of_a_killed_process_fail_over_and_converge(
        server: ServerProcess, redis_url: str, anon: httpx.AsyncClient, redis: Redis) -> None:
    victim = start_server(redis_url, "server-victim")
    try:
        show = await create_show(rows=6, seats_per_row=20)
        fans = await signed_in(redis, 30, server.url)
        browsers, payers = fans[:20], fans[20:]
        # Payers buy two seats each, from seats the browsers never touch: every purchase must succeed.
        paid_seats = [show.seat_ids[2 * i:2 * i + 2] for i in range(len(payers))]
        every_paid_seat = show.seat_ids[:2 * len(payers)]
        open_seats = show.seat_ids[2 * len(payers):]
        # Half watch the victim first; every watcher fails over to the next URL when its connection drops.
        watchers = [MapWatcher([victim.ws_url, server.ws_url][::1 if i % 2 else -1], show.id) for i in range(40)]
        rng = random.Random(11)
        unexpected: list[str] = []
        async with running(watchers):
            buying = asyncio.gather(
                *(buy_and_release(fan, [server.url], show.id, open_seats, random.Random(rng.random()), 10,
                                  unexpected) for fan in browsers),
                *(buy_tickets(fan, server, show.id, seats) for fan, seats in zip(payers, paid_seats, strict=True)))
            await asyncio.sleep(0.5)
            victim.kill()
            await buying
            version, seats = await converged(watchers, anon, show.id, timeout=15)
        assert unexpected == []
        on_victim = [w for w in watchers if w.ws_urls[0] == victim.ws_url]
        assert all(w.connects >= 2 for w in on_victim)  # they lost the victim and came back through `server`
        for watcher in watchers:
            assert watcher.problems == [], watcher.problems
            assert (watcher.version, watcher.seats) == (version, seats)
        # No ticket lost or doubled: one per paid seat, and those seats are sold on every map.
        tickets = await Ticket.select(Ticket.seat).where(Ticket.show == show.id).output(as_list=True)
        assert sorted(str(seat) for seat in tickets) == sorted(every_paid_seat)
        assert all(seats[seat] == "sold" for seat in every_paid_seat)
    finally:
        victim.kill()
