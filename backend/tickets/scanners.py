"""Who may scan: a gate device with a bearer token (its show's gate token, or the operator's SCANNER_TOKEN), or a
signed-in profile with the scanner role.

The scanner page signs in as a person, so no shared secret ever sits in a browser; tokens stay for hand-held
devices that call the API directly. A gate scans for one show: the show comes with a gate token, or the request
names it (`Scanner.show_for`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from litestar import Request

from backend.accounts.staff import SCANNER_ROLE
from backend.edge.auth import session_profile_id
from backend.errors import Forbidden, Invalid, NotSignedIn
from backend.ids import parse_id
from backend.settings import Settings
from backend.tickets.gate_tokens import show_of_gate_token
from db.tables import Profile


@dataclass(frozen=True)
class Scanner:
    profile_id: int | None  # None: a device holding a token
    show_id: int | None = None  # the show a device's gate token is for; None: the operator's token, or an account

    operator: bool = False  # the operator's SCANNER_TOKEN, which API.md lets verify any show's ticket

    def show_for(self, requested: str | None) -> int:
        """The show this scan is for: a gate scans for one show, so every verification names it, through the
        device's gate token or the request. 404 for a show id that is not one, 403 for another show than the
        token's, 422 when nothing names the show."""
        show_id = self.show_to_verify(requested)
        if show_id is None:
            raise Invalid("Name the show this gate scans for (show_id), or use the show's gate token.",
                          code="show_required")
        return show_id

    def show_to_verify(self, requested: str | None) -> int | None:
        """As show_for, except that the operator's SCANNER_TOKEN may leave the show out (None: the ticket's own
        show), which is API.md's documented `POST /tickets/verify` `{code}`. Gate tokens and scanner accounts scan
        for one show."""
        show_id = None if requested is None else parse_id(requested, "show")
        if self.show_id is not None:
            if show_id is not None and show_id != self.show_id:
                raise Forbidden("This gate's token is for another show.", code="wrong_show",
                                token_show_id=str(self.show_id))
            return self.show_id
        if show_id is None and not self.operator:
            raise Invalid("Name the show this gate scans for (show_id), or use the show's gate token.",
                          code="show_required")
        return show_id


async def provide_scanner(request: Request[Any, Any, Any], settings: Settings) -> Scanner:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            if hmac.compare_digest(token.encode(), settings.scanner_token.encode()):
                return Scanner(profile_id=None, operator=True)
            if (show_id := show_of_gate_token(settings.scanner_token, token)) is not None:
                return Scanner(profile_id=None, show_id=show_id)
        raise NotSignedIn("A scanner token is required: Authorization: Bearer <the show's gate token or SCANNER_TOKEN>.",
                          code="scanner_token_required")
    profile_id = session_profile_id(request)
    if profile_id is None:
        raise NotSignedIn("Sign in with a scanner account, or send Authorization: Bearer <SCANNER_TOKEN>.",
                          code="scanner_token_required")
    row = await Profile.select(Profile.role).where(Profile.id == profile_id).first()
    if row is None or row["role"] != SCANNER_ROLE:
        raise Forbidden("Only gate staff with a scanner account can scan tickets.", code="scanner_role_required")
    return Scanner(profile_id=profile_id)
