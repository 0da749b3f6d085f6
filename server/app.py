"""The app factory: `Litestar(plugins=[ApplicationCore(settings)])`, as litestar-fullstack builds its app; all
wiring lives in `server/core.py`. Around it, the middleware that must see every request.

Nothing connects at import time: the Redis client and the database pool open in the lifespan, so the factory can
be imported by tools (OpenAPI export, migrations) on a machine with no services running.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp

from backend.edge.metrics import PROMETHEUS, RequestMetrics
from backend.edge.middleware import EdgeMiddleware
from backend.edge.screening import MAX_BODY_BYTES
from backend.errors import document_error_shape
from backend.payments import WEBHOOK_PATH
from backend.settings import Settings, get_settings
from server.core import ApplicationCore


def _stripe_origins(settings: Settings) -> list[str]:
    if settings.stripe_api_base:
        return [settings.stripe_api_base.rstrip("/")]
    return ["https://js.stripe.com", "https://api.stripe.com", "https://hooks.stripe.com"]


def create_app(settings: Settings | None = None) -> Litestar:
    app = Litestar(plugins=[ApplicationCore(settings or get_settings())])
    document_error_shape(app.openapi_schema)
    return app


def body_limits(app: Litestar) -> dict[str, int]:
    """The paths whose handlers take bodies larger than the edge's default (`request_max_body_size`), so the edge
    lets those, and only those, through. Only a path without parameters may ask: the edge matches paths exactly."""
    limits: dict[str, int] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            # The handler's own setting: the layers above it keep Litestar's default, which the edge undercuts.
            limit = handler.request_max_body_size if isinstance(handler, HTTPRouteHandler) else None
            if isinstance(limit, int) and limit > MAX_BODY_BYTES:
                if "{" in route.path:
                    raise ValueError(f"{route.path}: a larger body limit needs a path without parameters")
                limits[route.path] = max(limit, limits.get(route.path, 0))
    return limits


def create_asgi_app(settings: Settings | None = None) -> ASGIApp:
    """What uvicorn serves: the app inside the one middleware that must see every request, routed or not
    (Litestar's own middleware skips requests that match no route, such as a 404)."""
    settings = settings or get_settings()
    app = create_app(settings)
    return EdgeMiddleware(app,
                          trusted_origins=[settings.public_origin] if settings.public_origin else [],
                          exempt_paths=[WEBHOOK_PATH], stripe_origins=_stripe_origins(settings),
                          hsts=settings.production, body_limits=body_limits(app),
                          requests=RequestMetrics(PROMETHEUS))
