from __future__ import annotations

import hmac
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK

from backend.auth import provide_profile_id
from backend.errors import NotSignedIn
from backend.settings import Settings
from backend.tickets import service
from backend.tickets.schemas import TicketList, VerifyBody, VerifyResult


class TicketsController(Controller):
    path = "/api/v1"
    tags = ["tickets"]

    @get("/profile/{profile_ref:str}/tickets", operation_id="listTickets",
         dependencies={"profile_id": Provide(provide_profile_id)})
    async def list_tickets(self, profile_ref: str, profile_id: int, settings: Settings) -> TicketList:
        """A profile's tickets; `me` stands for the caller. 403 for another profile's."""
        owner = service.resolve_profile(profile_ref, profile_id)
        return TicketList(items=await service.tickets_of_profile(settings.secret_key, owner))

    @post("/tickets/verify", status_code=HTTP_200_OK, operation_id="verifyTicket")
    async def verify(
        self, data: VerifyBody, settings: Settings,
        authorization: Annotated[str | None, Parameter(header="Authorization")] = None,
    ) -> VerifyResult:
        """Gate scanners: valid once, then already_scanned; forged, altered, unknown or refunded is invalid."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        if not token or not hmac.compare_digest(token.encode(), settings.scanner_token.encode()):
            raise NotSignedIn("A scanner token is required: Authorization: Bearer <SCANNER_TOKEN>.",
                              code="scanner_token_required")
        return await service.verify(settings.secret_key, data.code)
