"""Reading one order for its owner, with its tickets."""

from __future__ import annotations

import msgspec

from backend.errors import NotFound
from backend.payments.schemas import OrderOut, PaymentErrorOut
from backend.tickets.service import tickets_of_order
from backend.timeutil import rfc3339_ms
from db.tables import Order


def _payment_error(text: str | None) -> PaymentErrorOut | None:
    if not text:
        return None
    try:
        return msgspec.json.decode(text, type=PaymentErrorOut)
    except msgspec.DecodeError:
        return PaymentErrorOut(code=None, decline_code=None, message=text)


_COLUMNS = (Order.id, Order.show, Order.status, Order.amount_cents, Order.currency, Order.last_payment_error,
            Order.expires_at, Order.refund_reason, Order.refunded_cents)


def _not_found() -> NotFound:
    return NotFound("No such order.", code="order_not_found")


async def order_of_profile(secret_key: str, profile_id: int, order_id: int) -> OrderOut:
    """The order if it is the profile's; 404 alike for unknown and for someone else's."""
    row = await Order.select(*_COLUMNS).where((Order.id == order_id) & (Order.profile == profile_id)).first()
    if row is None:
        raise _not_found()
    return await _order_out(secret_key, row)


async def order_by_id(secret_key: str, order_id: int) -> OrderOut:
    """Any fan's order (the organizer's view: the caller's organization was checked before)."""
    row = await Order.select(*_COLUMNS).where(Order.id == order_id).first()
    if row is None:
        raise _not_found()
    return await _order_out(secret_key, row)


async def _order_out(secret_key: str, row: dict) -> OrderOut:
    return OrderOut(
        order_id=str(row["id"]), show_id=str(row["show"]), status=row["status"], amount_cents=row["amount_cents"],
        currency=row["currency"], last_payment_error=_payment_error(row["last_payment_error"]),
        tickets=await tickets_of_order(secret_key, row["id"]),
        expires_at=rfc3339_ms(row["expires_at"]), refund_reason=row["refund_reason"],
        refunded_cents=row["refunded_cents"],
    )
