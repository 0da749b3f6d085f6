"""Redis pub/sub for the whole process through Litestar's ChannelsPlugin, made safe to build state on.

One `ChannelsPlugin(RedisChannelsPubSubBackend)` per process holds ONE Redis connection in subscribe mode; the
plugin subscribes a channel in Redis when its first local subscriber appears and drops it with the last. This
project subscribes one plugin `Subscriber` per show and channel per process (a feed), never one per socket: the
feed coalesces, encodes once and fans the same text out to its sockets itself (see `live_map.py`), which the
plugin's per-subscriber queues would otherwise turn into per-client decoding and encoding.

The stock backend needs two things more for state that is built from a snapshot plus a stream of changes:
- Subscribing only sends SUBSCRIBE; nothing says when Redis started delivering. Here every subscribe
  confirmation is passed on to the channel's subscribers as `SUBSCRIBED` (an empty payload no publisher sends),
  so a feed reads its snapshot only once the changes after it are certain to arrive.
- A lost connection kills the stock event stream for good, and the reconnect that redis-py may do silently loses
  the messages published meanwhile. Here the stream survives any error, reconnects with a back-off, and the
  resubscription's confirmations arrive as `SUBSCRIBED` again: feeds take it as "reload the snapshot".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Iterable

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("showtime.realtime.channels")

SUBSCRIBED = b""  # what a subscriber receives when its channel's subscription is (re)confirmed by Redis
POLL_TIMEOUT_S = 1.0
RECONNECT_DELAYS_S = (0.05, 0.2, 0.5, 1.0, 2.0)
# A feed drains its subscriber at once; this bound only matters when the event loop is starved. Dropping the
# oldest then shows up as a version gap, which the feed repairs with a fresh snapshot.
FEED_BACKLOG = 50_000


class ConfirmingRedisPubSubBackend(RedisChannelsPubSubBackend):
    """RedisChannelsPubSubBackend that reports subscription confirmations and survives connection loss."""

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
            await super().unsubscribe(channels)  # a dead connection unsubscribed everything already

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        failures = 0
        while True:
            await self._has_subscribed.wait()
            try:
                message = await self._pub_sub.get_message(ignore_subscribe_messages=False, timeout=POLL_TIMEOUT_S)
                failures = 0
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                delay = RECONNECT_DELAYS_S[min(failures, len(RECONNECT_DELAYS_S) - 1)]
                failures += 1
                logger.warning("pub/sub connection lost (%s); reconnecting in %.2f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                await self._reconnect()
                continue
            if message is None:
                continue
            kind = message["type"]
            channel = message["channel"].decode()
            if kind == "subscribe":
                yield channel, SUBSCRIBED
            elif kind == "message":
                yield channel, message["data"]

    async def _reconnect(self) -> None:
        # redis-py resubscribes every known channel when its connection connects again; the confirmations
        # then come through stream_events as SUBSCRIBED, which is what tells the feeds to resynchronise.
        with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
            await self._pub_sub.connect()


def build_channels(redis: Redis) -> ChannelsPlugin:
    return ChannelsPlugin(
        backend=ConfirmingRedisPubSubBackend(redis=redis),
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=FEED_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )
