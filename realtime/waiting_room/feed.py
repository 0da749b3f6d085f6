"""The waiting room's broadcast: one feed per show per process, fanned out to that process's waiting clients.

Every change to a line publishes its full status (serving, waiting, rate) from inside the Lua script that made it,
so the latest message always describes the line; a feed keeps only the latest of a short window, encodes it once
and offers the same event to every socket. A heartbeat re-reads the status every few seconds, which keeps the
measured rate fresh and repairs anything pub/sub lost. `serving` never goes back on a socket: a heartbeat read that
raced a newer message is ignored, so a client's position (number - serving) can only go down.
"""

from __future__ import annotations

import asyncio
import logging
import time

from litestar.channels import ChannelsPlugin
from redis.exceptions import RedisError

from realtime.channels import SUBSCRIBED
from realtime.feeds import Feed, FeedHub, widening_window
from realtime.frames import Outgoing
from realtime.messages import QueueBroadcast, QueueStatus, decode_queue_status, encode
from realtime.waiting_room._keys import changes_channel
from realtime.waiting_room.line import WaitingRoom
from realtime.watchers import Watcher

logger = logging.getLogger("showtime.realtime.waiting_room.feed")

# A line moves in steps nobody needs within milliseconds: 100 ms between broadcasts, widening to a second as one
# process's waiting clients grow to tens of thousands (each broadcast costs one send per client).
WINDOW_MIN_S = 0.1
WINDOW_MAX_S = 1.0
WIDEN_FROM_WATCHERS = 1_000
WIDEN_TO_WATCHERS = 20_000
HEARTBEAT_S = 5.0
RETRY_DELAY_S = 1.0


def broadcast_window(watchers: int) -> float:
    return widening_window(watchers, WINDOW_MIN_S, WINDOW_MAX_S, WIDEN_FROM_WATCHERS, WIDEN_TO_WATCHERS)


class QueueFeed(Feed):
    kind = "waiting_room"

    def __init__(self, show_id: int, room: WaitingRoom, channels: ChannelsPlugin) -> None:
        super().__init__(show_id, changes_channel(show_id), channels)
        self.room = room
        self.sent: QueueStatus | None = None
        self._event: Outgoing | None = None
        self._latest: QueueStatus | None = None
        self._reload = True  # read the status from Redis rather than waiting for a change
        self._arrived = asyncio.Event()

    def welcome(self, watcher: Watcher, since: int | None = None) -> None:
        # A line has no versions to resume from: the latest status is all a client (new or back) needs.
        if self._event is not None:
            watcher.offer(self._event)

    def receive(self, payload: bytes) -> None:
        if payload == SUBSCRIBED:
            self._reload = True  # (re)subscribed: what happened before is only in Redis
        else:
            try:
                self._latest = decode_queue_status(payload)
            except ValueError:
                logger.error("ignoring a malformed queue status on show %s: %.200r", self.show_id, payload)
                return
        self._arrived.set()

    async def loop(self) -> None:
        last_sent = 0.0
        while not self.lingered():
            now = time.monotonic()
            heartbeat_due = last_sent + HEARTBEAT_S
            if now < heartbeat_due and not self._reload:
                try:
                    await asyncio.wait_for(self._arrived.wait(), heartbeat_due - now)
                    await asyncio.sleep(broadcast_window(len(self.watchers)))  # a burst of joins: one broadcast
                except TimeoutError:
                    self._reload = True  # heartbeat
            self._arrived.clear()
            status, self._latest = self._latest, None
            heartbeat = self._reload
            if self._reload:
                try:
                    status = await self.room.status(self.show_id)
                except (RedisError, OSError) as exc:
                    logger.warning("show %s: queue status read failed (%s)", self.show_id, exc)
                    await asyncio.sleep(RETRY_DELAY_S)
                    continue
                self._reload = False
            if status is not None and (await self._publish(status, heartbeat) or heartbeat):
                last_sent = time.monotonic()

    async def _publish(self, status: QueueStatus, heartbeat: bool) -> bool:
        sent = self.sent
        if sent is not None:
            if status.serving < sent.serving:
                return False  # an older view than what the clients have: never move the line backwards
            if not heartbeat and (status.serving, status.waiting, status.open, status.paused) == (
                    sent.serving, sent.waiting, sent.open, sent.paused):
                return False
        self.sent = status
        text = encode(QueueBroadcast(serving=status.serving, waiting=status.waiting,
                                     rate_per_s=status.rate_per_s, open=status.open,
                                     paused=status.paused)).decode()
        self._event = Outgoing(text)
        await self.fan_out(self._event)
        return True


def queue_hub(room: WaitingRoom, channels: ChannelsPlugin, ready: asyncio.Event) -> FeedHub[QueueFeed]:
    return FeedHub(lambda show_id: QueueFeed(show_id, room, channels), ready)
