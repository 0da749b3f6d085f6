"""A server process restarted under connected watchers, as a deploy restarts it (SIGTERM): its live-map and
waiting-room sockets are closed with 1012 (service restart), and the clients come back after a jittered back-off,
resuming from the version they have: a diff from it where the process they reach still holds the steps since (a
process that was already serving the show), a snapshot where it does not (the restarted process, whose feed is new).
Seat changes go on throughout, as in a sale; afterwards every map equals the server's."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable

import httpx
from redis.asyncio import Redis

from backend.seats import ensure_built
from tests.booking.helpers import eventually
from tests.realtime.support import MapWatcher, QueueWatcher, converged, publish_changes, running
from tests.support.data import create_show
from tests.support.reconnect import SERVICE_RESTART
from tests.support.servers import ServerProcess

CHANGE_EVERY_S = 0.05  # a sale's pace: 20 seat changes a second


async def until(condition: Callable[[], bool], timeout: float) -> None:
    await eventually(lambda: asyncio.sleep(0, condition()), timeout, interval=0.02)


async def sell(redis: Redis, show_id: int, seat_ids: list[str], stop: asyncio.Event) -> int:
    """Hold and release seats in turn until told to stop, the way the holds scripts change them; returns how many
    changes were made."""
    made = 0
    for seat, status in itertools.cycle([(seat, s) for s in ("held", "available") for seat in seat_ids]):
        if stop.is_set():
            return made
        await publish_changes(redis, show_id, [(seat, status)])
        made += 1
        await asyncio.sleep(CHANGE_EVERY_S)
    return made


async def test_watchers_of_a_restarted_process_get_1012_and_resume_from_their_version(
        server: ServerProcess, server_b: ServerProcess, anon: httpx.AsyncClient, redis: Redis) -> None:
    victim = server_b  # restarted in place: it serves the later tests as before
    queue_task = None
    try:
        show = await create_show(rows=2, seats_per_row=10)
        line = await create_show(rows=1, seats_per_row=2, queue_enabled=True)
        await ensure_built(redis, show.id)
        # Already on `server`, whose feed of the show they keep: it holds the recent steps when the others arrive.
        steady = [MapWatcher([server.ws_url], show.id) for _ in range(3)]
        # On the victim; they fail over to `server` and resume there with a diff.
        moving = [MapWatcher([victim.ws_url, server.ws_url], show.id) for _ in range(6)]
        # On the victim, and only there: they come back to the restarted process, whose new feed has no steps.
        returning = [MapWatcher([victim.ws_url], show.id) for _ in range(6)]
        queue = QueueWatcher(victim.ws_url, line.id)
        queue_task = asyncio.create_task(queue.run())
        stop_selling = asyncio.Event()
        async with running(steady), running(moving + returning):
            await until(lambda: queue.connects == 1 and bool(queue.messages), 20)
            selling = asyncio.create_task(sell(redis, show.id, show.seat_ids[:8], stop_selling))
            await asyncio.sleep(1)
            # Everyone at the same version first, so no client can be ahead of `server`'s feed when it arrives.
            stop_selling.set()
            await selling
            before_restart, _ = await converged(steady + moving + returning, anon, show.id)
            stop_selling.clear()
            selling = asyncio.create_task(sell(redis, show.id, show.seat_ids[8:16], stop_selling))
            started = time.monotonic()
            await asyncio.to_thread(victim.restart_web)
            print(f"\nvictim restarted in {time.monotonic() - started:.1f} s")
            await until(lambda: all(w.connects == 2 for w in returning), 30)
            await asyncio.sleep(0.5)  # changes keep coming once everyone is back
            stop_selling.set()
            changes = await selling
            version, seats = await converged(steady + moving + returning, anon, show.id)
            await until(lambda: queue.connects == 2 and len(queue.close_codes) == 1, 20)
            queue_closes = list(queue.close_codes)  # (stopping the client closes it too, with its own code)
    finally:
        if queue_task is not None:
            queue_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await queue_task

    assert changes > 10 and version > before_restart
    for watcher in steady + moving + returning:
        assert watcher.problems == [], watcher.problems
        assert (watcher.version, watcher.seats) == (version, seats)
    assert all(w.connects == 1 and w.resumptions == [] for w in steady)  # untouched by another process's restart
    for watcher in moving + returning:
        assert watcher.connects == 2 and watcher.close_codes[0] == SERVICE_RESTART, watcher.close_codes
        (resumed,) = watcher.resumptions
        assert resumed.since >= before_restart
    # Resumed on `server` with one diff from the version each had (carrying what changed meanwhile)...
    assert [r.kind for w in moving for r in w.resumptions] == ["diff"] * len(moving)
    assert any(r.changes for w in moving for r in w.resumptions)
    assert all(w.snapshots == 1 for w in moving)  # the first connection's only
    # ...and on the restarted process with a snapshot: its feed was new.
    assert [r.kind for w in returning for r in w.resumptions] == ["snapshot"] * len(returning)
    # The waiting room's socket too: 1012, back on the restarted process, the line never going back.
    assert queue_closes == [SERVICE_RESTART] and queue.problems == []
