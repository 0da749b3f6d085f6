"""The app's wiring, in one place, the way litestar-fullstack's `ApplicationCore` does it: a Litestar plugin whose
`on_app_init` registers every controller, dependency, store, plugin, startup hook, background job and exception
handler.

Each domain package says what it brings in its `plugin.py` (`contribution(services, ...) -> Contribution`, see
`backend/wiring.py`), so adding a domain means one call in `domain_contributions` below. The objects a process shares
(settings, the Redis client, the catalog's caches, the payments lifecycle, the waiting room's grants) are built once
here and handed by name to the domains that need them, so this function is the one place that says who talks to
whom; handlers reach them through dependency injection, background jobs as the arguments their domain closes over.
The assembly sits above everything it assembles (backend's domains and realtime), and nothing imports it.
Nothing connects here: the Redis client and the database pool open in the lifespan, so the app can be built
(OpenAPI export, migrations) with no services.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.plugins import InitPluginProtocol
from litestar.stores.redis import RedisStore
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from redis.asyncio import Redis

from backend.edge.logging_setup import logging_config
from backend.edge.screening import MAX_BODY_BYTES
from backend.edge.sessions import SessionConfig
from backend.edge.spa import SCHEMA_ASSETS
from backend.errors import EXCEPTION_HANDLERS
from backend.settings import Settings
from backend.wiring import Contribution, Job, Services

# The organizer's sockets (the dashboard's) are for signed-in staff: the session layer reads their cookie.
ORGANIZER_SOCKETS = "/api/v1/organizer/"
REQUEST_MAX_BODY_BYTES = MAX_BODY_BYTES  # the edge refuses larger bodies first (backend/edge/screening.py)
# gc's third threshold: full collections only after this many collections of the middle generation (CPython: 10).
FULL_COLLECTION_AFTER = 1000


def domain_contributions(services: Services) -> list[Contribution]:
    # Imported here: each domain pulls in its routes, which import the whole domain.
    from backend.accounts import plugin as accounts
    from backend.booking import plugin as booking
    from backend.catalog import plugin as catalog
    from backend.catalog.answers import CatalogAnswers
    from backend.catalog.facts import ShowFactsCache
    from backend.catalog.layout import LayoutCache
    from backend.edge import health, metrics, spa
    from backend.organizer import plugin as organizer
    from backend.payments import plugin as payments
    from backend.tickets import plugin as tickets
    from realtime import plugin as realtime
    from realtime.waiting_room import Admissions

    show_facts, layouts = ShowFactsCache(services.redis), LayoutCache()
    turns = Admissions(services.redis)  # the waiting room's grants: holds ask them, releases and sales end them
    answers = CatalogAnswers(services.redis)  # the prepared catalog answers; the organizer's changes refresh them
    live = realtime.build(services)  # the sockets and the waiting room, whose lines the organizer's controls set
    payments_domain = payments.Payments(services.settings, services.redis, turns)
    # Order is route order (the OpenAPI document lists paths in it); the SPA's catch-all comes last.
    domains = [
        accounts.contribution(services),
        catalog.contribution(services, show_facts=show_facts, layouts=layouts, answers=answers),
        tickets.contribution(services),
        booking.contribution(services, show_facts=show_facts, layouts=layouts,
                             open_orders=payments_domain.lifecycle, turns=turns),
        payments.contribution(services, payments_domain),
        realtime.contribution(services, show_facts=show_facts, realtime=live),
        organizer.contribution(services, show_facts=show_facts, catalog=answers, waiting_rooms=live.waiting_room),
    ]
    return [
        health.contribution(services),
        metrics.contribution(services, hooks=[hook for part in domains for hook in part.scrape]),
        *domains,
        spa.contribution(services),
    ]


class ApplicationCore(InitPluginProtocol):
    """Registers everything the app is made of; `create_app` is only `Litestar(plugins=[ApplicationCore(...)])`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings = self.settings
        services = Services(settings)
        contributions = domain_contributions(services)

        app_config.dependencies.update(services.dependencies())
        for part in contributions:
            app_config.route_handlers.extend(part.route_handlers)
            app_config.dependencies.update(part.dependencies)
            app_config.plugins.extend(part.plugins)
        app_config.lifespan.append(_lifespan(services.redis, [hook for part in contributions for hook in part.startup],
                                             [job for part in contributions for job in part.background],
                                             [hook for part in contributions for hook in part.shutdown]))
        # RedisStore sends single-key commands and one-key scripts only, which a cluster client routes alike.
        app_config.stores = {
            "sessions": RedisStore(services.redis, namespace="sessions"),
            "rate_limit": RedisStore(services.redis, namespace="ratelimit"),
        }
        app_config.middleware.extend(_sessions(settings))
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.cors_config = CORSConfig(allow_origins=[settings.public_origin]) if settings.public_origin else None
        app_config.logging_config = logging_config(settings.log_level)
        app_config.request_max_body_size = REQUEST_MAX_BODY_BYTES
        app_config.openapi_config = _openapi_config()
        app_config.debug = False
        return app_config


def _sessions(settings: Settings) -> list[Any]:
    # The address rate limit is the sign-in route's own (backend.accounts.routes): here it would cost every
    # request a check in a worker thread.
    sessions = SessionConfig(
        key="session",
        max_age=14 * 24 * 3600,
        secure=settings.production,
        httponly=True,
        samesite="lax",
        store="sessions",
        near_cache_seconds=settings.session_cache_seconds,
        socket_prefixes=(ORGANIZER_SOCKETS,),
    )
    return [sessions.middleware]


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Showtime ticketing API",
        version="1.0.0",
        path="/schema",
        # Swagger UI from the swagger-ui-bundle wheel, served by us: /schema works offline and under our CSP.
        render_plugins=[
            JsonRenderPlugin(path="/openapi.json"),
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{SCHEMA_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{SCHEMA_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{SCHEMA_ASSETS}/swagger-ui-standalone-preset.js",
                favicon="",
            ),
        ],
    )


async def _keep_session(_: object) -> None:
    """What the pool runs on a connection it takes back, after asyncpg has rolled back any open transaction: nothing.
    asyncpg's default is one more round trip per query (Piccolo takes a connection per statement outside a
    transaction): `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`, 10 % of the app's samples in
    bench/sellout.py's profile. The app leaves none of that behind: advisory locks are transaction-scoped
    (pg_advisory_xact_lock), no SET outlives its transaction, no LISTEN, no cursor WITH HOLD."""


def _lifespan(redis: Redis, startup: list[Job], background: list[Job],
              shutdown: list[Job]) -> Callable[[Litestar], Any]:
    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            # Per process: a few processes per host stay well inside PostgreSQL's default 100 connections.
            await engine.start_connection_pool(min_size=2, max_size=10, reset=_keep_session)
        tasks: list[asyncio.Task] = []
        try:
            for hook in startup:
                await hook()
            # What exists now (modules, route tables, venue layouts) lives as long as the process: frozen, a full
            # collection no longer walks it, which otherwise stalls every request in flight for tens of ms.
            gc.freeze()
            # A full collection walks every live object: ~130 per open socket, so about a second per 10,000
            # sockets here. The default lets one run each time the old generation grows by a quarter, so sockets
            # connecting by thousands (a reconnect storm) stalled the process several times over. Closed sockets
            # leave no cyclic garbage any more (realtime.watchers.forget), so full collections are kept for the
            # rare cycles that grow old: measured, 3,000 sockets connecting saw 5 full collections (137-1,374 ms
            # each on a loaded machine) with the default, none with this (docs/architecture.md).
            gc.set_threshold(*gc.get_threshold()[:2], FULL_COLLECTION_AFTER)
            tasks.extend(asyncio.create_task(job(), name=_name(job)) for job in background)
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for hook in shutdown:
                await hook()
            await redis.aclose()
            if isinstance(engine, PostgresEngine):
                await engine.close_connection_pool()

    return lifespan


def _name(job: Job) -> str:
    # Jobs are mostly functools.partial objects: name the task after the function they call.
    return str(getattr(getattr(job, "func", job), "__qualname__", "job"))
