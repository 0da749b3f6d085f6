"""Redis commands that cannot hang a request, for the price of a few dict operations per command.

redis-py enforces `socket_timeout` with a timer per read (`asyncio.timeout`) and, on Python 3.11, an
`asyncio.wait_for` per write, which runs the write in a task of its own: 28 µs of CPU per command in a loop of GETs
(88 against 60 µs here), 17 µs of a hold request (bench/holds.py). Here the connections run without
`socket_timeout`; each write and each wait for an answer gets a deadline in a table, and one watchdog per process,
waking every TICK_S while anything is in the table, aborts the socket under whatever has waited past its deadline:
the waiting write or read sees the connection end, and the caller gets the `redis.exceptions.TimeoutError`
redis-py's own timeout gives (so the retry policy and the 503 answer are the same). A deadline is therefore kept
to within TICK_S.

Reads the caller bounds itself (pub/sub polling with an explicit `timeout`, a blocking listen with `math.inf`) go
to redis-py unchanged.

The same two places measure for Prometheus (backend.infra.metrics): a round trip, from a command's (or a pipeline's)
write to the first answer read after it, and every error a bounded write or read ends in (a lost connection, a
timeout, the server's error reply), by class.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.infra import metrics

logger = logging.getLogger("showtime.redis")

T = TypeVar("T")

# How long one command (its write, or the wait for its answer) may take before it is given up.
COMMAND_TIMEOUT_S = 5.0
# How often the watchdog looks while commands are out: a deadline is kept to within this much.
TICK_S = 0.5


class Watchdog:
    """The connections of this process that wait on Redis, each with its deadline; one timer for all of them."""

    def __init__(self, tick: float = TICK_S) -> None:
        self.tick = tick
        self._due: dict[DeadlineConnection, float] = {}
        self._armed_on: asyncio.AbstractEventLoop | None = None

    def watch(self, connection: DeadlineConnection) -> float | None:
        """Start the clock; returns the deadline it replaces (a command's write that first opens the connection
        runs the handshake's own commands inside it), for `done` to put back."""
        previous = self._due.get(connection)
        self._due[connection] = time.monotonic() + connection.command_timeout
        if self._armed_on is None or self._armed_on.is_closed():  # idle until now, or its loop is gone (tests)
            loop = self._armed_on = asyncio.get_running_loop()
            loop.call_later(self.tick, self._look, loop)
        return previous

    def done(self, connection: DeadlineConnection, previous: float | None) -> None:
        if previous is None:
            self._due.pop(connection, None)
        else:
            self._due[connection] = previous

    def _look(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._armed_on is not loop:
            return
        now = time.monotonic()
        overdue = [connection for connection, due in self._due.items() if due <= now]
        for connection in overdue:
            del self._due[connection]
            connection.give_up()
        if self._due:
            loop.call_later(self.tick, self._look, loop)
        else:
            self._armed_on = None


WATCHDOG = Watchdog()


class DeadlineConnection(Connection):
    """A connection whose commands are bounded by the process's Watchdog instead of per-command timers. Build it
    with `socket_timeout=None` (redis-py's own timers off) and `command_timeout` for the deadline."""

    def __init__(self, *, command_timeout: float = COMMAND_TIMEOUT_S, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.command_timeout = command_timeout
        self._given_up = False
        self._sent_at = 0.0  # when the last write ended, until the answer to it is read (a round trip)

    def give_up(self) -> None:
        """The watchdog's verdict: end the socket under the waiting command (its read sees the connection close)."""
        writer = self._writer
        if writer is None:  # still connecting: the connect timeout bounds that
            return
        self._given_up = True
        logger.warning("Redis %s:%s gave no answer within %.1f s: closing that connection",
                       self.host, self.port, self.command_timeout)
        # abort, not close: a close waits to flush what a hung server does not read, and the read never ends
        writer.transport.abort()
        self._reader = self._writer = None  # whoever uses it next connects anew

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        # A health check's PING inside this write is a round trip of its own, read before this write ends.
        await self._bounded(super().send_packed_command(command, check_health))
        self._sent_at = time.perf_counter()

    async def read_response(self, disable_decoding: bool = False, timeout: float | None = None, *,  # noqa: ASYNC109 (redis-py's signature)
                            disconnect_on_error: bool = True, push_request: bool | None = False) -> Any:
        if timeout is not None:  # the caller bounds this read itself (pub/sub polling, a blocking listen)
            return await super().read_response(disable_decoding, timeout, disconnect_on_error=disconnect_on_error,
                                               push_request=push_request)
        sent_at, self._sent_at = self._sent_at, 0.0
        response = await self._bounded(super().read_response(disable_decoding, disconnect_on_error=disconnect_on_error,
                                                             push_request=push_request))
        if sent_at:
            metrics.redis_round_trip(time.perf_counter() - sent_at)
        return response

    async def _bounded(self, operation: Awaitable[T]) -> T:
        """One write or one wait for an answer, under a deadline of its own (restoring the one it interrupts)."""
        previous = WATCHDOG.watch(self)
        try:
            return await operation
        except RedisConnectionError as exc:
            if self._given_up:  # the watchdog ended the connection under it
                self._given_up = False
                metrics.redis_error(timeout := self._timeout())
                raise timeout from exc
            metrics.redis_error(exc)
            raise
        except RedisError as exc:  # the server's error reply (NOSCRIPT, MOVED, READONLY, ...) or a client-side one
            metrics.redis_error(exc)
            raise
        finally:
            WATCHDOG.done(self, previous)

    def _timeout(self) -> RedisTimeoutError:
        return RedisTimeoutError(f"Timeout waiting for {self.host}:{self.port} ({self.command_timeout:g} s)")
