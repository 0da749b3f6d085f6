"""The pub/sub backend's repair (realtime/channels.py) outlives whatever the client library raises during it.

A lost subscriber connection is made again by one long-lived task; if anything it calls raises an error that is
not a lost connection (mid-failover, redis-py's cluster client has raised assertion and lookup errors of its own),
that task must log it and try again, not end: once it ends, no lost subscription is ever made again and every
live map on it goes quiet. A private Valkey: the test kills every pub/sub connection of its server.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from realtime.channels import SUBSCRIBED, ShardedPubSubBackend
from tests.support.fixtures import private_valkey

EVENT_TIMEOUT_S = 15.0


async def _next_event(events: AsyncIterator[tuple[str, bytes]]) -> tuple[str, bytes]:
    return await asyncio.wait_for(anext(events), EVENT_TIMEOUT_S)


async def test_a_subscription_lost_is_made_again_after_the_repair_itself_failed_unexpectedly() -> None:
    with private_valkey("pubsub-repair-valkey") as url:
        redis = Redis.from_url(url)
        backend = ShardedPubSubBackend(redis)
        channel = f"{{show:{secrets.randbelow(10**9)}}}:changes"
        await backend.on_startup()
        try:
            events = backend.stream_events()
            await backend.subscribe([channel])
            assert await _next_event(events) == (channel, SUBSCRIBED)

            # The next repair's first step raises something no connection loss does.
            owner = backend._owner
            failures: list[str] = []

            async def fails_once(name: str) -> str:
                if not failures:
                    failures.append(name)
                    raise RuntimeError("an error of the client library's own")
                return await owner(name)

            backend._owner = fails_once  # type: ignore[method-assign]
            assert await redis.client_kill_filter(_type="pubsub") >= 1

            # Subscribed again after the failed attempt, and messages flow again.
            assert await _next_event(events) == (channel, SUBSCRIBED)
            assert failures == [channel]
            await redis.spublish(channel, b"after the repair")
            assert await _next_event(events) == (channel, b"after the repair")
        finally:
            await backend.on_shutdown()
            await redis.aclose()
