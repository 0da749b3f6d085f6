"""The one gate in front of every organizer route: who may act for which organization.

`organizer_guard` is a Litestar guard on the organizer router (plugin.py), so it runs before a handler's
parameters or body are read, for every route under `/api/v1/organizer`, including those added later:

- no session: 401 `not_authenticated`;
- a signed-in profile without the organizer role (a fan, a scanner): 403 `not_organizer`;
- an organizer: the request goes on, acting for their organization (`Organizer`, the `organizer` dependency).

Objects are then looked up only inside the caller's organization (`owned_venue`): another organization's id
answers 404 exactly like an id that does not exist, never 403, so ids are not confirmed to exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from backend.edge.auth import session_profile_id
from backend.errors import Forbidden, NotFound, NotSignedIn
from backend.ids import ascii_int
from backend.organizer.staff import ORGANIZER_ROLE
from db.tables import Profile, Venue

_STATE_KEY = "showtime.organizer"
# Ids are Serial columns (int4 on PostgreSQL): a larger number names nothing, and must not reach a query, where
# PostgreSQL would refuse it as out of range (a 500, not the 404 it is).


@dataclass(frozen=True)
class Organizer:
    """The signed-in organizer and the organization they act for."""

    profile_id: int
    organization_id: int


async def _organizer_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Organizer:
    profile_id = session_profile_id(cast(Request[Any, Any, Any], connection))
    if profile_id is None:
        raise NotSignedIn("Sign in with an organizer account first.")
    row = await Profile.select(Profile.role, Profile.organization).where(Profile.id == profile_id).first()
    if row is None or row["role"] != ORGANIZER_ROLE or row["organization"] is None:
        raise Forbidden("Only an organization's staff (the organizer role) may do this.", code="not_organizer")
    return Organizer(profile_id=profile_id, organization_id=int(row["organization"]))


async def organizer_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    state = connection.scope.setdefault("state", {})  # type: ignore[typeddict-unknown-key]
    if connection.scope["type"] == "websocket":
        # A refusal raised before a socket is accepted reaches the browser as a failed handshake (1006), never
        # the 4401 / 4403 API.md promises: the handler accepts, then closes with the refusal kept here
        # (refusal_of). The `organizer` dependency raises it too, so no socket handler acts unchecked.
        try:
            state[_STATE_KEY] = await _organizer_of(connection)
        except (NotSignedIn, Forbidden) as refusal:
            state[_STATE_KEY] = refusal
        return
    state[_STATE_KEY] = await _organizer_of(connection)


def refusal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Organizer | NotSignedIn | Forbidden:
    """A socket's caller as the guard found them: the organizer, or why not."""
    found = connection.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(found, (Organizer, NotSignedIn, Forbidden)):
        return found
    return NotSignedIn("Sign in with an organizer account first.")


async def provide_organizer(request: Request[Any, Any, Any]) -> Organizer:
    """The guard's finding; checked here again if a handler somehow runs without the guard."""
    found = request.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(found, (NotSignedIn, Forbidden)):
        raise found
    return found if isinstance(found, Organizer) else await _organizer_of(request)


def venue_not_found() -> NotFound:
    return NotFound("No such venue.", code="venue_not_found")


async def owned_venue(organizer: Organizer, raw_id: str) -> int:
    """The venue id in a path, if the venue belongs to the caller's organization; else 404 (unknown or not theirs
    alike)."""
    venue_id = ascii_int(raw_id)
    if venue_id is None or not await Venue.exists().where(
            (Venue.id == venue_id) & (Venue.organization == organizer.organization_id)):
        raise venue_not_found()
    return venue_id
