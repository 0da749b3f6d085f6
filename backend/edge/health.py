"""What operators ask the app: is it alive (`/livez`), is it healthy (`/healthz`)."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from piccolo.engine import engine_finder

from backend.errors import error_response
from backend.infra.redis_client import RedisDependency
from backend.wiring import Contribution, Services


@get("/livez", operation_id="liveness", tags=["ops"])
async def livez() -> dict[str, str]:
    """200 while the process runs and serves requests; asks no dependency. What a supervisor restarts on: a process
    whose Redis or database is down is not helped by a restart (`/healthz` says that, for routing)."""
    return {"status": "ok"}


@get("/healthz", operation_id="health", tags=["ops"])
async def healthz(redis: RedisDependency) -> Response[dict[str, str]]:
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


def contribution(_: Services) -> Contribution:
    return Contribution(route_handlers=[livez, healthz])
