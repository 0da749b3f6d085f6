"""How realtime plugs into the app (through backend/registry.py): a startup hook and two background jobs.

The ChannelsPlugin is started and stopped by a background job rather than listed in the app's `plugins`: the
registry is this package's one door into the app factory. Its `channels` dependency is not needed either; the
hubs hold the plugin and the handlers reach them through `app.state.realtime`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from litestar.channels import ChannelsPlugin
from litestar.datastructures import State

from backend.booking import admission
from backend.catalog.facts import ShowFactsCache
from backend.errors import NotFound
from backend.periodic import repeat_forever
from backend.timeutil import utcnow
from realtime.channels import build_channels
from realtime.feeds import FeedHub
from realtime.live_map import ShowFeed, live_map_hub
from realtime.queue_feed import QueueFeed, queue_hub
from realtime.waiting_room import WaitingRoom

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


async def install_realtime(state: State) -> None:
    """Startup hook: build the plugin, the hubs and the waiting room (nothing connects yet)."""
    settings, redis = state.settings, state.redis
    channels = build_channels(redis)
    ready = asyncio.Event()
    room = WaitingRoom(redis, settings.queue_active_shoppers, settings.admission_ttl_seconds)
    state.realtime = Realtime(
        channels=channels,
        ready=ready,
        live_map=live_map_hub(redis, channels, ready),
        queues=queue_hub(room, channels, ready),
        waiting_room=room,
    )


async def run_channels(state: State) -> None:
    """Background job: the ChannelsPlugin's lifetime is this job's (cancelled at shutdown)."""
    realtime: Realtime = state.realtime
    async with realtime.channels:
        realtime.ready.set()
        try:
            await asyncio.Event().wait()
        finally:
            realtime.ready.clear()
            await realtime.live_map.close()
            await realtime.queues.close()


async def advance_waiting_rooms(state: State) -> None:
    """Background job: draw lines whose sale opened and let people in as shoppers leave, in every process."""
    realtime: Realtime = state.realtime
    await repeat_forever(lambda: advance_once(realtime.waiting_room, state.show_facts), ADVANCE_INTERVAL_S,
                         "waiting-room advance", logger, wait_first=True)


async def advance_once(room: WaitingRoom, facts: ShowFactsCache) -> None:
    now = utcnow()
    now_ms = admission.now_ms()
    for show_id in await room.lines():
        try:
            show = await facts.get(show_id)
        except NotFound:
            await room.forget(show_id)
            continue
        if show.starts_at <= now:
            await room.forget(show_id)  # the show began: its line is over
            continue
        await room.draw_if_due(show, now_ms)
        await room.advance(show_id, now_ms)
