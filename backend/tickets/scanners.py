"""Who may scan: a gate device with the shared bearer token, or a signed-in profile with the scanner role.

The scanner page signs in as a person, so no shared secret ever sits in a browser; the token stays for hand-held
devices that call the API directly.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from litestar import Request

from backend.accounts.staff import SCANNER_ROLE
from backend.edge.auth import session_profile_id
from backend.errors import Forbidden, NotSignedIn
from backend.settings import Settings
from db.tables import Profile


@dataclass(frozen=True)
class Scanner:
    profile_id: int | None  # None: a device holding the shared token


async def provide_scanner(request: Request[Any, Any, Any], settings: Settings) -> Scanner:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip() and hmac.compare_digest(
                token.strip().encode(), settings.scanner_token.encode()):
            return Scanner(profile_id=None)
        raise NotSignedIn("A scanner token is required: Authorization: Bearer <SCANNER_TOKEN>.",
                          code="scanner_token_required")
    profile_id = session_profile_id(request)
    if profile_id is None:
        raise NotSignedIn("Sign in with a scanner account, or send Authorization: Bearer <SCANNER_TOKEN>.",
                          code="scanner_token_required")
    row = await Profile.select(Profile.role).where(Profile.id == profile_id).first()
    if row is None or row["role"] != SCANNER_ROLE:
        raise Forbidden("Only gate staff with a scanner account can scan tickets.", code="scanner_role_required")
    return Scanner(profile_id=profile_id)
