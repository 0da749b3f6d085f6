"""A Redis that stops answering cannot hang a request: the app's client gives its commands up after their deadline
(backend.infra.redis_deadlines), and a connection that is only waiting for pub/sub messages is left alone.

A private Valkey frozen with SIGSTOP plays the hung server: the kernel still accepts the bytes, nothing answers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.infra import metrics
from backend.infra.redis_client import build_redis
from backend.infra.redis_deadlines import TICK_S, DeadlineConnection
from backend.launcher.embedded_valkey import start_valkey
from backend.launcher.processes import stop
from backend.settings import load_settings

DEADLINE_S = 0.3
# The frozen server would answer after this long; a client without deadlines would wait for it.
FROZEN_S = 6.0


@pytest.fixture
def valkey(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    process, url = start_valkey(tmp_path / "valkey")
    try:
        yield process, url
    finally:
        os.kill(process.pid, signal.SIGCONT)
        stop(process)


def _app_client(url: str) -> Redis:
    """The app's own client (backend.infra.redis_client.build_redis) with a short deadline."""
    client = build_redis(load_settings({**os.environ, "REDIS_URL": url, "REDIS_CLUSTER_NODES": ""}))
    assert isinstance(client, Redis)
    kwargs = client.connection_pool.connection_kwargs
    assert client.connection_pool.connection_class is DeadlineConnection and kwargs["socket_timeout"] is None
    kwargs["command_timeout"] = DEADLINE_S
    return client


async def test_a_command_a_frozen_server_never_answers_is_given_up_and_the_client_recovers(
        valkey: tuple[subprocess.Popen, str]) -> None:
    process, url = valkey
    client = _app_client(url)
    try:
        await client.set("k", b"v")
        os.kill(process.pid, signal.SIGSTOP)
        thawed = asyncio.get_running_loop().call_later(FROZEN_S, os.kill, process.pid, signal.SIGCONT)
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError, match="Timeout waiting for"):
            await client.get("k")
        waited = time.monotonic() - started
        # The client retries a timed-out command (retry_on_timeout), each try bounded by the deadline.
        assert waited < FROZEN_S - 1, f"gave up after {waited:.1f} s: the command waited for the server"
        thawed.cancel()
        os.kill(process.pid, signal.SIGCONT)
        assert await client.get("k") == b"v"  # a new connection; the given-up ones are gone
    finally:
        await client.aclose()


async def test_a_write_a_frozen_server_never_takes_is_given_up(valkey: tuple[subprocess.Popen, str]) -> None:
    """A value larger than the socket buffers: the write itself waits for the server to read, and gets a deadline."""
    process, url = valkey
    client = _app_client(url)
    try:
        await client.set("k", b"v")  # connected, so the big write is the first thing the frozen server is sent
        os.kill(process.pid, signal.SIGSTOP)
        thawed = asyncio.get_running_loop().call_later(FROZEN_S, os.kill, process.pid, signal.SIGCONT)
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError, match="Timeout waiting for"):
            await client.set("big", b"x" * (64 << 20))
        waited = time.monotonic() - started
        assert waited < FROZEN_S - 1, f"gave up after {waited:.1f} s: the write waited for the server"
        thawed.cancel()
        os.kill(process.pid, signal.SIGCONT)
        assert await client.get("k") == b"v"
    finally:
        await client.aclose()


async def test_a_subscriber_waiting_longer_than_the_deadline_is_not_cut_off(
        valkey: tuple[subprocess.Popen, str]) -> None:
    _, url = valkey
    client = _app_client(url)
    publisher = Redis.from_url(url)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe("news")
        assert (await pubsub.get_message(timeout=2))["type"] == "subscribe"
        # A read that waits for a message, as the live-map feeds' readers always do, while the watchdog looks at
        # the table several times: it is the caller's own wait (get_message's timeout), not a command's.
        waiting = asyncio.create_task(pubsub.get_message(timeout=10))
        await asyncio.sleep(DEADLINE_S + 3 * TICK_S)
        assert not waiting.done(), waiting
        assert await publisher.publish("news", b"hello") == 1
        message = await waiting
        assert message is not None and message["data"] == b"hello", message
    finally:
        await pubsub.aclose()
        await publisher.aclose()
        await client.aclose()


async def test_a_slow_answer_within_the_deadline_is_not_given_up(valkey: tuple[subprocess.Popen, str]) -> None:
    process, url = valkey
    client = _app_client(url)
    client.connection_pool.connection_kwargs["command_timeout"] = 3.0
    try:
        await client.set("k", b"v")
        os.kill(process.pid, signal.SIGSTOP)
        asyncio.get_running_loop().call_later(1.2, os.kill, process.pid, signal.SIGCONT)
        assert await client.get("k") == b"v"
    finally:
        await client.aclose()


async def _stalling_proxy(url: str, passes: int) -> tuple[asyncio.Server, str]:
    """A TCP hop in front of the Valkey at `url` that relays the first `passes` bytes each client sends (a new
    connection's handshake), then stops reading from it: a server that hangs after it answered the handshake."""
    host, port = url.removeprefix("redis://").split("/")[0].split(":")

    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(host, int(port))

        async def answers() -> None:
            while chunk := await server_reader.read(65536):
                client_writer.write(chunk)
                await client_writer.drain()

        answering = asyncio.create_task(answers())
        left = passes
        try:
            while left > 0 and (chunk := await client_reader.read(left)):
                left -= len(chunk)
                server_writer.write(chunk)
                await server_writer.drain()
            await asyncio.sleep(3600)  # read nothing more: the client's buffers fill and its write waits
        finally:
            answering.cancel()
            server_writer.close()
            client_writer.close()

    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    return proxy, f"redis://127.0.0.1:{proxy.sockets[0].getsockname()[1]}/1"


async def test_a_first_write_keeps_its_deadline_through_the_handshake_it_runs(
        valkey: tuple[subprocess.Popen, str]) -> None:
    """A new connection's first write runs the handshake's commands (CLIENT SETINFO, SELECT) inside its own deadline,
    each under a deadline of its own; the write's deadline must be back in force after them, or a write the server
    then stops taking waits forever."""
    _, url = valkey
    proxy, proxied = await _stalling_proxy(url, passes=2048)  # the handshake is a few hundred bytes
    client = _app_client(proxied)
    try:
        with pytest.raises(RedisTimeoutError, match="Timeout waiting for"):
            # The bound only keeps a broken build from hanging the suite; the deadline ends the write far sooner.
            await asyncio.wait_for(client.set("big", b"x" * (64 << 20)), timeout=20)
    finally:
        await client.aclose()
        proxy.close()


async def test_a_deadline_longer_than_the_watchdogs_tick_is_kept_too(valkey: tuple[subprocess.Popen, str]) -> None:
    """The watchdog looks again after a look that found nothing overdue yet, as long as anything waits."""
    process, url = valkey
    client = _app_client(url)
    client.connection_pool.connection_kwargs["command_timeout"] = 3 * TICK_S
    try:
        await client.set("k", b"v")
        os.kill(process.pid, signal.SIGSTOP)
        thawed = asyncio.get_running_loop().call_later(30, os.kill, process.pid, signal.SIGCONT)
        with pytest.raises(RedisTimeoutError, match="Timeout waiting for"):
            await asyncio.wait_for(client.get("k"), timeout=20)  # a hang guard only
        thawed.cancel()
        os.kill(process.pid, signal.SIGCONT)
        assert await client.get("k") == b"v"
    finally:
        await client.aclose()


def _errors(kind: str) -> float:
    """How many Redis errors of this class the process counted (backend.infra.metrics)."""
    metrics.TALLY.flush()
    return sum(s.value for m in metrics.REDIS_ERRORS.collect() for s in m.samples
               if s.name == "showtime_redis_errors_total" and s.labels["error"] == kind)


async def test_a_server_that_dies_is_a_connection_error_not_a_timeout(tmp_path: Path) -> None:
    """Only what the watchdog ended is a timeout: a server killed under a command is a connection error, on a
    connection that never waited too long and on one the watchdog gave up before."""
    process, url = start_valkey(tmp_path / "dies")
    fresh, given_up = _app_client(url), _app_client(url)
    try:
        await fresh.set("k", b"v")
        await given_up.set("k", b"v")
        os.kill(process.pid, signal.SIGSTOP)
        timeouts = _errors("TimeoutError")
        with pytest.raises(RedisTimeoutError):
            await given_up.get("k")
        assert _errors("TimeoutError") > timeouts
        os.kill(process.pid, signal.SIGCONT)
        assert await given_up.get("k") == b"v"  # the same connection object, connected again

        timeouts, lost = _errors("TimeoutError"), _errors("ConnectionError")
        os.kill(process.pid, signal.SIGSTOP)
        commands = [asyncio.create_task(client.get("k")) for client in (fresh, given_up)]
        await asyncio.sleep(0.05)  # both written, long before any deadline (the watchdog looks every TICK_S)
        process.kill()
        process.wait()
        for command in commands:
            with pytest.raises(RedisConnectionError) as caught:
                await command
            assert not isinstance(caught.value, RedisTimeoutError), caught.value
        assert _errors("TimeoutError") == timeouts and _errors("ConnectionError") > lost
    finally:
        await fresh.aclose()
        await given_up.aclose()
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            stop(process)


def _round_trips() -> tuple[float, float]:
    """(count, sum) of the Redis round-trip histogram in this process."""
    metrics.TALLY.flush()
    samples = {s.name: s.value for m in metrics.REDIS_ROUND_TRIP_SECONDS.collect() for s in m.samples}
    return samples["showtime_redis_round_trip_seconds_count"], samples["showtime_redis_round_trip_seconds_sum"]


async def test_each_round_trip_is_measured_once_from_its_write_to_its_first_answer(
        valkey: tuple[subprocess.Popen, str]) -> None:
    """Two commands and a pipeline of three: three round trips (a pipeline's is its write to its first answer),
    none longer than the whole exchange took."""
    _, url = valkey
    client = _app_client(url)
    try:
        await client.ping()  # connected: the handshake's own round trips are not counted below
        count, total = _round_trips()
        started = time.perf_counter()
        await client.set("k", b"v")
        await client.get("k")
        async with client.pipeline(transaction=False) as pipe:
            pipe.get("k").get("k").get("k")
            assert await pipe.execute() == [b"v"] * 3
        took = time.perf_counter() - started
        after_count, after_total = _round_trips()
        assert after_count - count == 3
        assert 0 < after_total - total <= took
    finally:
        await client.aclose()
