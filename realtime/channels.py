"""Sharded Redis pub/sub for the whole process through Litestar's ChannelsPlugin, made safe to build state on.

Every show channel is published with SPUBLISH (inside the Lua scripts that change the state) and read with
SSUBSCRIBE: on a Redis Cluster a show's messages then stay on the shard that owns its hash tag `{show:N}` instead
of being broadcast over the whole cluster bus, and a process opens one subscriber connection per shard it
listens to. On a single server (Redis 7+ / Valkey) the same commands simply have one shard.

This project subscribes one plugin `Subscriber` per show and channel per process (a feed), never one per socket:
the feed coalesces, encodes once and fans the same text out to its sockets itself (see `live_map.py`).

What Litestar's stock Redis backend lacks, and this one gives:
- Sharded pub/sub, routed per channel to the node that owns its slot.
- Subscribing only sends SSUBSCRIBE; nothing says when Redis started delivering. Here every subscribe
  confirmation is passed on to the channel's subscribers as `SUBSCRIBED` (an empty payload no publisher sends),
  so a feed reads its snapshot only once the changes after it are certain to arrive.
- A lost connection (a node restarted, a master killed and its replica promoted, a slot moved) must not end the
  stream, and the messages published meanwhile are lost. Here the broken shard's connection is dropped, the
  slot map refreshed, every channel it carried subscribed again on whichever node owns it now (with a back-off
  while no node does), and the new confirmations arrive as `SUBSCRIBED`: feeds take that as "reload the snapshot".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass, field

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException, RedisError

from backend.infra.redis_client import RedisClient

logger = logging.getLogger("showtime.realtime.channels")

SUBSCRIBED = b""  # what a subscriber receives when its channel's subscription is (re)confirmed by Redis
POLL_TIMEOUT_S = 1.0
RECONNECT_DELAYS_S = (0.05, 0.2, 0.5, 1.0)
# A feed drains its subscriber at once; this bound only matters when the event loop is starved. Dropping the
# oldest then shows up as a version gap, which the feed repairs with a fresh snapshot.
FEED_BACKLOG = 50_000
_SINGLE = "single"  # the shard name of a single server
_LOST = (RedisError, RedisClusterException, OSError)  # a connection, a node or a slot's owner is gone


@dataclass(eq=False)
class _Shard:
    """One node's subscriber connection and the channels it carries."""

    name: str
    pubsub: PubSub
    client: Redis | None  # our own client for a cluster node (closed with the shard); None on a single server
    channels: set[str] = field(default_factory=set)
    reader: asyncio.Task[None] | None = None

    async def close(self) -> None:
        if self.reader is not None and self.reader is not asyncio.current_task():
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
        with contextlib.suppress(*_LOST):
            await self.pubsub.aclose()
        if self.client is not None:
            with contextlib.suppress(*_LOST):
                await self.client.aclose()


class ShardedPubSubBackend(ChannelsBackend):
    """SPUBLISH/SSUBSCRIBE backend for one server or a Redis Cluster, with confirmations and self-repair."""

    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis
        self._wanted: set[str] = set()
        self._shards: dict[str, _Shard] = {}
        self._events: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._lock = asyncio.Lock()  # subscription changes and repairs, one at a time
        self._broken = asyncio.Event()  # some wanted channel is not subscribed on a live connection
        self._repairer: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ ChannelsBackend

    async def on_startup(self) -> None:
        self._repairer = asyncio.create_task(self._repair_forever(), name="pubsub-repair")

    async def on_shutdown(self) -> None:
        if self._repairer is not None:
            self._repairer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._repairer
        async with self._lock:
            shards, self._shards = list(self._shards.values()), {}
        for shard in shards:
            await shard.close()

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        for channel in set(channels):
            await self._redis.spublish(channel, data)

    async def subscribe(self, channels: Iterable[str]) -> None:
        async with self._lock:
            for channel in channels:
                self._wanted.add(channel)
                await self._subscribe(channel)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        async with self._lock:
            for channel in channels:
                self._wanted.discard(channel)
                for shard in list(self._shards.values()):
                    if channel in shard.channels:
                        shard.channels.discard(channel)
                        with contextlib.suppress(*_LOST):  # a dead connection unsubscribed already
                            await shard.pubsub.sunsubscribe(channel)
                    if not shard.channels:
                        await self._drop(shard)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        while True:
            yield await self._events.get()

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError("pub/sub keeps no history")

    # ------------------------------------------------------------------ routing

    async def _owner(self, channel: str) -> str:
        if isinstance(self._redis, RedisCluster):
            await self._redis.initialize()  # loads the slot map on first use; free afterwards
            node = self._redis.get_node_from_key(channel)
            if node is None:
                raise RedisClusterException(f"no node serves {channel}'s slot")
            return str(node.name)
        return _SINGLE

    def _shard(self, name: str) -> _Shard:
        shard = self._shards.get(name)
        if shard is None:
            if isinstance(self._redis, RedisCluster):
                node = self._redis.get_node(node_name=name)
                if node is None:  # the slot map was refreshed since `_owner` named it (another await ran)
                    raise RedisClusterException(f"node {name} left the slot map")
                # Its own connection, failing fast: after an error the repair decides where to go, not a retry.
                client = Redis(host=node.host, port=int(node.port), socket_connect_timeout=3,
                               retry=Retry(NoBackoff(), 0))
                shard = _Shard(name, client.pubsub(), client)
            else:
                shard = _Shard(name, self._redis.pubsub(), None)
            shard.reader = asyncio.create_task(self._read(shard), name=f"pubsub-{name}")
            self._shards[name] = shard
        return shard

    async def _subscribe(self, channel: str) -> None:
        """Subscribe one wanted channel on the node owning it (under the lock); on failure leave it to repair."""
        shard: _Shard | None = None
        try:
            name = await self._owner(channel)
            for other in list(self._shards.values()):
                if channel in other.channels and other.name != name:  # its slot moved
                    other.channels.discard(channel)
                    with contextlib.suppress(*_LOST):
                        await other.pubsub.sunsubscribe(channel)
            shard = self._shard(name)
            if channel not in shard.channels:
                shard.channels.add(channel)  # before sending: the reader may see the confirmation at once
                await shard.pubsub.ssubscribe(channel)
        except _LOST as exc:
            logger.warning("subscribing %s failed (%s: %s); repairing", channel, type(exc).__name__, exc)
            if shard is not None:
                await self._drop(shard)  # its connection is broken: every channel on it is subscribed again
            self._broken.set()

    async def _drop(self, shard: _Shard) -> None:
        if self._shards.get(shard.name) is shard:
            del self._shards[shard.name]
        await shard.close()

    # ------------------------------------------------------------------ reading and repair

    async def _read(self, shard: _Shard) -> None:
        try:
            while True:
                if not shard.pubsub.subscribed:
                    await asyncio.sleep(0.01)  # its first SSUBSCRIBE is on its way
                    continue
                message = await shard.pubsub.get_message(ignore_subscribe_messages=False, timeout=POLL_TIMEOUT_S)
                if message is None:
                    continue
                kind, channel = message["type"], message["channel"].decode()
                if kind == "smessage" and channel in self._wanted:
                    self._events.put_nowait((channel, message["data"]))
                elif kind == "ssubscribe" and channel in shard.channels:
                    self._events.put_nowait((channel, SUBSCRIBED))
                elif kind == "sunsubscribe" and channel in shard.channels and channel in self._wanted:
                    # Not asked for: the server dropped it because its slot moved to another node.
                    logger.warning("%s: the server ended the subscription of %s; repairing", shard.name, channel)
                    shard.channels.discard(channel)
                    self._broken.set()
        except Exception as exc:  # a lost connection (_LOST), or anything else that ends this reader: repair
            log = logger.warning if isinstance(exc, _LOST) else logger.exception
            log("pub/sub connection to %s lost (%s); repairing", shard.name, type(exc).__name__)
            shard.channels.clear()
            if self._shards.get(shard.name) is shard:
                del self._shards[shard.name]
            self._broken.set()
            await shard.close()

    async def _repair_forever(self) -> None:
        failures = 0
        while True:
            await self._broken.wait()
            delay = RECONNECT_DELAYS_S[min(failures, len(RECONNECT_DELAYS_S) - 1)]
            await asyncio.sleep(delay)
            async with self._lock:
                self._broken.clear()
                try:
                    if isinstance(self._redis, RedisCluster):
                        try:
                            await self._redis.nodes_manager.initialize()  # who serves which slot now
                        except _LOST as exc:
                            logger.warning("refreshing the cluster's slot map failed (%s)", type(exc).__name__)
                            self._broken.set()
                    for channel in sorted(self._wanted):
                        await self._subscribe(channel)
                except Exception:
                    # Whatever the client library raises mid-failover, this task must outlive it: without it no
                    # lost subscription is ever made again, and every feed on it goes quiet for good.
                    logger.exception("pub/sub repair failed; trying again")
                    self._broken.set()
            failures = failures + 1 if self._broken.is_set() else 0
            if not failures:
                logger.info("pub/sub repaired: %d channel(s) subscribed", len(self._wanted))


def build_channels(redis: RedisClient) -> ChannelsPlugin:
    return ChannelsPlugin(
        backend=ShardedPubSubBackend(redis),
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=FEED_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )
