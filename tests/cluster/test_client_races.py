"""The cluster client closing a connection that a request has just taken (issue 13), on a real Valkey Cluster.

During a failover redis-py's asyncio RedisCluster disconnects a node's idle connections from a snapshot of its free
list, in tasks that run later; a request can take one of them in between and, on Python 3.11 where
`asyncio.wait_for` writes in a task of its own, find the writer gone after its "connected?" check. That answered
500 (`AttributeError: 'NoneType' object has no attribute 'writelines'`) in the failover test, rarely. Here the same
window is opened on purpose: the request is stepped until its write task exists but has not run, and its connection
is then closed as the client's own sweep closes it. The request must come back as the client's own retry makes it
(backend.infra.redis_client.ClusterConnection turns the error into the ConnectionError the client recovers from). The app's
connections no longer write through `wait_for` (backend.infra.redis_deadlines), which shuts the window; the first test
opens it again with redis-py's write timer to hold ClusterConnection, the second holds the window shut.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import secrets
import sys
from collections.abc import Iterator

import pytest
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import Connection

from backend.infra.redis_client import ClusterConnection
from tests.conftest import ENV
from tests.support.cluster import ValkeyCluster, cluster_client

pytestmark = [
    pytest.mark.cluster,
    # From 3.12 `wait_for` awaits the write in the caller's task: no step between the check and the write.
    pytest.mark.skipif(sys.version_info >= (3, 12), reason="the window exists only where wait_for runs a task"),
]


@pytest.fixture(scope="module")
def startup_nodes(redis_url: str) -> Iterator[str]:
    """The suite's cluster on CI's cluster pass, else one of this module's own."""
    if ENV.redis_cluster:
        yield os.environ["REDIS_CLUSTER_NODES"]
        return
    cluster = ValkeyCluster(ENV.var_dir / "client-races-cluster").start()
    try:
        yield cluster.startup_nodes
    finally:
        cluster.stop()


async def _connection_about_to_write(request: asyncio.Task) -> Connection:
    """Step the event loop until `request` has passed its connection's "connected?" check and its write task is
    created but not yet run; that connection. Deterministic: a task created in one loop pass runs in the next, after
    this coroutine's own wake-up, which was queued earlier."""
    for _ in range(10_000):
        for task in asyncio.all_tasks():
            coro = task.get_coro()
            if (
                getattr(coro, "__qualname__", "") == "AbstractConnection._send_packed_command"
                and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED
            ):
                return coro.cr_frame.f_locals["self"]
        assert not request.done(), request
        await asyncio.sleep(0)
    raise AssertionError("the request never reached its write")


def _with_redis_pys_write_timer(client: RedisCluster) -> RedisCluster:
    """The app's cluster client with redis-py's own write timeout switched back on, which reopens the window."""
    client.connection_kwargs["socket_timeout"] = 5
    client.nodes_manager.connection_kwargs["socket_timeout"] = 5
    return client


async def test_a_request_whose_connection_the_client_closes_before_the_write_is_retried(startup_nodes: str) -> None:
    client = _with_redis_pys_write_timer(cluster_client(startup_nodes))
    try:
        key = f"client-race:{secrets.token_hex(4)}"
        await client.set(key, b"before")  # the slot map is loaded and the key's node has an idle connection
        writing = asyncio.create_task(client.set(key, b"after"))
        connection = await _connection_about_to_write(writing)
        assert isinstance(connection, ClusterConnection)  # every node of the app's client uses it
        await connection.disconnect(nowait=True)  # what the client's sweep of "free" connections does to it
        assert await writing is True
        assert await client.get(key) == b"after"
    finally:
        await client.aclose()


async def test_the_apps_client_writes_in_the_callers_task(startup_nodes: str) -> None:
    """As the app configures it (no redis-py timers, backend.infra.redis_deadlines), a command's write never runs in a
    task of its own: there is no step between the "connected?" check and the write for the sweep to land in."""
    client = cluster_client(startup_nodes)
    try:
        key = f"client-race:{secrets.token_hex(4)}"
        await client.set(key, b"before")
        writing = asyncio.create_task(client.set(key, b"after"))
        write_tasks = []
        while not writing.done():
            write_tasks += [task for task in asyncio.all_tasks()
                            if getattr(task.get_coro(), "__qualname__", "") == "AbstractConnection._send_packed_command"]
            await asyncio.sleep(0)
        assert write_tasks == []
        assert await writing is True
    finally:
        await client.aclose()


async def test_redis_py_still_has_the_window(startup_nodes: str) -> None:
    """The same steps on redis-py's own Connection still end in its AttributeError. When this fails, redis-py
    closed the window and ClusterConnection can go."""
    host, port = startup_nodes.split(",")[0].rsplit(":", 1)
    connection = Connection(host=host, port=int(port), socket_timeout=5)
    await connection.connect()
    try:
        writing = asyncio.create_task(connection.send_packed_command(connection.pack_command("PING")))
        assert await _connection_about_to_write(writing) is connection
        await connection.disconnect(nowait=True)
        with pytest.raises(AttributeError, match="writelines"):
            await writing
    finally:
        await connection.disconnect()
