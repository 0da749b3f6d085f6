"""The app factory: all wiring in one place (routes, plugins, dependencies, middleware, lifespan).

Nothing connects at import time: the Redis client and the database pool open in the lifespan, so the factory can
be imported by tools (OpenAPI export, migrations) on a machine with no services running.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import Litestar, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.types import ASGIApp
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from redis.asyncio import Redis

from backend import registry
from backend.accounts.routes import AuthController
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache, warm_layouts
from backend.catalog.routes import CatalogController
from backend.catalog.seat_map import SeatMapService
from backend.errors import EXCEPTION_HANDLERS, error_response
from backend.logging_setup import logging_config
from backend.middleware import CrossSiteGuardMiddleware, RequestContextMiddleware, SecurityHeadersMiddleware
from backend.redis_client import build_redis
from backend.sessions import SessionConfig
from backend.settings import PROJECT_ROOT, Settings, get_settings
from backend.tickets.routes import TicketsController

logger = logging.getLogger("showtime.app")

SPA_DIST = PROJECT_ROOT / "frontend" / "dist"
WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"
REQUEST_MAX_BODY_BYTES = 64 * 1024
SCHEMA_ASSETS = "/schema-assets"



@get("/healthz", operation_id="health", tags=["ops"])
async def healthz(redis: Redis) -> Response[dict[str, str]]:
    """200 when the database and Redis answer, else 503."""
    problems = []
    try:
        await asyncio.wait_for(redis.ping(), 2)
    except Exception:
        problems.append("redis")
    try:
        await asyncio.wait_for(engine_finder().run_querystring_raw("SELECT 1"), 2)  # type: ignore[union-attr]
    except Exception:
        try:
            from db.tables import Venue

            await asyncio.wait_for(Venue.count(), 2)
        except Exception:
            problems.append("database")
    if problems:
        return error_response(503, "unavailable", f"Not answering: {', '.join(problems)}.",
                              {"Retry-After": "2"}, status="unavailable")
    return Response({"status": "ok"})


def _spa_index() -> Path | None:
    index = SPA_DIST / "index.html"
    return index if index.exists() else None


@get(["/", "/{path:path}"], include_in_schema=False)
async def spa_fallback(path: str = "/") -> Response:
    """Files at the bundle's root (favicon, ...) as they are; any other page path gets the SPA's index.html so
    client-side routes work on reload; unknown API paths get a JSON 404."""
    if path.startswith(("/api", "/schema", "/assets/")):
        return error_response(404, "not_found", "Nothing lives at this path.")
    index = _spa_index()
    if index is None:
        return error_response(503, "frontend_not_built", "The web app is not built yet: run `just setup`.")
    candidate = (SPA_DIST / path.lstrip("/")).resolve()
    if path != "/" and candidate.is_file() and candidate.is_relative_to(SPA_DIST.resolve()):
        media_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        return Response(candidate.read_bytes(), media_type=media_type,
                        headers={"Cache-Control": "public, max-age=3600"})
    return Response(index.read_bytes(), media_type="text/html", headers={"Cache-Control": "no-cache"})


def _stripe_origins(settings: Settings) -> list[str]:
    if settings.stripe_api_base:
        return [settings.stripe_api_base.rstrip("/")]
    return ["https://js.stripe.com", "https://api.stripe.com", "https://hooks.stripe.com"]


def _route_handlers() -> list[Any]:
    handlers: list[Any] = [healthz, AuthController, CatalogController, TicketsController]
    handlers.extend(registry.route_handlers())
    handlers.append(create_static_files_router(path=SCHEMA_ASSETS, directories=[swagger_ui_bundle.swagger_ui_path],
                                               include_in_schema=False))
    if (SPA_DIST / "assets").exists():
        handlers.append(create_static_files_router(path="/assets", directories=[SPA_DIST / "assets"],
                                                   include_in_schema=False, send_as_attachment=False))
    handlers.append(spa_fallback)
    return handlers


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        # Per process: a few processes per host stay well inside PostgreSQL's default 100 connections.
        await engine.start_connection_pool(min_size=2, max_size=10)
    tasks: list[asyncio.Task] = []
    try:
        for hook in registry.startup_hooks():
            await hook(app.state)
        tasks.append(asyncio.create_task(warm_layouts(app.state.layouts), name="warm_layouts"))
        for job in registry.background_jobs():
            tasks.append(asyncio.create_task(job(app.state), name=job.__name__))
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await app.state.redis.aclose()
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    redis = build_redis(settings)
    layouts = LayoutCache()
    facts = ShowFactsCache()
    state = State(
        {
            "settings": settings,
            "redis": redis,
            "layouts": layouts,
            "show_facts": facts,
            "seat_maps": SeatMapService(layouts, facts),
        }
    )
    rate_limit = RateLimitConfig(
        # Per client address, sign-in only, generous enough for a venue's shared NAT; service.login adds the
        # per-email brake that actually stops password guessing.
        rate_limit=("minute", 300),
        check_throttle_handler=lambda request: request.url.path == "/api/v1/auth/login",
        store="rate_limit",
    )
    sessions = SessionConfig(
        key="session",
        max_age=14 * 24 * 3600,
        secure=settings.production,
        httponly=True,
        samesite="lax",
        store="sessions",
    )
    return Litestar(
        route_handlers=_route_handlers(),
        state=state,
        lifespan=[lifespan],
        dependencies={
            "redis": Provide(lambda: redis, sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "seat_maps": Provide(lambda: state.seat_maps, sync_to_thread=False),
            "layouts": Provide(lambda: layouts, sync_to_thread=False),
            "show_facts": Provide(lambda: facts, sync_to_thread=False),
        },
        stores={
            "sessions": RedisStore(redis, namespace="sessions"),
            "rate_limit": RedisStore(redis, namespace="ratelimit"),
        },
        middleware=[sessions.middleware, rate_limit.middleware],
        cors_config=CORSConfig(allow_origins=[settings.public_origin]) if settings.public_origin else None,
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=logging_config(settings.log_level),
        request_max_body_size=REQUEST_MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
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
        ),
        debug=False,
    )


def create_asgi_app(settings: Settings | None = None) -> ASGIApp:
    """What uvicorn serves: the app inside the middleware that must see every request, routed or not
    (Litestar's own middleware skips requests that match no route, such as a 404)."""
    settings = settings or get_settings()
    app: ASGIApp = create_app(settings)
    app = CrossSiteGuardMiddleware(app, trusted_origins=[settings.public_origin] if settings.public_origin else [],
                                   exempt_paths=[WEBHOOK_PATH])
    app = SecurityHeadersMiddleware(app, stripe_origins=_stripe_origins(settings), hsts=settings.production)
    return RequestContextMiddleware(app)
