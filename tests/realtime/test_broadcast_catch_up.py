"""Changes that arrive while a broadcast is under way reach the sockets it has not come to yet in that same pass,
and the sockets it already passed in the next: each socket's diffs still chain, all end at the last version, and
each socket's map (its snapshot with every diff applied) is the server's map.

Enough sockets that a broadcast spans several slices (realtime.feeds.FAN_OUT_SLICE) on the suite's server, a
stream of changes as fast as Redis takes them, and a bare client per socket (the websockets library would cost the
test more than the server).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import time
from collections import defaultdict

import httpx
from redis.asyncio import Redis

from backend.seats import ensure_built
from realtime.feeds import FAN_OUT_SLICE
from tests.realtime.support import publish_changes, server_map
from tests.support.data import create_show
from tests.support.servers import ServerProcess
from tests.support.ws_frames import take_frames

SOCKETS = 3 * FAN_OUT_SLICE - 100  # three slices per broadcast: room for two folds of new changes in one
STREAM_S = 2.0


class _BareLiveClient(asyncio.Protocol):
    """Handshake, then the server's unmasked text frames as JSON; nothing is sent back (the test is shorter than
    the server's ping interval)."""

    def __init__(self, request: bytes, ready: asyncio.Future) -> None:
        self.request, self.ready = request, ready
        self.buffer = b""
        self.upgraded = False
        self.messages: list[dict] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            assert head.startswith(b"HTTP/1.1 101"), head[:200]
            self.upgraded, self.buffer = True, rest
            self.ready.set_result(None)
        frames, self.buffer = take_frames(self.buffer)
        self.messages += [json.loads(payload) for first, payload in frames if first & 0x0F == 0x1]

    @property
    def version(self) -> int | None:
        return self.messages[-1]["version"] if self.messages else None


async def test_changes_arriving_during_a_broadcast_reach_the_rest_of_it(server: ServerProcess, redis: Redis) -> None:
    show = await create_show(rows=20, seats_per_row=50)  # 2,000 seats, more than the stream changes
    await ensure_built(redis, show.id)
    loop = asyncio.get_running_loop()
    clients: list[_BareLiveClient] = []
    transports = []
    try:
        for _ in range(SOCKETS):
            ready = loop.create_future()
            request = (f"GET /api/v1/shows/{show.id}/live HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                       f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n").encode()
            transport, client = await loop.create_connection(lambda: _BareLiveClient(request, ready),  # noqa: B023
                                                             "127.0.0.1", server.port)
            await asyncio.wait_for(ready, 30)
            transports.append(transport)
            clients.append(client)
        deadline = time.monotonic() + 30
        while not all(c.messages for c in clients):  # every socket has its snapshot
            assert time.monotonic() < deadline, "not every socket got its snapshot"
            await asyncio.sleep(0.05)

        # Changes as fast as Redis takes them: several arrive during every broadcast to these sockets. Each step
        # holds a new seat; every third also sells one held before and releases another, so a seat changes more
        # than once and a diff must carry the latest status of every seat changed since its version.
        last, changed = 0, 0
        stop = time.monotonic() + STREAM_S
        for step in itertools.count():
            if time.monotonic() >= stop or changed >= len(show.seat_ids):
                break
            changes = [(show.seat_ids[changed], "held")]
            if step % 3 == 2:
                changes += [(show.seat_ids[changed - 1], "sold"), (show.seat_ids[changed - 2], "available")]
            last = await publish_changes(redis, show.id, changes)
            changed += 1
        deadline = time.monotonic() + 30
        while any(c.version != last for c in clients):
            assert time.monotonic() < deadline, "not every socket reached the last version"
            await asyncio.sleep(0.05)
    finally:
        for transport in transports:
            transport.close()

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        server_version, server_seats = await server_map(http, show.id)
    assert server_version == last and len(server_seats) > changed // 2
    diffs_from: dict[int, set[int]] = defaultdict(set)  # a version -> the versions the diffs starting there reached
    for number, client in enumerate(clients):
        snapshot, *diffs = client.messages
        assert snapshot["type"] == "snapshot"
        version, seats = snapshot["version"], dict(snapshot["seats"])
        for diff in diffs:
            assert diff["type"] == "diff" and diff["from_version"] == version, (diff, version)
            diffs_from[version].add(diff["version"])
            version = diff["version"]
            for seat_id, status in diff["changes"]:
                if status == "available":
                    seats.pop(seat_id, None)
                else:
                    seats[seat_id] = status
        assert version == last
        assert seats == server_seats, f"socket {number}: its map after {len(diffs)} diffs is not the server's"
    # Without the fold between slices every socket gets the same diffs, pass after pass; with it, some pass gave
    # the sockets after a fold a longer diff from the same version than the sockets before it.
    assert any(len(reached) > 1 for reached in diffs_from.values()), f"{changed} changes, no broadcast folded any in"
