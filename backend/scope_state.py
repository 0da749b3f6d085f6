"""Names under which the edge keeps things in an ASGI scope's `state` for code further in.

Kept at the ground, beside settings and ids, so that both the edge middleware that writes them and the realtime
frames that read them import it downhill.
"""

from __future__ import annotations

# A socket's scope keeps the server's own ASGI send here: realtime.frames reaches the connection through it.
SERVER_SEND = "showtime.server_send"
