"""What realtime runs in each process: the ChannelsPlugin, the feed hubs on it and the waiting room, built with the
app (nothing connects until the lifespan); and the job that moves every waiting room's line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from litestar.channels import ChannelsPlugin
from redis.asyncio import Redis

from backend.catalog.facts import ShowFactsCache
from backend.errors import NotFound
from backend.infra.leases import Fenced, Leases
from backend.infra.periodic import repeat_forever
from backend.settings import Settings
from backend.timeutil import now_ms, utcnow
from realtime.channels import build_channels
from realtime.feeds import FeedHub
from realtime.live_map import ShowFeed, live_map_hub
from realtime.waiting_room import ADVANCE_JOB, QueueFeed, WaitingRoom, queue_hub

logger = logging.getLogger("showtime.realtime")

# How often every process tries to move every line: admissions that expired or finished are refilled within it.
ADVANCE_INTERVAL_S = 0.5


@dataclass
class Realtime:
    channels: ChannelsPlugin
    ready: asyncio.Event  # set once the plugin runs; sockets wait for it
    live_map: FeedHub[ShowFeed]
    queues: FeedHub[QueueFeed]
    waiting_room: WaitingRoom

    @classmethod
    def build(cls, settings: Settings, redis: Redis) -> Realtime:
        channels = build_channels(redis)
        ready = asyncio.Event()
        room = WaitingRoom(redis, settings.queue_active_shoppers, settings.admission_ttl_seconds,
                           admissions_per_minute=settings.queue_admissions_per_minute)
        return cls(channels=channels, ready=ready, live_map=live_map_hub(redis, channels, ready),
                   queues=queue_hub(room, channels, ready), waiting_room=room)

    @asynccontextmanager
    async def serving(self, _: Any = None) -> AsyncIterator[None]:
        """Entered once the ChannelsPlugin runs, left before it stops: sockets are served in between, and every
        feed is stopped while its subscription can still be dropped cleanly."""
        self.ready.set()
        try:
            yield
        finally:
            self.ready.clear()
            await self.live_map.close()
            await self.queues.close()

    async def advance_waiting_rooms(self, facts: ShowFactsCache) -> None:
        """Background job: draw lines whose sale opened and let people in as shoppers leave. Every process runs
        it; each line is moved by the one process holding its lease (backend.infra.leases)."""
        leases = Leases(self.waiting_room.redis, ADVANCE_JOB)
        try:
            await repeat_forever(lambda: advance_once(self.waiting_room, facts, leases), ADVANCE_INTERVAL_S,
                                 "waiting-room advance", logger, wait_first=True)
        finally:
            await leases.release_all()  # a clean stop hands the lines over at once


async def advance_once(room: WaitingRoom, facts: ShowFactsCache, leases: Leases) -> None:
    now = utcnow()
    moment_ms = now_ms()
    for show_id in await room.lines():
        token = await leases.hold(show_id)
        if token is None:
            continue  # another process moves this line
        try:
            show = await facts.get(show_id)
        except NotFound:
            await room.forget(show_id)
            leases.forget(show_id)
            continue
        if show.starts_at <= now:
            await room.forget(show_id)  # the show began: its line is over
            leases.forget(show_id)
            continue
        await room.draw_if_due(show, moment_ms)
        if show.sale != "open":
            continue  # paused or closed: nobody is let in (the line's config says so too, unless Redis lost it)
        try:
            await room.advance(show_id, moment_ms, str(token))
        except Fenced:
            leases.forget(show_id)
