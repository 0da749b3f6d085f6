"""Holds over HTTP: translate requests to HoldService calls and HoldRecords to API.md's Hold."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from redis.asyncio import Redis

from backend.auth import provide_profile_id
from backend.booking.schemas import HoldOut, HoldRequest
from backend.booking.service import HoldService, OpenOrderGuard
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache
from backend.seats import HoldRecord
from backend.settings import Settings
from backend.timeutil import from_epoch_ms, rfc3339_ms


def provide_hold_service(
    redis: Redis, settings: Settings, show_facts: ShowFactsCache, layouts: LayoutCache, open_orders: OpenOrderGuard
) -> HoldService:
    return HoldService(redis, settings, show_facts, layouts, open_orders)


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
    dependencies = {
        "profile_id": Provide(provide_profile_id),
        "holds": Provide(provide_hold_service, sync_to_thread=False),
    }

    @post("/shows/{show_id:str}/holds", status_code=HTTP_201_CREATED, operation_id="placeHold")
    async def place_hold(self, show_id: str, data: HoldRequest, profile_id: int,
                         holds: HoldService) -> HoldOut:
        """Hold seats picked on the map, or the best available ones; they join the profile's hold."""
        return hold_out(await holds.place(show_id, profile_id, data))

    @get("/holds/{hold_id:str}", operation_id="getHold")
    async def get_hold(self, hold_id: str, profile_id: int, holds: HoldService) -> HoldOut:
        """One of the caller's holds; 404 for anyone else's or an expired one."""
        return hold_out(await holds.get(hold_id, profile_id))

    @delete("/holds/{hold_id:str}/seats/{seat_id:str}", status_code=HTTP_200_OK, operation_id="releaseHeldSeat",
            responses={HTTP_204_NO_CONTENT: ResponseSpec(None, description="That was the last seat: no hold left")})
    async def release_seat(self, hold_id: str, seat_id: str, profile_id: int,
                           holds: HoldService) -> Response[HoldOut | None]:
        """Give one seat back: 200 with the hold, or 204 when it was the last seat and the hold is gone."""
        record = await holds.release_seat(hold_id, seat_id, profile_id)
        if record is None:
            return Response(content=None, status_code=HTTP_204_NO_CONTENT)
        return Response(content=hold_out(record), status_code=HTTP_200_OK)

    @delete("/holds/{hold_id:str}", status_code=HTTP_204_NO_CONTENT, operation_id="releaseHold")
    async def release_hold(self, hold_id: str, profile_id: int, holds: HoldService) -> None:
        """Give every seat back at once."""
        await holds.release(hold_id, profile_id)
