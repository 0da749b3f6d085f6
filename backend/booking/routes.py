"""Holds over HTTP: translate requests to HoldService calls and HoldRecords to API.md's Hold.

Every handler takes one dependency, the `shopper` (the signed-in profile with the process's HoldService): Litestar
resolves dependencies that do not depend on each other concurrently, in a task group per request, which cost
more than the hold itself; one chain of single dependencies resolves in line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.booking.schemas import HoldOut, HoldRequest
from backend.booking.service import HoldService
from backend.edge.auth import provide_profile_id
from backend.ids import parse_show_id
from backend.infra import metrics
from backend.seats import HoldRecord
from backend.timeutil import from_epoch_ms, rfc3339_ms


@dataclass(frozen=True)
class Shopper:
    """Who is calling (a signed-in profile) and the service that acts for them."""

    profile_id: int
    holds: HoldService


async def provide_shopper(request: Request[Any, Any, Any], hold_service: HoldService) -> Shopper:
    return Shopper(await provide_profile_id(request), hold_service)


def hold_out(record: HoldRecord) -> HoldOut:
    return HoldOut(
        hold_id=record.hold_id,
        show_id=str(record.show_id),
        seat_ids=record.seat_ids,
        expires_at=rfc3339_ms(from_epoch_ms(record.expires_at_ms)),
        amount_cents=record.amount_cents,
        currency=record.currency,
    )


class HoldsController(Controller):
    path = "/api/v1"
    tags = ["holds"]
    dependencies = {"shopper": Provide(provide_shopper)}

    @post("/shows/{show_id:str}/holds", status_code=HTTP_201_CREATED, operation_id="placeHold")
    async def place_hold(self, show_id: str, data: HoldRequest, shopper: Shopper) -> HoldOut:
        """Hold seats picked on the map, or the best available ones; they join the profile's hold."""
        with metrics.placing_hold(best_available=data.best_available is not None):
            return hold_out(await shopper.holds.place(parse_show_id(show_id), shopper.profile_id, data))

    @get("/holds/{hold_id:str}", operation_id="getHold")
    async def get_hold(self, hold_id: str, shopper: Shopper) -> HoldOut:
        """One of the caller's holds; 404 for anyone else's or an expired one."""
        return hold_out(await shopper.holds.get(hold_id, shopper.profile_id))

    @delete("/holds/{hold_id:str}/seats/{seat_id:str}", status_code=HTTP_200_OK, operation_id="releaseHeldSeat",
            responses={HTTP_204_NO_CONTENT: ResponseSpec(None, description="That was the last seat: no hold left")})
    async def release_seat(self, hold_id: str, seat_id: str, shopper: Shopper) -> Response[HoldOut | None]:
        """Give one seat back: 200 with the hold, or 204 when it was the last seat and the hold is gone."""
        record = await shopper.holds.release_seat(hold_id, seat_id, shopper.profile_id)
        if record is None:
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        return Response(content=hold_out(record), status_code=HTTP_200_OK)

    @delete("/holds/{hold_id:str}", status_code=HTTP_204_NO_CONTENT, operation_id="releaseHold")
    async def release_hold(self, hold_id: str, shopper: Shopper) -> None:
        """Give every seat back at once."""
        await shopper.holds.release(hold_id, shopper.profile_id)
