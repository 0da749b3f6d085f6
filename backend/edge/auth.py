"""Who is calling: the profile id kept in the server-side session (Redis)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from backend.errors import NotSignedIn
from backend.ids import ascii_int


def session_profile_id(request: Request[Any, Any, Any]) -> int | None:
    value = request.session.get("profile_id") if request.scope.get("session") else None
    return ascii_int(str(value)) if isinstance(value, int | str) else None


async def provide_profile_id(request: Request[Any, Any, Any]) -> int:
    profile_id = session_profile_id(request)
    if profile_id is None:
        raise NotSignedIn("Sign in first.")
    return profile_id

