"""The bare fan-out ceilings `bench/live_map.py` compares the app with: what sending one prepared text frame to N
sockets costs with nothing of the app around it.

- `litestar_app()`: a minimal Litestar WebSocket endpoint served by uvicorn (same `--ws` implementation as the app
  in the same run). Every socket joins a set; each message on the show's Redis channel becomes ONE diff text, and
  one loop awaits `socket.send(event)` with that same prepared ASGI event for every socket, in turn.
- `python -m bench.fanout_ceiling --port P`: the `websockets` library's own server, fanning each message out with
  `websockets.asyncio.server.broadcast()` (one frame serialised once, written to every transport, no await).

Both read BENCH_REDIS_URL and BENCH_CHANNEL from the environment and speak the live map's diff shape (without a
snapshot: the bench's clients skip the version chain check for them), so the same client processes and the same
hold stream drive them and the app. Bench-only code: nothing here is imported by the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from redis.asyncio import Redis


def _diff_text(payload: bytes) -> str:
    change = json.loads(payload)
    return json.dumps({"type": "diff", "from_version": change["v"] - 1, "version": change["v"],
                       "changes": [[str(seat), status] for seat, status in change.get("c", [])]},
                      separators=(",", ":"))


async def _relay(on_text: Callable[[str], Any]) -> None:
    """Every message on the channel, as one diff text handed to `on_text` (awaited if it returns an awaitable)."""
    redis = Redis.from_url(os.environ["BENCH_REDIS_URL"].replace("valkey://", "redis://", 1))
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    # The seat scripts SPUBLISH (sharded pub/sub, as the app's channels subscribe): a plain SUBSCRIBE hears nothing.
    await pubsub.ssubscribe(os.environ["BENCH_CHANNEL"])
    try:
        async for message in pubsub.listen():
            if message["type"] == "smessage":
                result = on_text(_diff_text(message["data"]))
                if asyncio.iscoroutine(result):
                    await result
    finally:
        await pubsub.aclose()
        await redis.aclose()


def litestar_app() -> Any:
    from litestar import Litestar, WebSocket, get, websocket

    sockets: set[WebSocket] = set()

    async def fan_out(text: str) -> None:
        event = {"type": "websocket.send", "bytes": None, "text": text}
        for socket in list(sockets):
            with contextlib.suppress(Exception):
                await socket.send(event)  # type: ignore[arg-type]

    @websocket("/api/v1/shows/{show_id:int}/live")
    async def live(socket: WebSocket, show_id: int) -> None:
        await socket.accept()
        sockets.add(socket)
        try:
            while (await socket.receive())["type"] != "websocket.disconnect":
                continue
        finally:
            sockets.discard(socket)

    @get("/healthz")
    async def healthz() -> str:
        return "ok"

    @contextlib.asynccontextmanager
    async def relay(_: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(_relay(fan_out))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return Litestar([live, healthz], lifespan=[relay])


async def _websockets_server(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    connections: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        connections.add(connection)
        try:
            await connection.wait_closed()
        finally:
            connections.discard(connection)

    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        await _relay(lambda text: broadcast(connections, text))


def main() -> None:
    parser = argparse.ArgumentParser(description="websockets.broadcast() fan-out ceiling")
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(_websockets_server(parser.parse_args().port))


if __name__ == "__main__":
    main()
