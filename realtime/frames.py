"""One broadcast, one encoding: a message is framed once, and each socket costs one write of those same bytes.

Server-to-client WebSocket frames are not masked, so the frame of a text message is the same bytes on every
connection. Sent through ASGI, each socket pays for the server's protocol object framing the text again (and its
checks, and an awaitable per send): about 20 µs per socket, which made a broadcast to 10,000 watchers cost about
200 ms of one core. Written straight to the connection's transport it costs one `transport.write`.

That needs the server's own connection object, so it is used only where it is known: uvicorn's `websockets-sansio`
protocol (`just serve`'s `--ws`), found through the server's ASGI send that the edge middleware keeps in the
scope (backend.scope_state.SERVER_SEND). Every other server, and every socket whose direct write is refused
(closing, data already waiting in its buffer, an extension such as permessage-deflate negotiated), goes through
the ordinary ASGI send, which waits for the buffer to drain: the slow-reader handling in watchers.py is unchanged.

The direct path reads a few of uvicorn's connection attributes once, at the handshake (uvicorn is pinned in
constraints.txt); tests/realtime/test_live_map.py checks that a server started as `just serve` starts it takes
this path.
"""

from __future__ import annotations

from typing import Any

from litestar.types import Scope, WebSocketSendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

from backend.scope_state import SERVER_SEND


class Outgoing:
    """One message for many sockets: its ASGI event (for the ordinary send) and its frame (for the direct one)."""

    __slots__ = ("event", "frame")

    def __init__(self, text: str) -> None:
        self.event: WebSocketSendEvent = {"type": "websocket.send", "bytes": None, "text": text}
        self.frame = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def write_if_idle(transport: Any, frame: bytes) -> bool:
    """Write a prepared frame to a direct transport (see `direct_transport`) when that is what the socket's ASGI
    send would do at once; False in every other state, and the caller sends through ASGI instead.

    Feed.fan_out makes the same two checks inline: at 10,000 sockets a broadcast pays each Python call 10,000 times.
    """
    if transport.is_closing() or transport.get_write_buffer_size():
        return False
    transport.write(frame)
    return True


def direct_transport(scope: Scope) -> Any | None:
    """The transport of an accepted socket, to write prepared frames to, or None where only the ASGI send is known
    to be right.

    Each condition under which uvicorn's ASGI send would not write a frame at once has a witness in the transport,
    which is all a direct write checks (in C, no Python attribute of the protocol, its Event or the websockets state
    machine: at 10,000 sockets those checks cost as much as the writes):
    - the connection lost, a close frame received (uvicorn answers it and closes the transport), a keepalive
      timeout, a parse error, a server shutdown: the transport is closing;
    - the writer paused (`writable` cleared above the high-water mark): data waits in the transport's buffer, and
      a direct write goes only to an empty one (otherwise the ASGI send waits for `writable`);
    - a close frame the app sends with the transport still open for the client's answer: the app sends one only
      after the socket's watcher has stopped taking broadcasts (realtime.watchers: `quiet_transport` is None first).
    """
    send = scope.get("state", {}).get(SERVER_SEND)
    protocol = getattr(send, "__self__", None)
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        return None
    if not protocol.handshake_complete or protocol.close_sent or protocol.conn.extensions:  # extensions: for good
        return None
    return protocol.transport
