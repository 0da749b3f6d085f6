"""Tests that must do something before a show's sale opens and then watch what the opening does (the waiting
room's draw): the opening is set as soon as the machine allows, not for the slowest machine.

A sale's opening is fixed when its show is created, and each process caches it, so it cannot be moved once the
test sees it has done its part. Instead the part before the opening is tried with a short lead first; on a
machine too loaded to finish it in time, again on a fresh show with a longer lead. A quiet machine waits seconds,
a loaded one what it needs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from backend.timeutil import utcnow

T = TypeVar("T")

LEADS_S = (8.0, 20.0, 45.0)
MARGIN_S = 1.0  # what must be left before the opening: the first request after it is not the test's to time


def opening_at(opens_at: float) -> datetime:
    """`create_show(sale_opens_at=...)` for a sale that opens at the monotonic time `opens_at`: an absolute time, not
    a lead, because create_show writes the venue and its seats before the show (on a loaded machine, a sizeable
    part of a second that a lead would add to the opening, after the test's own clock)."""
    return utcnow() + timedelta(seconds=opens_at - time.monotonic())


async def before_the_opening(
    prepare: Callable[[float], Awaitable[T]], leads_s: Sequence[float] = LEADS_S
) -> tuple[T, float]:
    """Run `prepare(opens_at)`: it creates a show whose sale opens at the monotonic time `opens_at`
    (`opening_at(opens_at)`) and does what must happen before. Returns what it returned, and `opens_at`. Fails
    if even the longest lead was too short."""
    for lead_s in leads_s:
        opens_at = time.monotonic() + lead_s
        prepared = await prepare(opens_at)
        if time.monotonic() < opens_at - MARGIN_S:
            return prepared, opens_at
    raise AssertionError(f"the part before the opening took longer than {leads_s[-1]} s, every time")
