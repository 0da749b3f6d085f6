"""The web app's files and Swagger UI's assets, served by the app itself; SPA routes fall back to index.html."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import Response, get
from litestar.static_files import create_static_files_router

from backend.errors import error_response
from backend.settings import PROJECT_ROOT
from backend.wiring import Contribution, Services

SPA_DIST = PROJECT_ROOT / "frontend" / "dist"
SCHEMA_ASSETS = "/schema-assets"
# The gate scanner's service worker (frontend/src/offline/worker.ts). At the root, so the scope it is registered
# with (/scan) lies within the script's own path; revalidated on every fetch, so a new build reaches the gates on
# their next visit rather than an hour later.
SERVICE_WORKER = "sw.js"


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
        cache = "no-cache" if path.lstrip("/") == SERVICE_WORKER else "public, max-age=3600"
        return Response(candidate.read_bytes(), media_type=media_type, headers={"Cache-Control": cache})
    return Response(index.read_bytes(), media_type="text/html", headers={"Cache-Control": "no-cache"})


def contribution(_: Services) -> Contribution:
    handlers: list[Any] = [create_static_files_router(path=SCHEMA_ASSETS,
                                                      directories=[swagger_ui_bundle.swagger_ui_path],
                                                      include_in_schema=False)]
    if (SPA_DIST / "assets").exists():
        handlers.append(create_static_files_router(path="/assets", directories=[SPA_DIST / "assets"],
                                                   include_in_schema=False, send_as_attachment=False))
    handlers.append(spa_fallback)  # last: it catches every path
    return Contribution(route_handlers=handlers)
