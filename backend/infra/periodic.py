"""Background loops that must outlive a Redis or database outage without flooding the logs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable


async def repeat_forever(step: Callable[[], Awaitable[object]], interval_s: float, what: str,
                         logger: logging.Logger, *, wait_first: bool = False) -> None:
    """Run `step` every `interval_s` until cancelled. A failure is logged once per outage (with its trace), and the
    recovery once, rather than every interval."""
    failing = False
    if wait_first:
        await asyncio.sleep(interval_s)
    while True:
        try:
            await step()
            if failing:
                logger.info("%s recovered", what)
                failing = False
        except Exception:
            if not failing:
                logger.exception("%s failed; retrying every %.2f s", what, interval_s)
                failing = True
        await asyncio.sleep(interval_s)
