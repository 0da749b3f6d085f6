"""One broadcast, one encoding: a message is framed once, and each socket costs one write of those same bytes.

Server-to-client WebSocket frames are not masked, so the frame of a text message is the same bytes on every
connection. Sent through ASGI, each socket pays for the server's protocol object framing the text again (and its
checks, and an awaitable per send): about 20 µs per socket, which made a broadcast to 10,000 watchers cost about
200 ms of one core. Written straight to the connection's transport it costs one `transport.write`.

That needs the server's own connection object, so it is used only where it is known: uvicorn's `websockets-sansio`
protocol (`just serve`'s `--ws`), found through the server's ASGI send that the edge middleware keeps in the
scope (backend.middleware.SERVER_SEND). Every other server, and every socket whose direct write is refused
(not open, closing, a close frame already sent, its buffer above the high-water mark, an extension such as
permessage-deflate negotiated), goes through the ordinary ASGI send, which waits for the buffer to drain: the
slow-reader handling in watchers.py is unchanged.

The direct write reads a few of uvicorn's connection attributes (uvicorn is pinned in constraints.txt);
tests/realtime/test_live_map.py checks that a server started as `just serve` starts it takes this path.
"""

from __future__ import annotations

from typing import Any

from litestar.types import Scope, WebSocketSendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from backend.middleware import SERVER_SEND


class Outgoing:
    """One message for many sockets: its ASGI event (for the ordinary send) and its frame (for the direct one)."""

    __slots__ = ("event", "frame")

    def __init__(self, text: str) -> None:
        self.event: WebSocketSendEvent = {"type": "websocket.send", "bytes": None, "text": text}
        self.frame = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class DirectWriter:
    """Writes prepared frames to one uvicorn websockets-sansio connection, when that is what its ASGI send would
    write at once; refuses (False) in every other state, and the caller sends through ASGI instead.

    What cannot change after the handshake (the transport, the protocol state machine, the extensions) is looked
    up once: at 10,000 sockets per broadcast, the per-write checks were a sixth of the broadcast's CPU."""

    __slots__ = ("_conn", "_protocol", "_transport", "_writable")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._conn = protocol.conn
        self._transport = protocol.transport
        self._writable = protocol.writable

    def write(self, frame: bytes) -> bool:
        protocol = self._protocol
        if (protocol.close_sent or protocol.disconnected or not self._writable.is_set()
                or self._conn.state is not State.OPEN):
            return False
        transport = self._transport
        if transport.is_closing():
            return False
        transport.write(frame)
        return True


def direct_writer(scope: Scope) -> DirectWriter | None:
    """The direct path for an accepted socket, or None where only the ASGI send is known to be right."""
    send = scope.get("state", {}).get(SERVER_SEND)
    protocol = getattr(send, "__self__", None)
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    if not protocol.handshake_complete or protocol.conn.extensions:  # negotiated at the handshake, for good
        return None
    return DirectWriter(protocol)
