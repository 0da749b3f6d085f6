"""Listening to a show's channel as the app does: sharded pub/sub (SSUBSCRIBE), on the node that owns the
channel's slot, whether the suite runs on one server or on a cluster."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster

from backend.infra.redis_client import RedisClient


async def shard_subscribe(redis: RedisClient, channel: str) -> PubSub:
    """A confirmed SSUBSCRIBE: no message published after this returns is missed."""
    if isinstance(redis, RedisCluster):
        await redis.initialize()
        node = redis.get_node_from_key(channel)
        assert node is not None
        pubsub = Redis(host=node.host, port=int(node.port)).pubsub()
    else:
        pubsub = redis.pubsub()
    await pubsub.ssubscribe(channel)
    message = await pubsub.get_message(timeout=5)
    assert message and message["type"] == "ssubscribe", message
    return pubsub
