"""Concurrent calls for one key share one run of the work (per process and event loop).

The first best-available requests of a show all arrive at once when its sale opens: without this, each of them
loaded the venue's seats (52,800 rows for the demo stadium) and built the index's layout in Python, and sent the
whole layout to Redis, in parallel (31 app CPU-seconds in a minute, holds of 15-90 s). Nothing is cached here: once
the run finishes, the next call runs the work again (callers keep their own caches).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    def in_flight(self, key: K) -> bool:
        return key in self._running

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        """The result of `work()`, or of the run of it already under way for `key`. A caller that is cancelled
        while it waits leaves the run going for the others."""
        running = self._running.get(key)
        if running is None or running.get_loop() is not asyncio.get_running_loop():
            running = asyncio.ensure_future(work())
            self._running[key] = running
            running.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(running)

    def _finished(self, key: K, done: asyncio.Future[V]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here, so a run whose every waiter was cancelled logs no warning
