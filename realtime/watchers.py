"""One connected WebSocket client: a small outbox of ready-made send events, and the loop that drains it.

A feed hands the same pre-encoded event to every watcher of a show (`offer`, no await, no copy). Each watcher's
own task does the awaiting sends, so a slow client only ever delays itself. When a client falls `OUTBOX_LIMIT`
messages behind, it is dropped: its socket closes with 1013 ("try again later") and the client reconnects to a
fresh snapshot. Waiting for it would let one bad network hold memory for every message of a flash sale.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import msgspec
from litestar import WebSocket
from litestar.types import WebSocketSendEvent

from realtime.messages import ErrorMessage

OUTBOX_LIMIT = 64
CLOSE_TIMEOUT_S = 1.0
WS_POLICY_VIOLATION = 1008  # no such show, or no waiting room: retrying will not help
WS_INTERNAL_ERROR = 1011
WS_TRY_AGAIN_LATER = 1013  # dropped as too slow, or the feed restarted: reconnect for a fresh snapshot


def send_event(text: str) -> WebSocketSendEvent:
    """The ASGI event for one text frame; built once per broadcast and shared by every watcher (read-only)."""
    return {"type": "websocket.send", "bytes": None, "text": text}


class Backlog:
    """How many of a feed's watchers still have messages waiting to be sent: how far the process's sends lag.

    Counted per watcher, not per message, so a few stuck clients (each up to OUTBOX_LIMIT messages behind, until
    dropped) weigh no more than a few healthy ones that are a message behind.
    """

    __slots__ = ("busy",)

    def __init__(self) -> None:
        self.busy = 0


class Watcher:
    __slots__ = ("_outbox", "_sender", "_wakeup", "backlog", "dropped", "socket")

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self._outbox: deque[WebSocketSendEvent] = deque()
        self._wakeup = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self.backlog = Backlog()  # replaced by the feed's shared one when the watcher joins a feed
        self.dropped = False

    def offer(self, event: WebSocketSendEvent) -> bool:
        """Queue an event; False (and the watcher is dropped) when the client is too far behind."""
        if self.dropped:
            return False
        if len(self._outbox) >= OUTBOX_LIMIT:
            self.dropped = True
            self._discard_outbox()
            if self._sender is not None:
                # Cancel rather than wait: a client that stopped reading would otherwise keep its pending send
                # (and this task) until the WebSocket ping timeout.
                self._sender.cancel()
            return False
        if not self._outbox:
            self.backlog.busy += 1
        self._outbox.append(event)
        self._wakeup.set()
        return True

    def replace_all(self, event: WebSocketSendEvent) -> bool:
        """A fresh snapshot makes everything still queued obsolete: send only it."""
        self._discard_outbox()
        return self.offer(event)

    def _discard_outbox(self) -> None:
        if self._outbox:
            self.backlog.busy -= 1
            self._outbox.clear()

    async def _send_loop(self) -> None:
        outbox, wakeup, send, backlog = self._outbox, self._wakeup, self.socket.send, self.backlog
        while True:
            await wakeup.wait()
            wakeup.clear()
            while outbox:
                event = outbox.popleft()
                if not outbox:
                    backlog.busy -= 1
                await send(event)

    async def serve(self) -> None:
        """Run until the client leaves, its connection fails, or it is dropped for being too slow."""
        self._sender = asyncio.create_task(self._send_loop())
        reader = asyncio.create_task(wait_for_disconnect(self.socket))
        try:
            await asyncio.wait((self._sender, reader), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (self._sender, reader):
                task.cancel()
            await asyncio.gather(self._sender, reader, return_exceptions=True)
            self._discard_outbox()
        if self.dropped:
            await close_quietly(self.socket, WS_TRY_AGAIN_LATER, "too slow: reconnect for a fresh snapshot")


async def wait_for_disconnect(socket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it goes away; the protocol is server-to-client only."""
    while (await socket.receive())["type"] != "websocket.disconnect":
        continue


async def close_quietly(socket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(code=code, reason=reason), CLOSE_TIMEOUT_S)


async def refuse(socket: WebSocket, error: str, detail: str) -> None:
    """Tell the client why in one message, then close with the policy-violation code: no retry will help."""
    with contextlib.suppress(Exception):
        await socket.accept()
        await asyncio.wait_for(
            socket.send_text(msgspec.json.encode(ErrorMessage(error=error, detail=detail)).decode()), CLOSE_TIMEOUT_S
        )
    await close_quietly(socket, WS_POLICY_VIOLATION, error)
