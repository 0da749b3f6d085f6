"""The app served by uvicorn as `just serve` serves it (uvloop, httptools, `--ws websockets-sansio`), in this process,
so that the test driving it can ask what the garbage collector finds (tests/realtime/test_socket_garbage.py).

Prints `port N` once it serves; then answers each line read on stdin:
- `collect`: a full collection now (what is alive moves to the oldest generation, as a socket's objects do during a
  sale); prints `collected N`;
- `garbage`: a full collection that keeps what it finds (gc.DEBUG_SAVEALL) and prints `garbage {type: count}` as
  JSON: the objects that only the cyclic collector could free.
Run with the suite's environment (DATABASE_URL, REDIS_URL, VAR_DIR): `python -m tests.realtime.garbage_server`.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from collections import Counter

import uvicorn
import uvloop

from server.app import create_asgi_app


def _kind(thing: object) -> str:
    return f"{type(thing).__module__}.{type(thing).__qualname__}"


def _answer(command: str) -> str:
    if command == "collect":
        return f"collected {gc.collect()}"
    if command == "garbage":
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            found = Counter(_kind(thing) for thing in gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        return f"garbage {json.dumps(found)}"
    return f"unknown command {command!r}"


async def main() -> None:
    config = uvicorn.Config(create_asgi_app(), host="127.0.0.1", port=0, loop="none", http="httptools",
                            ws="websockets-sansio", ws_per_message_deflate=False, lifespan="on",
                            log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # startup failed: raise why
        await asyncio.sleep(0.05)
    print(f"port {server.servers[0].sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        print(_answer(line.strip()), flush=True)
    server.should_exit = True
    await serving


if __name__ == "__main__":
    uvloop.run(main())
