"""An expired hold reaches every watcher within a second of its expiry, on the process that made the hold and on
another one (the holds sweeper publishes; the live map fans out)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime

import httpx
import pytest
import websockets
from redis.asyncio import Redis

from tests.realtime.fans import signed_in
from tests.support.data import create_show
from tests.support.servers import ServerProcess


async def watch_until_available(url: str, seats: list[str], ready: asyncio.Event, held: asyncio.Event) -> float:
    """Follow the map; returns when (time.time()) the seats, once held, were all available again."""
    state: dict[str, str] = {}
    async with websockets.connect(url, compression=None) as ws:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "snapshot":
                state = dict(message["seats"])
                ready.set()
            else:
                for seat_id, status in message["changes"]:
                    state[seat_id] = status
            if all(state.get(seat) == "held" for seat in seats):
                held.set()
            if held.is_set() and all(state.get(seat, "available") == "available" for seat in seats):
                return time.time()
    raise AssertionError("the socket closed before the seats were released")


@pytest.mark.cluster
async def test_watchers_see_an_expired_hold_turn_available_within_a_second(
        tuned_server: ServerProcess, server: ServerProcess, redis: Redis) -> None:
    show = await create_show()
    seats = show.seat_ids[5:8]
    (fan,) = await signed_in(redis, 1, tuned_server.url)
    urls = [f"{process.ws_url}/api/v1/shows/{show.id}/live" for process in (tuned_server, server)]
    ready = [asyncio.Event() for _ in urls]
    held = [asyncio.Event() for _ in urls]
    watching = [asyncio.create_task(watch_until_available(url, seats, r, h))
                for url, r, h in zip(urls, ready, held, strict=True)]
    try:
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 10)
        async with fan.client(tuned_server.url) as client:
            answer = await client.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": seats})
        assert answer.status_code == 201, answer.text
        expires_at = datetime.fromisoformat(answer.json()["expires_at"].replace("Z", "+00:00")).timestamp()
        assert expires_at - time.time() <= 2.0  # the tuned server's HOLD_TTL_SECONDS
        seen_at = await asyncio.wait_for(asyncio.gather(*watching), 10)
    finally:
        for task in watching:
            task.cancel()
    assert all(h.is_set() for h in held)
    for at in seen_at:
        assert expires_at - 0.05 <= at <= expires_at + 1.0, at - expires_at
    async with httpx.AsyncClient(base_url=server.url) as anon:
        statuses = {s["id"]: s["status"] for s in (await anon.get(f"/api/v1/shows/{show.id}/map")).json()["seats"]}
    assert all(statuses[seat] == "available" for seat in seats)
