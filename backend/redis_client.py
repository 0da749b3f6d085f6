"""One Redis client per process, created lazily so importing the app never connects.

REDIS_URL gives one server (`redis.asyncio.Redis`); REDIS_CLUSTER_NODES a Redis Cluster
(`redis.asyncio.cluster.RedisCluster`), which routes each command to the node serving its key's slot, follows
MOVED/ASK, and after a connection error or CLUSTERDOWN reloads the slot map by itself, so a promoted replica is
found without a restart. The rest of the code is the same for both: every multi-key command and script stays
inside one show's hash tag (backend.booking.keys), and pub/sub is sharded (realtime.channels).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from litestar.params import Dependency
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from backend.settings import Settings

# Either kind answers the same commands; only pub/sub differs (realtime.channels routes it per shard).
RedisClient: TypeAlias = Redis | RedisCluster
# How handlers ask for it: Litestar would otherwise check the dependency against `Redis` and refuse the cluster
# client. Typed as `Redis` for the code below the handlers: both clients offer the same command methods.
RedisDependency: TypeAlias = Annotated[Redis, Dependency(skip_validation=True)]

_CONNECTION: dict[str, Any] = {
    "decode_responses": False,
    "socket_timeout": 5,
    "socket_connect_timeout": 3,
}
# On a cluster, a command that meets a dead master is retried (the client refreshes its slot map between tries)
# for about as long as a replica needs to take over: a failover costs the requests in flight some latency, not
# an error. Beyond that the caller sees the error and answers 503.
CLUSTER_RETRY = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=8)


def build_redis(settings: Settings) -> RedisClient:
    if settings.redis_cluster_nodes:
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in settings.redis_cluster_nodes],
            retry=CLUSTER_RETRY,
            max_connections=512,  # per node
            **_CONNECTION,
        )
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: start the app through `just serve` (it starts embedded Valkey)")
    url = settings.redis_url.replace("valkey://", "redis://", 1)
    return Redis.from_url(
        url,
        health_check_interval=15,
        retry_on_timeout=True,
        max_connections=512,
        **_CONNECTION,
    )

