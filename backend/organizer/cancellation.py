"""Cancelling a show: the organizer's word takes effect at once (the show is `cancelled` in the catalog, holds and
checkouts answer 409 show_cancelled on every process), and its paid orders are refunded by the cancellation job in
the background (backend/payments/cancellation.py: a lease, resumable, never refunding twice). Knows nothing of
HTTP; moves no money itself.

Progress is read from the truth: `total` is the orders the cancellation refunds (those still `paid`, and those it
has a refund row for), `refunded` those whose refund Stripe has made, `done` the job's finding that nothing is left.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from redis.asyncio import Redis

from backend.catalog.cancellations import mark_cancelled
from backend.catalog.facts import touch
from backend.errors import Conflict
from backend.organizer.guard import Organizer
from backend.organizer.ownership import organization_show
from db.tables import Order, Refund, Show

# The cancellation job's refund rows (backend/payments/refunds.py CANCELLATION); the organizer domain names it
# rather than importing payments (the layers contract).
CANCELLATION_REFUND = "show_cancelled"
PAID = "paid"


class CancelProgress(msgspec.Struct):
    refunded: int
    total: int


class CancelStatus(msgspec.Struct):
    refunded: int
    total: int
    done: bool


async def cancel_show(redis: Redis, show_id: int, reason: str, now: datetime) -> CancelProgress:
    """Cancel the show (the caller checked it is the organization's); once: asking again answers the progress."""
    await Show.update({Show.cancelled_at: now, Show.cancel_reason: reason}).where(
        (Show.id == show_id) & Show.cancelled_at.is_null())
    # Also on a repeat: Redis may have lost the mark. The show's facts follow within their check interval too.
    await mark_cancelled(redis, show_id)
    await touch(redis, show_id)
    status = await _status(show_id)
    return CancelProgress(refunded=status.refunded, total=status.total)


async def cancellation_status(organizer: Organizer, raw_show_id: str) -> CancelStatus:
    show_id = await organization_show(organizer, raw_show_id)
    if not await Show.exists().where((Show.id == show_id) & Show.cancelled_at.is_not_null()):
        raise Conflict("This show is not cancelled.", code="show_not_cancelled")
    return await _status(show_id)


async def _status(show_id: int) -> CancelStatus:
    ours = (Refund.show == show_id) & (Refund.kind == CANCELLATION_REFUND)
    paid = await Order.count().where((Order.show == show_id) & (Order.status == PAID))
    decided = await Refund.count().where(ours)
    refunded = await Refund.count().where(ours & Refund.refunded_at.is_not_null())
    done = await Show.exists().where((Show.id == show_id) & Show.cancellation_done_at.is_not_null())
    return CancelStatus(refunded=refunded, total=paid + decided, done=done)
