"""Every organizer route of the served OpenAPI document, walked: anonymously (401), as a fan and as a scanner (403
`not_organizer`), and as organization A against organization B's objects (404, exactly as for an id that does not
exist), with A's own objects as the control (neither 401, 403 nor 404).

The document drives the walk, so a route added later under /api/v1/organizer is walked too; a path parameter the
walk has no object of B's for fails the test, naming it: add a maker to OBJECTS."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from backend.timeutil import utcnow
from db.tables import Order, Profile, Show
from tests.organizer.conftest import MakeOrganizer
from tests.organizer.plans import pretix_plan, venue_body

PREFIX = "/api/v1/organizer"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# What this stop built; later routes join the walk without being listed here.
KNOWN = {("POST", f"{PREFIX}/venues"), ("GET", f"{PREFIX}/venues"), ("GET", f"{PREFIX}/venues/{{venue_id}}/seating-plan"),
         ("POST", f"{PREFIX}/shows"), ("GET", f"{PREFIX}/shows"), ("GET", f"{PREFIX}/shows/{{show_id}}"),
         ("PATCH", f"{PREFIX}/shows/{{show_id}}"), ("POST", f"{PREFIX}/shows/{{show_id}}/sale"),
         ("PUT", f"{PREFIX}/shows/{{show_id}}/queue"), ("GET", f"{PREFIX}/shows/{{show_id}}/dashboard")}
# A body the route accepts, so that what answers A on B's objects is the lookup (404), not the body's check; the
# other unsafe routes get `{}`.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", f"{PREFIX}/shows/{{show_id}}"): {"title": "Walked"},
    ("POST", f"{PREFIX}/shows/{{show_id}}/sale"): {"action": "pause"},
    ("PUT", f"{PREFIX}/shows/{{show_id}}/queue"): {"capacity": 5},
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    params: tuple[str, ...]

    def url(self, ids: dict[str, str]) -> str:
        url = self.path
        for name in self.params:
            url = url.replace("{" + name + "}", ids[name])
        return url


def organizer_routes(document: dict[str, Any]) -> list[Route]:
    return [Route(method.upper(), path, tuple(p["name"] for p in spec.get("parameters", ()) if p["in"] == "path"))
            for path, item in document["paths"].items() if path.startswith(PREFIX)
            for method, spec in item.items()]


async def _venue(client: httpx.AsyncClient, _: dict[str, str]) -> str:
    response = await client.post(f"{PREFIX}/venues", json=venue_body(pretix_plan()))
    assert response.status_code == 201, response.text
    return response.json()["venue_id"]


async def _show(_: httpx.AsyncClient, ids: dict[str, str]) -> str:
    now = utcnow()
    rows = await Show.insert(Show(title="Organizer walk", venue=int(ids["venue_id"]), starts_at=now,
                                  sale_opens_at=now, search_text="Organizer walk")).returning(Show.id)
    return str(rows[0]["id"])


async def _order(_: httpx.AsyncClient, ids: dict[str, str]) -> str:
    """A fan's paid order for the organization's show (written as settlement leaves one, without its payment)."""
    profile = (await Profile.insert(Profile(email=f"walk-{secrets.token_hex(6)}@example.com", name="Walk",
                                            password_hash="!")).returning(Profile.id))[0]["id"]
    rows = await Order.insert(Order(profile=profile, show=int(ids["show_id"]), hold_id=f"walk-{secrets.token_hex(8)}",
                                    status="paid", amount_cents=100, currency="EUR", expires_at=utcnow())
                              ).returning(Order.id)
    return str(rows[0]["id"])


# Path parameter -> how an organization gets one of its own (in this order: a show needs the venue, an order the
# show).
OBJECTS: dict[str, Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[str]]] = {
    "venue_id": _venue,
    "show_id": _show,
    "order_id": _order,
}


async def objects_of(client: httpx.AsyncClient) -> dict[str, str]:
    ids: dict[str, str] = {}
    for name, make in OBJECTS.items():
        ids[name] = await make(client, ids)
    return ids


async def call(client: httpx.AsyncClient, route: Route, ids: dict[str, str]) -> httpx.Response:
    body = BODIES.get((route.method, route.path), {}) if route.method in UNSAFE else None
    return await client.request(route.method, route.url(ids), json=body)


def assert_error(response: httpx.Response, status: int, code: str | None, what: str) -> None:
    assert response.status_code == status, (what, response.status_code, response.text[:300])
    body = response.json()
    assert isinstance(body.get("detail"), str), (what, body)
    if code is not None:
        assert body.get("error") == code, (what, body)


@pytest.fixture(scope="module")
def document(server) -> dict[str, Any]:
    return httpx.get(f"{server.url}/schema/openapi.json", timeout=30).json()


def test_the_walk_sees_every_organizer_route(document: dict[str, Any]) -> None:
    routes = organizer_routes(document)
    assert KNOWN <= {(r.method, r.path) for r in routes}
    missing = {name for r in routes for name in r.params} - set(OBJECTS)
    assert not missing, f"the walk has no object of another organization for {missing}: add a maker to OBJECTS"


async def test_every_organizer_route_refuses_anyone_but_the_owning_organizer(
        document: dict[str, Any], make_organizer: MakeOrganizer, fan: httpx.AsyncClient, scanner: httpx.AsyncClient,
        anon: httpx.AsyncClient) -> None:
    a, b = await make_organizer(), await make_organizer()
    own, others = await objects_of(a), await objects_of(b)
    for route in organizer_routes(document):
        what = f"{route.method} {route.path}"
        assert_error(await call(anon, route, others), 401, "not_authenticated", f"anonymous {what}")
        assert_error(await call(fan, route, others), 403, "not_organizer", f"fan {what}")
        assert_error(await call(scanner, route, others), 403, "not_organizer", f"scanner {what}")
        if not route.params:
            continue
        # Another organization's object is unknown here: 404, never 403, with the answer an unknown id gets.
        theirs = await call(a, route, others)
        assert_error(theirs, 404, None, f"A on B's objects: {what}")
        unknown = await call(a, route, {name: "999999999999" for name in route.params})
        assert_error(unknown, 404, theirs.json()["error"], f"A on unknown ids: {what}")
        assert theirs.json() == unknown.json(), what
        mine = await call(a, route, own)
        assert mine.status_code not in (401, 403, 404), (f"A on its own objects: {what}", mine.text[:300])


async def test_a_profile_that_lost_its_organization_is_refused(make_organizer: MakeOrganizer) -> None:
    from db.tables import Profile

    client = await make_organizer()
    me = (await client.get("/api/v1/auth/me")).json()
    await Profile.update({Profile.organization: None}).where(Profile.id == int(me["profile_id"]))
    response = await client.get(f"{PREFIX}/venues")
    assert_error(response, 403, "not_organizer", "organizer without an organization")


async def test_a_profile_whose_role_changed_is_refused_though_its_organization_stays(
        make_organizer: MakeOrganizer, server) -> None:
    """An organizer made gate staff (`just create-scanner` on the same address) keeps the organization column; the
    role alone decides."""
    from backend.accounts.staff import create_scanner
    from tests.organizer.conftest import signed_in

    client = await make_organizer()
    me = (await client.get("/api/v1/auth/me")).json()
    await create_scanner(me["email"])
    scanner = await signed_in(server, me["email"], "scanner")
    try:
        assert_error(await scanner.get(f"{PREFIX}/venues"), 403, "not_organizer", "former organizer")
    finally:
        await scanner.aclose()


def test_every_organizer_route_of_the_app_carries_the_guard(tmp_path) -> None:
    """The walk checks behaviour; this, that the behaviour comes from the router's guard (which runs before any
    parameter or body is read), not only from the `organizer` dependency a handler may or may not take."""
    from backend.organizer.guard import organizer_guard
    from backend.settings import load_settings
    from server.app import create_app

    settings = load_settings({"VAR_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0",
                              "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}"})
    handlers = [(route.path, handler) for route in create_app(settings).routes if route.path.startswith(PREFIX)
                for handler in getattr(route, "route_handlers", ())]
    assert handlers
    for path, handler in handlers:
        assert organizer_guard in handler.resolve_guards(), path


async def test_the_dependency_checks_by_itself_when_no_guard_ran() -> None:
    from litestar import Request

    from backend.errors import NotSignedIn
    from backend.organizer.guard import provide_organizer

    request: Request = Request({"type": "http", "method": "GET", "path": PREFIX, "headers": [], "query_string": b"",
                                "state": {}})  # type: ignore[typeddict-item]
    with pytest.raises(NotSignedIn):
        await provide_organizer(request)
