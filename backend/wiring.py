"""What a domain hands the app (`Contribution`) and what it may build on (`Services`).

Every domain package has a `plugin.py` with `contribution(services: Services) -> Contribution`; `backend/core.py`
collects them in order. Kept apart from core.py, and below every domain, so that domains depend on this small
module and never on the wiring itself (import-linter's layers contract).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from litestar.di import Provide
from litestar.plugins import PluginProtocol
from litestar.types import ControllerRouterHandler
from redis.asyncio import Redis

from backend.redis_client import build_redis
from backend.settings import Settings

T = TypeVar("T")

# A coroutine run once at startup, or for the app's lifetime (cancelled at shutdown).
Job = Callable[[], Coroutine[Any, Any, None]]


def provide(value: Any) -> Provide:
    """A dependency that is always the same object, built once with the app."""
    return Provide(lambda: value, sync_to_thread=False, use_cache=True)


class Services:
    """What one process shares: the settings, the Redis client (nothing connects until the lifespan starts), and
    the objects a domain shares with the domains after it (the catalog's caches), found by their type."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # One server or a cluster (REDIS_CLUSTER_NODES): typed as Redis, whose command methods the cluster client
        # offers alike; handlers declare it as backend.redis_client.RedisDependency.
        self.redis: Redis = cast(Redis, build_redis(settings))
        self._shared: dict[type, object] = {}

    def share(self, *objects: object) -> None:
        for obj in objects:
            self._shared[type(obj)] = obj

    def get(self, kind: type[T]) -> T:
        """The shared object of that type; for a runtime-checkable Protocol, the one shared object that satisfies it
        (how a lower domain finds what a higher one implements for it, e.g. booking's OpenOrderGuard)."""
        obj = self._shared.get(kind)
        if obj is None:
            matches = [candidate for candidate in self._shared.values() if isinstance(candidate, kind)]
            obj = matches[0] if len(matches) == 1 else None
        if not isinstance(obj, kind):
            raise LookupError(f"no {kind.__name__} shared by a domain (or more than one)")
        return obj

    def dependencies(self) -> dict[str, Provide]:
        return {"settings": provide(self.settings), "redis": provide(self.redis)}


@dataclass(frozen=True)
class Contribution:
    """One domain's part of the app."""

    route_handlers: Sequence[ControllerRouterHandler] = ()
    dependencies: Mapping[str, Provide] = field(default_factory=dict)
    # Objects the domains after this one may take from `Services.get` (they are also in `dependencies`).
    shared: Sequence[object] = ()
    # Awaited in order before the app serves; a failure stops the start.
    startup: Sequence[Job] = ()
    # Run for the app's lifetime.
    background: Sequence[Job] = ()
    # Other Litestar plugins, such as the ChannelsPlugin: their lifespans are entered after the startup hooks ran
    # and the background jobs started, and left before the jobs are cancelled.
    plugins: Sequence[PluginProtocol] = ()
