"""The organizer's orders over HTTP (API.md, "Organizers"): read any order of the organization's shows, refund some
or all of its seats. Payments' own routes, since the Order is payments' shape and refunds move money; they hang
under the organizer router's path with its guard (plugin.py), so they answer 401 / 403 `not_organizer` before
any parameter is read, and 404 for another organization's order (organizer.ownership)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK

from backend.errors import Invalid
from backend.ids import ascii_int
from backend.organizer.guard import Organizer
from backend.organizer.ownership import organization_order, provide_owned_order
from backend.payments.checkout import scoped_idempotency_key
from backend.payments.orders import order_by_id
from backend.payments.refunds import RefundAsk, Refunds
from backend.payments.schemas import OrderOut, RefundBody
from backend.settings import Settings
from backend.timeutil import utcnow


def _seat_numbers(seat_ids: list[str] | None) -> list[int] | None:
    if seat_ids is None:
        return None
    numbers = [ascii_int(seat) for seat in seat_ids]
    bad = [seat for seat, number in zip(seat_ids, numbers, strict=True) if number is None]
    if bad:
        raise Invalid("Some of these seats are not in this order.", code="seats_not_in_order", seat_ids=bad)
    return [number for number in numbers if number is not None]


class OrganizerOrdersController(Controller):
    path = "/orders"
    tags = ["organizer"]

    @get("/{order_id:str}", operation_id="getOrganizerOrder")
    async def get_order(self, organizer: Organizer, order_id: str, settings: Settings) -> OrderOut:
        """An order of one of the organization's shows, any fan's, with the tickets that still admit and what was
        refunded (an extension of API.md: what the refund form starts from)."""
        return await order_by_id(settings.secret_key, await organization_order(organizer, order_id))

    @post("/{order_id:str}/refund", operation_id="refundOrder", status_code=HTTP_200_OK,
          dependencies={"owned": Provide(provide_owned_order)})
    async def refund(
        self, organizer: Organizer, owned: int, data: RefundBody, refunds: Refunds, settings: Settings,
        idempotency_key: Annotated[str | None, Parameter(header="Idempotency-Key", required=False,
                                                         description="Repeat-safe retries")] = None,
    ) -> OrderOut:
        """Refund the seats named (all that are left without `seat_ids`): the money goes back through Stripe, the
        ledger records it, the seats' tickets are revoked and the seats are on sale again; refunding every seat
        makes the order `refunded`. 409 `not_refundable` for an order that is not paid."""
        await refunds.refund(RefundAsk(
            order_id=owned, seat_ids=_seat_numbers(data.seat_ids), reason=data.reason,
            idempotency_key=scoped_idempotency_key(organizer.profile_id, idempotency_key)), utcnow())
        return await order_by_id(settings.secret_key, owned)
