"""One Redis client per process, created lazily so importing the app never connects.

REDIS_URL gives one server (`redis.asyncio.Redis`); REDIS_CLUSTER_NODES a Redis Cluster
(`redis.asyncio.cluster.RedisCluster`), which routes each command to the node serving its key's slot, follows
MOVED/ASK, and after a connection error or CLUSTERDOWN reloads the slot map by itself, so a promoted replica is
found without a restart. The rest of the code is the same for both: every multi-key command and script stays
inside one show's hash tag (backend.booking.keys), and pub/sub is sharded (realtime.channels).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Annotated, Any, TypeAlias

from litestar.params import Dependency
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from backend.infra.redis_deadlines import DeadlineConnection
from backend.settings import Settings

logger = logging.getLogger("showtime.redis")

# Either kind answers the same commands; only pub/sub differs (realtime.channels routes it per shard).
RedisClient: TypeAlias = Redis | RedisCluster
# How handlers ask for it: Litestar would otherwise check the dependency against `Redis` and refuse the cluster
# client. Typed as `Redis` for the code below the handlers: both clients offer the same command methods.
RedisDependency: TypeAlias = Annotated[Redis, Dependency(skip_validation=True)]

_CONNECTION: dict[str, Any] = {
    "decode_responses": False,
    # Commands are bounded by backend.infra.redis_deadlines' watchdog (COMMAND_TIMEOUT_S), not redis-py's timers.
    "socket_timeout": None,
    "socket_connect_timeout": 3,
}
# On a cluster, a command that meets a dead master is retried (the client refreshes its slot map between tries)
# for about as long as a replica needs to take over: a failover costs the requests in flight some latency, not
# an error. Beyond that the caller sees the error and answers 503.
CLUSTER_RETRY = Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=8)


class ClusterConnection(DeadlineConnection):
    """A cluster node's connection whose write, when the cluster client itself closed the socket under it, fails as
    the connection error it is rather than as redis-py's internal AttributeError.

    During a failover the cluster client (redis-py 8.1, asyncio) disconnects a node's idle connections from a
    snapshot of its free list, in tasks that run later; a request can take one of those connections in between and
    pass the "connected?" check. With redis-py's own write timeout (`socket_timeout`), which on Python 3.11 runs the
    write in a task of its own through `asyncio.wait_for`, the write then found the writer gone: `'NoneType' object
    has no attribute 'writelines'`, a 500 in the failover test (or, when the transport was closed but the writer not
    yet dropped, uvloop's RuntimeError on a closed transport). The app's connections now run without that timer
    (backend.infra.redis_deadlines), so the check and the write happen in one step of the caller's task and the window is
    shut; this stays because nothing in redis-py promises it stays shut (a later release may await between them
    again), and tests/cluster/test_client_races.py opens the window on purpose to hold it.
    The error becomes `redis.exceptions.ConnectionError` here, at the one place it happens, rather than being
    recognised by its traceback in the HTTP error handler: the command never left (nothing was written), so the
    cluster client's own handling of a connection error applies (slot map refreshed, command retried, see
    CLUSTER_RETRY); and every caller, the background loops and live-map feeds too, already treats a RedisError as
    "Redis is unavailable now". Exactly `ConnectionError`, not a subclass: the cluster client retries only the exact
    types it lists. Any other AttributeError is a bug and stays one.
    """

    async def send_packed_command(self, command: bytes | str | Iterable[bytes], check_health: bool = True) -> None:
        try:
            await super().send_packed_command(command, check_health)
        except (AttributeError, RuntimeError) as exc:
            if not self._closed_under_the_write(exc):
                raise
            logger.info(
                "connection to %s:%s closed under a command before its write: a connection error to the client",
                self.host,
                self.port,
            )
            raise RedisConnectionError(
                f"connection to {self.host}:{self.port} was closed by the cluster client before the command was sent"
            ) from exc


    def _closed_under_the_write(self, exc: AttributeError | RuntimeError) -> bool:
        """The two faces of that race: the writer already gone (redis-py's AttributeError), or the writer still
        there on a transport the client closed a moment earlier (uvloop, which the app runs on, refuses the write
        with a RuntimeError "unable to perform operation on <TCPTransport closed=True ...>"). Either way nothing
        was written."""
        if isinstance(exc, AttributeError):
            return exc.obj is None and self._writer is None
        writer = self._writer
        return writer is None or writer.transport.is_closing()


def _use_cluster_connections(client: RedisCluster) -> RedisCluster:
    """RedisCluster takes no `connection_class` (it always passes its own `Connection`): set it where the client
    builds its nodes from (the nodes found by a slot-map refresh or a MOVED are made from these kwargs), and on the
    startup nodes, made already but with no connection yet (connections are opened lazily).
    tests/cluster/test_client_races.py checks that a live cluster client's connections are of that class."""
    client.connection_kwargs["connection_class"] = ClusterConnection
    client.nodes_manager.connection_kwargs["connection_class"] = ClusterConnection
    for node in client.nodes_manager.startup_nodes.values():
        node.connection_class = ClusterConnection
    return client


def build_redis(settings: Settings) -> RedisClient:
    if settings.redis_cluster_nodes:
        return _use_cluster_connections(
            RedisCluster(
                startup_nodes=[ClusterNode(host, port) for host, port in settings.redis_cluster_nodes],
                retry=CLUSTER_RETRY,
                max_connections=512,  # per node
                **_CONNECTION,
            )
        )
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: start the app through `just serve` (it starts embedded Valkey)")
    url = settings.redis_url.replace("valkey://", "redis://", 1)
    return Redis.from_url(
        url,
        connection_class=DeadlineConnection,
        health_check_interval=15,
        retry_on_timeout=True,
        max_connections=512,
        **_CONNECTION,
    )
