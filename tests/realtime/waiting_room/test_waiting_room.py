"""The waiting room end to end on two processes: a fair draw for early arrivals, FIFO after, admission only as
shopping capacity frees up, positions that never go back, one place per profile however many tabs."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
import websockets
from redis.asyncio import Redis

from realtime.waiting_room import admission
from tests.realtime.conftest import TUNED_ENV
from tests.realtime.fans import signed_in
from tests.realtime.support import QueueWatcher
from tests.support.data import TestShow, create_show
from tests.support.opening import before_the_opening, opening_at
from tests.support.servers import ServerProcess

CAPACITY = int(TUNED_ENV["QUEUE_ACTIVE_SHOPPERS"])
ADMISSION_TTL_MS = int(TUNED_ENV["ADMISSION_TTL_SECONDS"]) * 1000
EARLY, LATE = 150, 150
JOIN_BATCH = 10
ENTRY_FIELDS = {"queue_id", "number", "position", "admitted", "admitted_until", "estimated_wait_s"}


def spearman(xs: list[int], ys: list[int]) -> float:
    """Rank correlation of two orderings of distinct values: 1 for the same order, about 0 for a random one."""
    rank_x = {x: i for i, x in enumerate(sorted(xs))}
    rank_y = {y: i for i, y in enumerate(sorted(ys))}
    n = len(xs)
    d2 = sum((rank_x[x] - rank_y[y]) ** 2 for x, y in zip(xs, ys, strict=True))
    return 1 - 6 * d2 / (n * (n * n - 1))


class Shopper:
    """One fan in line: keeps every position the server showed it, holds once admitted, then leaves."""

    def __init__(self, client: httpx.AsyncClient, profile_id: int, show_id: int) -> None:
        self.profile_id = profile_id
        self.client = client
        self.show_id = show_id
        self.positions: list[int] = []
        self.waits: list[int] = []
        self.number: int | None = None

    async def entry(self, method: str = "GET") -> httpx.Response:
        path = "" if method == "POST" else "/me"
        response = await self.client.request(method, f"/api/v1/shows/{self.show_id}/queue{path}")
        if response.status_code in (200, 201):
            body = response.json()
            assert set(body) == ENTRY_FIELDS, body
            if body["position"] is not None:
                self.positions.append(body["position"])
            if body["estimated_wait_s"]:
                self.waits.append(body["estimated_wait_s"])
            if body["number"] is not None:
                assert self.number in (None, body["number"]), "a drawn number never changes"
                self.number = body["number"]
        return response

    async def shop(self, line: QueueWatcher, seat: str, problems: list[str]) -> None:
        assert self.number is not None
        await line.wait_until_serving(self.number, timeout=120)
        me = (await self.entry()).json()
        if not (me["admitted"] and me["position"] == 0 and me["admitted_until"]):
            problems.append(f"number {self.number} let in but not admitted: {me}")
        held = await self.client.post(f"/api/v1/shows/{self.show_id}/holds", json={"seat_ids": [seat]})
        if held.status_code != 201:
            problems.append(f"admitted number {self.number} could not hold: {held.status_code} {held.text[:200]}")
            return
        await asyncio.sleep(0.05)
        released = await self.client.delete(f"/api/v1/holds/{held.json()['hold_id']}")  # done: next, please
        if released.status_code != 204:
            problems.append(f"release {released.status_code}")


async def every(interval: float, stop: asyncio.Event, step: Callable[[], Awaitable[object]]) -> None:
    while not stop.is_set():
        await step()
        await asyncio.sleep(interval)


@pytest.mark.cluster
async def test_fair_draw_then_fifo_admitted_by_capacity(tuned_server: ServerProcess, server_b: ServerProcess,
                                                       redis: Redis) -> None:
    urls = [tuned_server.url, server_b.url]
    fans = await signed_in(redis, EARLY + LATE, tuned_server.url)
    clients = [fan.client(urls[i % 2]) for i, fan in enumerate(fans)]  # every fan's own, on either process

    async def early_arrivals_joined(opens_at: float) -> tuple[TestShow, list[Shopper]]:
        """Before the sale: the first fan joins from three tabs at once (one entry), then the others in batches, in
        a known order. Nobody has a number or a position yet: those come from the draw."""
        show = await create_show(rows=10, seats_per_row=20, queue_enabled=True, sale_opens_at=opening_at(opens_at))
        shoppers = [Shopper(clients[i], fan.profile_id, show.id) for i, fan in enumerate(fans)]
        early = shoppers[:EARLY]
        tabs = await asyncio.gather(*(early[0].client.post(f"/api/v1/shows/{show.id}/queue") for _ in range(3)))
        assert sorted(t.status_code for t in tabs) == [200, 200, 201]
        assert len({t.json()["queue_id"] for t in tabs}) == 1
        for start in range(0, EARLY, JOIN_BATCH):
            for answer in await asyncio.gather(*(s.entry("POST") for s in early[start:start + JOIN_BATCH])):
                assert answer.status_code in (200, 201), answer.text
                body = answer.json()
                assert body["number"] is None and body["position"] is None and body["admitted"] is False
        return show, shoppers

    lines: list[QueueWatcher] = []
    watching: list[asyncio.Task[None]] = []
    problems: list[str] = []
    try:
        (show, shoppers), opens_at = await before_the_opening(early_arrivals_joined)
        early, late = shoppers[:EARLY], shoppers[EARLY:]
        lines = [QueueWatcher(process.ws_url, show.id) for process in (tuned_server, server_b)]
        watching = [asyncio.create_task(line.run()) for line in lines]
        await asyncio.sleep(opens_at - time.monotonic() + 0.3)

        # After the opening: late arrivals one by one (FIFO), one of them from three tabs at once.
        tabs = await asyncio.gather(*(late[0].client.post(f"/api/v1/shows/{show.id}/queue") for _ in range(3)))
        assert sorted(t.status_code for t in tabs) == [200, 200, 201]
        assert len({t.json()["number"] for t in tabs}) == 1 and tabs[0].json()["number"] is not None
        for shopper in late:  # one by one: the order of arrival is exact
            answer = await shopper.entry("POST")
            assert answer.status_code in (200, 201) and answer.json()["number"] is not None
        # Nobody at the back of the line can hold seats yet.
        refused = await late[-1].client.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": [show.seat_ids[0]]})
        assert refused.status_code == 403 and refused.json()["error"] == "queue_required", refused.text
        for shopper in early:
            await shopper.entry()  # learns its drawn number

        early_numbers = [s.number or 0 for s in early]
        late_numbers = [s.number or 0 for s in late]
        assert sorted(early_numbers) == list(range(1, EARLY + 1))  # the early arrivals come first...
        assert late_numbers == list(range(EARLY + 1, EARLY + LATE + 1))  # ...then first come, first served
        assert early_numbers != sorted(early_numbers)  # a draw, not the order of arrival
        # Join order vs drawn number: about 0 for a fair shuffle (sd ~0.08 for 150), 1 for "first come".
        assert abs(spearman(list(range(EARLY)), early_numbers)) < 0.4, spearman(list(range(EARLY)), early_numbers)

        # Everyone shops when a socket says they are in. Meanwhile the admitted set is sampled (how many shop at
        # once, and when each grant was made: its score is grant time + ttl, to the millisecond) and the back of
        # the line keeps asking for its position.
        samples: list[int] = []
        granted_ms: dict[int, int] = {}
        stop = asyncio.Event()

        async def sample() -> None:
            admitted = await redis.zrange(admission.admitted_key(show.id), 0, -1, withscores=True)
            samples.append(len(admitted))
            for profile, until in admitted:  # type: ignore[str-unpack, misc]  # (member, score) pairs
                granted_ms.setdefault(int(profile), int(until) - ADMISSION_TTL_MS)

        async def poll_back_of_line() -> None:
            await asyncio.gather(*(s.entry() for s in late[-20:]))

        side_tasks = [asyncio.create_task(every(0.02, stop, sample)),
                      asyncio.create_task(every(0.3, stop, poll_back_of_line))]
        await asyncio.gather(*(shopper.shop(lines[i % 2], show.seat_ids[i], problems)
                               for i, shopper in enumerate(shoppers)))
        stop.set()
        await asyncio.gather(*side_tasks)
    finally:
        for task in watching:
            task.cancel()
        for client in clients:
            await client.aclose()

    assert problems == []
    assert max(samples) <= CAPACITY, max(samples)  # never more shoppers at once than the capacity
    assert max(samples) >= CAPACITY // 2  # and the capacity was used
    # Admission follows the numbers: grants in number order (one advance grants a batch at the same instant), so
    # every early arrival was let in no later than the first late one.
    grants = [granted_ms.get(s.profile_id) for s in sorted(shoppers, key=lambda s: s.number or 0)]
    assert sum(g is not None for g in grants) >= 0.9 * len(shoppers)  # nearly all seen by the 20 ms sampling
    seen = [g for g in grants if g is not None]
    assert all(earlier <= later for earlier, later in itertools.pairwise(seen))
    assert any(s.waits for s in late[-20:])  # once a rate was measured, the back of the line got an estimate
    for shopper in shoppers:  # positions shown only ever went down
        assert shopper.positions == sorted(shopper.positions, reverse=True), shopper.positions
    for line in lines:
        assert line.problems == []
        assert line.messages[-1]["serving"] == EARLY + LATE and line.messages[-1]["open"] is True
        assert any(m["rate_per_s"] > 0 for m in line.messages)


async def test_queue_refusals(tuned_server: ServerProcess, redis: Redis) -> None:
    plain = await create_show()
    queued = await create_show(queue_enabled=True)
    (fan,) = await signed_in(redis, 1, tuned_server.url)
    async with fan.client(tuned_server.url) as client, httpx.AsyncClient(base_url=tuned_server.url) as anon:
        no_queue = await client.post(f"/api/v1/shows/{plain.id}/queue")
        assert no_queue.status_code == 409 and no_queue.json()["error"] == "queue_not_enabled"
        assert (await client.get(f"/api/v1/shows/{plain.id}/queue/me")).status_code == 409
        never = await client.get(f"/api/v1/shows/{queued.id}/queue/me")
        assert never.status_code == 404 and never.json()["error"] == "not_in_queue"
        assert (await anon.post(f"/api/v1/shows/{queued.id}/queue")).status_code == 401
        assert (await client.post("/api/v1/shows/999999999/queue")).status_code == 404
        joined = await client.post(f"/api/v1/shows/{queued.id}/queue")
        assert joined.status_code == 201
        body = joined.json()
        # The sale is open and the line empty: in at once.
        assert body["number"] == 1 and body["position"] == 0 and body["admitted"] is True
        assert body["admitted_until"] and body["estimated_wait_s"] == 0
        held = await client.post(f"/api/v1/shows/{queued.id}/holds", json={"seat_ids": [queued.seat_ids[0]]})
        assert held.status_code == 201, held.text
    url = f"{tuned_server.ws_url}/api/v1/shows/{plain.id}/queue/live"
    async with websockets.connect(url, compression=None) as ws:
        message = json.loads(await ws.recv())
        assert message["type"] == "error" and message["error"] == "queue_not_enabled"
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await ws.recv()
    assert ws.close_code == 1008
