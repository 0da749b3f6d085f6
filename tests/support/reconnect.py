"""How the suite's socket clients come back after a lost connection, as the web app does (frontend/src/lib/socket.ts):
capped exponential back-off with jitter, so that the clients a restarting server closes (1012) do not all return in
the same millisecond, and the live map's resumption from the version a client has (`?since=V`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SERVICE_RESTART = 1012  # what a server closes its sockets with when it shuts down (uvicorn's graceful shutdown)


@dataclass
class Backoff:
    """Equal jitter: the n-th attempt in a row waits between half and all of min(cap, base * 2^n)."""

    base_s: float = 0.1
    cap_s: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.attempt, 20))
        self.attempt += 1
        return ceiling / 2 + self.rng.random() * ceiling / 2

    def reset(self) -> None:
        """A message arrived: the connection works, the next loss starts from the shortest delay again."""
        self.attempt = 0


def live_map_url(ws_base: str, show_id: int | str, since: int | None = None) -> str:
    """The live map's socket; with `since`, a resumption from that version (a diff from it, or the snapshot)."""
    url = f"{ws_base}/api/v1/shows/{show_id}/live"
    return url if since is None else f"{url}?since={since}"
