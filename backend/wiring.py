"""What a domain hands the app (`Contribution`) and what it may build on (`Services`).

Every domain package has a `plugin.py` with `contribution(services: Services) -> Contribution`; `backend/core.py`
collects them. Kept apart from core.py so that domains depend on this small module, never on the wiring itself.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar.di import Provide
from litestar.plugins import PluginProtocol
from litestar.types import ControllerRouterHandler
from redis.asyncio import Redis

from backend.catalog.layout import LayoutCache
from backend.catalog.seat_map import SeatMapService
from backend.catalog.service import ShowFactsCache
from backend.redis_client import build_redis
from backend.settings import Settings

# A coroutine run once at startup, or for the app's lifetime (cancelled at shutdown).
Job = Callable[[], Coroutine[Any, Any, None]]


def provide(value: Any) -> Provide:
    """A dependency that is always the same object, built once with the app."""
    return Provide(lambda: value, sync_to_thread=False, use_cache=True)


@dataclass(frozen=True)
class Services:
    """What one process shares: built once per app, never connected until the lifespan starts."""

    settings: Settings
    redis: Redis
    layouts: LayoutCache
    show_facts: ShowFactsCache
    seat_maps: SeatMapService

    @classmethod
    def build(cls, settings: Settings) -> Services:
        layouts, facts = LayoutCache(), ShowFactsCache()
        return cls(settings=settings, redis=build_redis(settings), layouts=layouts, show_facts=facts,
                   seat_maps=SeatMapService(layouts, facts))

    def dependencies(self) -> dict[str, Provide]:
        return {name: provide(getattr(self, name))
                for name in ("settings", "redis", "layouts", "show_facts", "seat_maps")}


@dataclass(frozen=True)
class Contribution:
    """One domain's part of the app."""

    route_handlers: Sequence[ControllerRouterHandler] = ()
    dependencies: Mapping[str, Provide] = field(default_factory=dict)
    # Awaited in order before the app serves; a failure stops the start.
    startup: Sequence[Job] = ()
    # Run for the app's lifetime.
    background: Sequence[Job] = ()
    # Other Litestar plugins, such as the ChannelsPlugin: their lifespans are entered after the startup hooks ran
    # and the background jobs started, and left before the jobs are cancelled.
    plugins: Sequence[PluginProtocol] = ()

