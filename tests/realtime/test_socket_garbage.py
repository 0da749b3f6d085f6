"""A closed live-map socket leaves nothing for the cyclic garbage collector: reference counting frees it at once.

Before, each closed socket left ~110 objects in reference cycles (the server's connection, its scope, Litestar's
WebSocket), freed only by a full collection, which also walks every live socket's objects: after a mass reconnect
each socket process stalled about a second per 10,000 sockets (docs/architecture.md, "Garbage collection and socket
churn"). The server here is the app under uvicorn as `just serve` runs it, in a process of its own that answers
what its collector finds (tests/realtime/garbage_server.py); the sockets live through a full collection first, so
their objects are old when they close, as a sale's are."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import websockets
from redis.asyncio import Redis

from backend.seats import ensure_built
from backend.settings import PROJECT_ROOT
from tests.support.data import create_show
from tests.support.servers import ServerProcess

SOCKETS = 40
# The packages a live-map socket's objects come from: the server, the framework, the app.
SOCKET_PATH = {"uvicorn", "websockets", "litestar", "server", "backend", "realtime"}


class GarbageServer:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, prefix: str) -> str:
        """The next line of ours (the app's own log lines go to the same stdout)."""
        assert self.process.stdout is not None
        while True:
            raw = await asyncio.wait_for(self.process.stdout.readline(), 60)
            assert raw, "the garbage server exited"
            text = raw.decode().strip()
            if text.startswith(prefix + " "):
                return text.removeprefix(prefix + " ")

    async def ask(self, command: str, prefix: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.line(prefix)


async def test_a_closed_socket_leaves_no_cyclic_garbage(server: ServerProcess, redis_url: str, redis: Redis) -> None:
    show = await create_show(rows=1, seats_per_row=4)
    await ensure_built(redis, show.id)
    env = {**os.environ, "REDIS_URL": redis_url, "STRIPE_SECRET_KEY": "sk_test_garbage", "LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.realtime.garbage_server", env=env, cwd=PROJECT_ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        garbage_server = GarbageServer(process)
        port = int(await garbage_server.line("port"))
        url = f"ws://127.0.0.1:{port}/api/v1/shows/{show.id}/live"
        sockets = []
        for _ in range(SOCKETS):
            socket = await websockets.connect(url, compression=None)
            assert json.loads(await socket.recv())["type"] == "snapshot"
            sockets.append(socket)
        await garbage_server.ask("collect", "collected")  # the sockets' objects are old now
        await asyncio.gather(*(socket.close() for socket in sockets))
        await asyncio.sleep(0.5)  # the server's handlers return
        found: dict[str, int] = json.loads(await garbage_server.ask("garbage", "garbage"))
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
    print(f"\ncyclic garbage after {SOCKETS} closed sockets: {found}")
    # Before the cycles were broken: ~110 objects per socket (70 with only the edge's own cycle broken), each socket's
    # among them the server's connection or Litestar's WebSocket. The server's background jobs leave a few cycles of
    # their own meanwhile (seen on CI: a first script call answered NOSCRIPT, its exception, traceback and frames: 47
    # objects), so the objects of the socket path's own classes are counted apart: not one per socket may be left.
    of_sockets = {kind: n for kind, n in found.items() if kind.split(".")[0] in SOCKET_PATH}
    assert sum(of_sockets.values()) < SOCKETS // 2, found
    assert sum(found.values()) < 4 * SOCKETS, found
