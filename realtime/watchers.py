"""One connected WebSocket client, and how a feed's broadcast reaches it without a task or a queue per message.

A feed hands the same pre-encoded message (realtime.frames.Outgoing) to every watcher of a show (`offer`). Where
the server allows it, its prepared frame is written straight to the socket's transport (realtime.frames); otherwise
the send is started right there, inside the broadcast: the server's ASGI send writes the frame to the socket's
transport and returns without ever suspending while the socket's kernel buffer takes data. Either way the common
case costs one chain of calls and no scheduling (no task wake-up, no event, no queue entry per socket). Only when a send does suspend (the client's
buffer is full: a slow reader) does the watcher get a task, which finishes that send and then drains a small
outbox. When a client falls `OUTBOX_LIMIT` messages behind, it is dropped: its socket closes with 1013 ("try
again later") and the client reconnects to a fresh snapshot. Waiting for it would let one bad network hold memory
for every message of a flash sale, or delay everybody else's.

That close frame cannot jump the queue: the server's ASGI send writes nothing while the socket's buffer is full,
so the frame goes out as soon as the client reads what was already sent to it. The server waits
DROPPED_CLOSE_TIMEOUT_S for that (a client stalled for a few seconds, then reading again, learns why it was cut off
and reconnects) instead of the usual CLOSE_TIMEOUT_S, which gave up before a stalled client ever read again: it
then saw its connection end with no close frame at all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Coroutine, Generator
from typing import Any, cast

import msgspec
from litestar import WebSocket
from litestar.connection.base import empty_receive, empty_send
from litestar.types import WebSocketSendEvent

from realtime.frames import Outgoing, direct_transport, write_if_idle
from realtime.messages import ErrorMessage

OUTBOX_LIMIT = 64
CLOSE_TIMEOUT_S = 1.0
DROPPED_CLOSE_TIMEOUT_S = 10.0  # as long as uvicorn waits for a client's answer to a close frame
WS_POLICY_VIOLATION = 1008  # no such show, or no waiting room: retrying will not help
WS_INTERNAL_ERROR = 1011
WS_TRY_AGAIN_LATER = 1013  # dropped as too slow, or the feed restarted: reconnect for a fresh snapshot


class Backlog:
    """How many of a feed's watchers have a send that could not complete at once (their socket's buffer is full):
    how far the process's sends lag.

    Counted per watcher, not per message, so a few stuck clients (each up to OUTBOX_LIMIT messages behind, until
    dropped) weigh no more than a few healthy ones that are a message behind.
    """

    __slots__ = ("busy",)

    def __init__(self) -> None:
        self.busy = 0


class _Rest:
    """Awaits the rest of a coroutine that was started by hand (`coro.send(None)`) and suspended on `yielded`.

    What Python 3.12's eager tasks do for a whole coroutine, done for one send on 3.11: the task that awaits
    this passes every wake-up, value and exception (a cancellation included) on to the coroutine.
    """

    __slots__ = ("coro", "yielded")

    def __init__(self, coro: Coroutine[Any, Any, None], yielded: Any) -> None:
        self.coro, self.yielded = coro, yielded

    def __await__(self) -> Generator[Any, Any, None]:
        coro, value = self.coro, self.yielded
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # handed on to the coroutine, which decides
                try:
                    value = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    value = coro.send(sent)
                except StopIteration:
                    return


class Watcher:
    __slots__ = ("_direct", "_ended", "_outbox", "_sender", "backlog", "dropped", "failed", "quiet_transport",
                 "socket", "version")

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self._direct = direct_transport(socket.scope)  # None: every send goes through ASGI
        # The direct transport while a broadcast may write to it straight away (no send in flight, not dropped, not
        # ended), else None: all that Feed.fan_out reads of a watcher before writing.
        self.quiet_transport: Any = self._direct
        self.version: int | None = None  # what the feed last sent (or queued) for it, where the feed has versions
        self._outbox: deque[WebSocketSendEvent] = deque()  # only while a suspended send is in flight
        self._sender: asyncio.Task[None] | None = None  # finishes a suspended send, then drains the outbox
        self._ended: asyncio.Future[None] | None = None  # set when a send fails or the client is dropped
        self.backlog = Backlog()  # replaced by the feed's shared one when the watcher joins a feed
        self.dropped = False
        self.failed = False

    @property
    def direct(self) -> bool:
        """Whether broadcasts reach this socket as prepared frames written to its transport (realtime.frames)."""
        return self._direct is not None

    def offer(self, message: Outgoing) -> bool:
        """Send a message now, or queue it behind a send in flight; False (and the watcher is dropped) when the
        client is too far behind, or gone."""
        if self.dropped or self.failed:
            return False
        if self._sender is None:
            if self._direct is not None and write_if_idle(self._direct, message.frame):
                return True
            self._send_now(message.event)
            return not self.failed
        if len(self._outbox) >= OUTBOX_LIMIT:
            self.dropped = True
            self.quiet_transport = None
            self._outbox.clear()
            # Cancel rather than wait: a client that stopped reading would otherwise keep its pending send (and
            # its task) until the WebSocket ping timeout.
            self._sender.cancel()
            self._end()
            return False
        self._outbox.append(message.event)
        return True

    def replace_all(self, message: Outgoing) -> bool:
        """A fresh snapshot makes everything still queued obsolete: send only it."""
        self._outbox.clear()
        return self.offer(message)

    def _send_now(self, event: WebSocketSendEvent) -> None:
        coro = cast(Coroutine[Any, Any, None], self.socket.send(event))  # an ASGI send is a coroutine function
        try:
            yielded = coro.send(None)
        except StopIteration:
            return  # written to the transport: the common case
        except Exception:  # the connection is gone (disconnect, closed transport): end quietly
            self.failed = True
            self.quiet_transport = None
            self._end()
            return
        self.backlog.busy += 1  # the suspended send counts as this watcher's backlog until it completes
        self.quiet_transport = None  # until the send in flight and the outbox behind it are done
        self._sender = asyncio.ensure_future(self._finish(_Rest(coro, yielded)))

    async def _finish(self, rest: _Rest) -> None:
        outbox = self._outbox
        try:
            await rest
            while outbox:
                await self.socket.send(outbox.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection is gone
            self.failed = True
            self._end()
        finally:
            outbox.clear()
            self.backlog.busy -= 1
            self._sender = None
            if not (self.dropped or self.failed):
                self.quiet_transport = self._direct

    def _end(self) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)

    async def serve(self) -> None:
        """Run until the client leaves, its connection fails, or it is dropped for being too slow."""
        self._ended = asyncio.get_running_loop().create_future()
        if self.dropped or self.failed:
            self._ended.set_result(None)
        reader = asyncio.create_task(wait_for_disconnect(self.socket))
        try:
            await asyncio.wait((self._ended, reader), return_when=asyncio.FIRST_COMPLETED)
        finally:
            reader.cancel()
            sender = self._sender
            if sender is not None:
                sender.cancel()
            await asyncio.gather(reader, *([sender] if sender else []), return_exceptions=True)
            self._outbox.clear()
            self.failed = True  # nothing more is sent to a socket whose serve() has ended
            self.quiet_transport = None
        if self.dropped:
            await close_quietly(
                self.socket, WS_TRY_AGAIN_LATER, "too slow: reconnect for a fresh snapshot", DROPPED_CLOSE_TIMEOUT_S
            )


async def wait_for_disconnect(socket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away; the protocol is server-to-client only."""
    while (await socket.receive())["type"] != "websocket.disconnect":
        continue


def forget(socket: WebSocket) -> None:
    """Called when a socket's handler is done with it: lets reference counting free the connection at once.

    Litestar's WebSocket keeps its receive and send wrappers, closures over the WebSocket itself; that reference
    cycle holds the server's connection (its protocol object, parser, buffers, scope: ~110 objects per socket)
    until a full garbage collection, which walks every live socket's objects too: about a second per 10,000
    sockets, all at once after a mass reconnect (docs/architecture.md, "Garbage collection and socket churn")."""
    socket.receive, socket.send = empty_receive, empty_send


async def close_quietly(socket: WebSocket, code: int, reason: str, wait_s: float = CLOSE_TIMEOUT_S) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(code=code, reason=reason), wait_s)


async def refuse(socket: WebSocket, error: str, detail: str) -> None:
    """Tell the client why in one message, then close with the policy-violation code: no retry will help."""
    with contextlib.suppress(Exception):
        await socket.accept()
        await asyncio.wait_for(
            socket.send_text(msgspec.json.encode(ErrorMessage(error=error, detail=detail)).decode()), CLOSE_TIMEOUT_S
        )
    await close_quietly(socket, WS_POLICY_VIOLATION, error)
