"""What a domain hands the app (`Contribution`) and what every domain may build on (`Services`).

Every domain package has a `plugin.py` with `contribution(services, **collaborators) -> Contribution`; the app's
assembly (`server/core.py`) calls them in order and passes each, by name, the objects of other domains it needs
(the catalog's caches, the payments lifecycle as booking's guard, the waiting room's shopping turns). Kept below
every domain, so that domains depend on this small module and never on the assembly (import-linter's layers).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from litestar.di import Provide
from litestar.plugins import PluginProtocol
from litestar.types import ControllerRouterHandler
from redis.asyncio import Redis

from backend.infra.metrics import ScrapeHook
from backend.infra.redis_client import build_redis
from backend.settings import Settings

# A coroutine run once at startup, or for the app's lifetime (cancelled at shutdown).
Job = Callable[[], Coroutine[Any, Any, None]]


def provide(value: Any) -> Provide:
    """A dependency that is always the same object, built once with the app."""
    return Provide(lambda: value, sync_to_thread=False, use_cache=True)


class Services:
    """What every domain of one process builds on: the settings and the Redis client (nothing connects until the
    lifespan starts)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # One server or a cluster (REDIS_CLUSTER_NODES): typed as Redis, whose command methods the cluster client
        # offers alike; handlers declare it as backend.infra.redis_client.RedisDependency.
        self.redis: Redis = cast(Redis, build_redis(settings))

    def dependencies(self) -> dict[str, Provide]:
        return {"settings": provide(self.settings), "redis": provide(self.redis)}


@dataclass(frozen=True)
class Contribution:
    """One domain's part of the app."""

    route_handlers: Sequence[ControllerRouterHandler] = ()
    dependencies: Mapping[str, Provide] = field(default_factory=dict)
    # Awaited in order before the app serves; a failure stops the start.
    startup: Sequence[Job] = ()
    # Run for the app's lifetime.
    background: Sequence[Job] = ()
    # Awaited in order when the app stops, after the background jobs ended (connections the domain opened itself).
    shutdown: Sequence[Job] = ()
    # Other Litestar plugins, such as the ChannelsPlugin: their lifespans are entered after the startup hooks ran
    # and the background jobs started, and left before the jobs are cancelled.
    plugins: Sequence[PluginProtocol] = ()
    # Read at each scrape of /metrics: what the domain knows at that moment (e.g. every waiting room's line).
    scrape: Sequence[ScrapeHook] = ()
