"""Operations: health, OpenAPI, request ids in responses and logs, security headers, the served SPA."""

from __future__ import annotations

import asyncio
import json
import re

import httpx

from tests.booking.helpers import eventually
from tests.support.servers import ServerProcess


async def test_healthz(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_openapi_document_names_every_contract_path(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/shows", "/api/v1/shows/{show_id}", "/api/v1/shows/{show_id}/map",
                 "/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/me",
                 "/api/v1/profile/{profile_ref}/tickets", "/api/v1/tickets/verify", "/healthz"):
        assert path in paths, path
    operation_ids = [op.get("operationId") for methods in paths.values() for op in methods.values()]
    assert all(operation_ids) and len(operation_ids) == len(set(operation_ids))


async def test_request_id_is_echoed_and_logged_as_json(anon: httpx.AsyncClient, server: ServerProcess) -> None:
    response = await anon.get("/api/v1/shows", headers={"X-Request-ID": "test-request-0001"})
    assert response.headers["x-request-id"] == "test-request-0001"
    generated = (await anon.get("/healthz")).headers["x-request-id"]
    assert len(generated) >= 16
    assert generated != (await anon.get("/healthz")).headers["x-request-id"]

    def mine() -> list[dict]:
        lines = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("request_id") == "test-request-0001"]

    # Access lines are written in batches, a moment after the request.
    await eventually(lambda: asyncio.sleep(0, bool(mine())), timeout=5)
    assert mine()[0]["path"] == "/api/v1/shows" and mine()[0]["status"] == 200
    assert mine()[0]["logger"] == "showtime.access" and mine()[0]["method"] == "GET"


async def test_security_headers_on_api_and_pages(anon: httpx.AsyncClient) -> None:
    for path in ("/api/v1/shows", "/", "/shows/1"):
        response = await anon.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_spa_routes_fall_back_to_index(anon: httpx.AsyncClient) -> None:
    for path in ("/", "/shows/42", "/tickets"):
        response = await anon.get(path)
        assert response.status_code == 200, path
        assert "text/html" in response.headers["content-type"] and '<div id="app">' in response.text


async def test_schema_page_is_served_with_local_assets(anon: httpx.AsyncClient) -> None:
    page = await anon.get("/schema")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert "cdn." not in page.text and "https://" not in page.text.split("<body>")[0]
    asset = await anon.get("/schema-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000


async def test_bundle_root_files_are_served_and_traversal_is_not(anon: httpx.AsyncClient) -> None:
    from backend.edge.spa import SPA_DIST

    assert (SPA_DIST / "favicon.svg").exists(), "`just test` builds the web app first (tools/dev/bootstrap.sh)"
    icon = await anon.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    sneaky = await anon.get("/..%2F..%2Fpyproject.toml")
    assert "[project]" not in sneaky.text


async def test_scanner_service_worker_is_served_fresh_from_the_root(anon: httpx.AsyncClient) -> None:
    """The worker's scope (/scan) must lie under its script's path, so it is served at the root; it is revalidated
    on every fetch, so a new build reaches the gates at once; and the CSP lets workers come from this origin only."""
    worker = await anon.get("/sw.js")
    assert worker.status_code == 200, "`just test` builds the web app first (tools/dev/bootstrap.sh)"
    assert "javascript" in worker.headers["content-type"] and worker.headers["cache-control"] == "no-cache"
    assert "showtime-scan-" in worker.text and "/scan" in worker.text
    # Every file it keeps is served (a list from another build would fail the worker's install).
    kept = set(re.findall(r"/assets/[\w.-]+", worker.text))
    assert any(name.endswith(".js") for name in kept) and any(name.endswith(".css") for name in kept)
    for path in kept:
        assert (await anon.get(path)).status_code == 200, path
    page = await anon.get("/scan")
    directives = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    assert directives["worker-src"] == "'self'"
