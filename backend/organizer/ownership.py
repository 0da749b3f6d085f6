"""Shows and orders looked up inside the caller's organization (a show belongs to the organization of its venue;
an order to its show's): another organization's id answers 404 exactly like an id that names nothing, as
guard.owned_venue does for venues."""

from __future__ import annotations

from backend.errors import NotFound
from backend.ids import ascii_int
from backend.organizer.guard import Organizer
from db.tables import Order, Show


def show_not_found() -> NotFound:
    return NotFound("No such show.", code="show_not_found")


def order_not_found() -> NotFound:
    return NotFound("No such order.", code="order_not_found")


async def organization_show(organizer: Organizer, raw_id: str) -> int:
    """The show id in a path, if the show is the caller's organization's; else 404."""
    show_id = ascii_int(raw_id)
    if show_id is None or not await Show.exists().where(
            (Show.id == show_id) & (Show.venue.organization == organizer.organization_id)):  # type: ignore[union-attr]
        raise show_not_found()
    return show_id


async def organization_order(organizer: Organizer, raw_id: str) -> int:
    """The order id in a path, if the order is for a show of the caller's organization; else 404."""
    order_id = ascii_int(raw_id)
    if order_id is None or not await Order.exists().where(
            (Order.id == order_id)
            & (Order.show.venue.organization == organizer.organization_id)):  # type: ignore[union-attr]
        raise order_not_found()
    return order_id


# As Litestar dependencies: resolved before a body is validated, so another organization's object is 404 whatever
# the body says (a handler that checked ownership itself would answer a bad body's 422 first).


async def provide_owned_show(organizer: Organizer, show_id: str) -> int:
    return await organization_show(organizer, show_id)


async def provide_owned_order(organizer: Organizer, order_id: str) -> int:
    return await organization_order(organizer, order_id)
