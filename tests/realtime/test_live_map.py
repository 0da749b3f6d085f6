"""The live seat map socket on one server: snapshot first, chained coalesced diffs, resyncs, refusals, slow clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket as socketlib

import httpx
import pytest
import websockets
from redis.asyncio import Redis

from backend.seats import _keys as keys
from backend.seats import ensure_built
from tests.booking.helpers import eventually
from tests.realtime.support import MapWatcher, converged, publish_changes, running, server_map
from tests.support.data import create_show
from tests.support.servers import ServerProcess


def live_url(server: ServerProcess, show_id: int | str) -> str:
    return f"{server.ws_url}/api/v1/shows/{show_id}/live"


async def test_snapshot_then_diffs_that_chain(server: ServerProcess, anon: httpx.AsyncClient, redis: Redis) -> None:
    show = await create_show()
    a, b, c = show.seat_ids[:3]
    await ensure_built(redis, show.id)  # as the first hold would; reading the map does not build it
    version, _ = await server_map(anon, show.id)
    await publish_changes(redis, show.id, [(a, "sold")])
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        assert snapshot == {"type": "snapshot", "version": version + 1, "seats": {a: "sold"}}
        await publish_changes(redis, show.id, [(b, "held")])
        await publish_changes(redis, show.id, [(c, "held")])
        await publish_changes(redis, show.id, [(b, "available")])
        seen = {a: "sold"}
        last = snapshot["version"]
        while last < version + 4:
            diff = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert diff["type"] == "diff" and diff["from_version"] == last and diff["version"] > last
            for seat_id, status in diff["changes"]:
                seen[seat_id] = status
            last = diff["version"]
        assert {k: v for k, v in seen.items() if v != "available"} == {a: "sold", c: "held"}


async def test_changes_in_one_window_share_one_diff(server: ServerProcess, anon: httpx.AsyncClient,
                                                    redis: Redis) -> None:
    show = await create_show()
    await ensure_built(redis, show.id)
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        # 40 version bumps inside a few milliseconds: far fewer messages than versions reach the client.
        await asyncio.gather(*(publish_changes(redis, show.id, [(seat, "held")]) for seat in show.seat_ids[:40]))
        messages, version = 0, snapshot["version"]
        while version < snapshot["version"] + 40:
            diff = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert diff["from_version"] == version
            version = diff["version"]
            messages += 1
        assert messages <= 4, messages


async def test_a_gap_or_a_reset_brings_a_fresh_snapshot(server: ServerProcess, anon: httpx.AsyncClient,
                                                        redis: Redis) -> None:
    show = await create_show()
    await ensure_built(redis, show.id)
    first, second = show.seat_ids[:2]
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        # A version bump whose message never arrives (as if pub/sub lost it), then a normal change: a gap.
        await redis.incr(keys.version(show.id))
        await redis.hset(keys.state(show.id), first, "sold")
        await publish_changes(redis, show.id, [(second, "held")])
        fresh = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert fresh == {"type": "snapshot", "version": snapshot["version"] + 2,
                         "seats": {first: "sold", second: "held"}}
        # A rebuild after Redis lost the show's state publishes a reset with a version jump.
        await redis.set(keys.version(show.id), fresh["version"] + 1000)
        await redis.hdel(keys.state(show.id), second)
        await redis.spublish(keys.changes_channel(show.id), json.dumps({"v": fresh["version"] + 1000, "reset": True}))
        again = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert again == {"type": "snapshot", "version": fresh["version"] + 1000, "seats": {first: "sold"}}


async def test_a_lost_message_with_nothing_after_it_is_caught_by_the_audit(
        server: ServerProcess, anon: httpx.AsyncClient, redis: Redis) -> None:
    show = await create_show()
    await ensure_built(redis, show.id)
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        await redis.incr(keys.version(show.id))  # changed, but the message was lost and nothing else follows
        await redis.hset(keys.state(show.id), show.seat_ids[0], "sold")
        fresh = json.loads(await asyncio.wait_for(ws.recv(), 8))
        assert fresh == {"type": "snapshot", "version": snapshot["version"] + 1, "seats": {show.seat_ids[0]: "sold"}}


async def test_unknown_show_gets_an_error_and_a_policy_close(server: ServerProcess) -> None:
    for show_id in ("999999999", "not-a-show"):
        async with websockets.connect(live_url(server, show_id), compression=None) as ws:
            message = json.loads(await ws.recv())
            assert message["type"] == "error" and message["error"] == "show_not_found"
            assert "Traceback" not in message["detail"]
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await ws.recv()
        assert ws.close_code == 1008


async def test_no_per_message_compression_even_when_offered(server: ServerProcess) -> None:
    show = await create_show()
    async with websockets.connect(live_url(server, show.id)) as ws:  # the client offers permessage-deflate
        assert ws.response is not None
        assert "permessage-deflate" not in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")
        assert json.loads(await ws.recv())["type"] == "snapshot"


async def test_many_watchers_get_the_same_chain(server: ServerProcess, anon: httpx.AsyncClient,
                                                redis: Redis) -> None:
    show = await create_show()
    watchers = [MapWatcher([server.ws_url], show.id) for _ in range(30)]
    async with running(watchers):
        for i, seat in enumerate(show.seat_ids[:30]):
            await publish_changes(redis, show.id, [(seat, "held" if i % 3 else "sold")])
        version, seats = await converged(watchers, anon, show.id)
    assert len(seats) == 30
    for watcher in watchers:
        assert watcher.problems == []
        assert (watcher.version, watcher.seats) == (version, seats)


async def test_a_client_that_stops_reading_is_dropped_and_others_carry_on(
        server: ServerProcess, anon: httpx.AsyncClient, redis: Redis) -> None:
    show = await create_show()
    await ensure_built(redis, show.id)
    # A reader with a tiny receive buffer that never reads: the server's sends back up, then its outbox fills.
    raw = socketlib.create_connection(("127.0.0.1", server.port))
    raw.setsockopt(socketlib.SOL_SOCKET, socketlib.SO_RCVBUF, 4096)
    slow = await websockets.connect(live_url(server, show.id), sock=raw, compression=None, max_queue=1,
                                    max_size=None)
    healthy = MapWatcher([server.ws_url], show.id)
    drop_line = f"ShowFeed of show {show.id} dropped 1 slow client(s)"
    async with running([healthy]):
        # Big diffs (~200 KB each) fill the buffers quickly. Published without touching the state hash: this
        # test only follows versions, and a plain INCR + SPUBLISH is fast enough to outpace the window.
        bodies = [json.dumps([[f"x{i}", status] for i in range(10_000)]) for status in ("held", "available")]
        for round_ in range(300):
            version = await redis.incr(keys.version(show.id))
            await redis.spublish(keys.changes_channel(show.id), f'{{"v":{version},"c":{bodies[round_ % 2]}}}')
            await asyncio.sleep(0.03)
            if drop_line in server.log_text():
                break
        assert drop_line in server.log_text()
        for round_ in range(5):  # after the drop, changes go on, to the healthy client only
            await publish_changes(redis, show.id, [(show.seat_ids[round_], "held")])
        version, _ = await server_map(anon, show.id)
        async def caught_up() -> bool:
            return healthy.version == version

        await eventually(caught_up, timeout=10)
        assert healthy.problems == []
        assert healthy.connects == 1  # the healthy client was never dropped
    # What the slow client still gets is what was buffered before the drop: never the latest changes.
    last_seen = None
    with contextlib.suppress(websockets.exceptions.ConnectionClosed, TimeoutError):
        while True:
            last_seen = json.loads(await asyncio.wait_for(slow.recv(), 2))["version"]
    assert last_seen is None or last_seen < version
    slow.transport.abort()
