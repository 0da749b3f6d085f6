"""What the organizer side needs of the waiting room (realtime/waiting_room, a layer it may not import): set a
line's capacity, outflow and pause for every process at once, and read its figures. The app's assembly hands in the
waiting room itself (server/core.py), as it hands booking its guards."""

from __future__ import annotations

from typing import Protocol


class LineStatus(Protocol):
    serving: int
    waiting: int
    rate_per_s: float


class WaitingRooms(Protocol):
    async def configure(self, show_id: int, *, active_shoppers: int | None = None,
                        admissions_per_minute: int | None = None, paused: bool | None = None) -> None:
        """Change a show's line now; a line not formed yet takes the show's settings when its first fan joins."""

    async def status(self, show_id: int) -> LineStatus: ...
