"""The cancellation job: every paid order of a cancelled show is refunded in full, resumably, never twice.

The organizer's cancellation (backend/organizer/cancellation.py) only marks the show; this job, running in every
server process (and as `python -m backend.payments run-cancellations`), finds the shows cancelled and not finished,
and works each under a lease (backend/infra/leases.py: one process per show at a time, handed over when its holder
dies). For each show it first pays the refunds that were decided but not paid (a crash between the two), then
refunds every order still `paid`, through the organizer's refund path (refunds.py) with the idempotency key
`show-cancelled`: one refund row per order, whose Stripe idempotency key is the row's own. So whatever point a crash
hits, the next run finds either the order still `paid` (nothing was decided: refund it), or its refund row (decided:
pay it, and Stripe answers the first refund again if it had made it); the ledger's refund row is written once per
refund row. The show is done when no order is `paid` and no refund row is owed, a few seconds after the
cancellation at the earliest (a payment being committed as the show was cancelled is then visible; settlement
refunds any later one itself).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis

from backend.errors import AppError
from backend.infra.leases import Leases
from backend.payments.order_states import PAID
from backend.payments.refunds import CANCELLATION, CANCELLATION_KEY, RefundAsk, Refunds
from backend.timeutil import utcnow
from db.tables import Order, Refund, Show

logger = logging.getLogger("showtime.payments.cancellation")

JOB = "show-cancellation"
INTERVAL_S = 1.0
BATCH = 20  # orders refunded between two renewals of the lease
CONCURRENCY = 4
LEASE_TTL_MS = 5_000
# How long after a cancellation a payment that was being committed at that moment may still land as `paid`.
SETTLING_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class CancelledShow:
    id: int
    reason: str
    cancelled_at: datetime


class CancellationJob:
    """`only_show`: work that show alone. `owner`: the lease holder's name, for a worker that, restarted under the
    same name, takes its leases back at once instead of after they run out (default: one per process)."""

    def __init__(self, redis: Redis, refunds: Refunds, *, only_show: int | None = None,
                 owner: str | None = None) -> None:
        self.refunds = refunds
        self.only_show = only_show
        self.leases = Leases(redis, JOB, owner=owner, ttl_ms=LEASE_TTL_MS)

    async def unfinished(self) -> list[CancelledShow]:
        query = Show.select(Show.id, Show.cancel_reason, Show.cancelled_at).where(
            Show.cancelled_at.is_not_null() & Show.cancellation_done_at.is_null())
        if self.only_show is not None:
            query = query.where(Show.id == self.only_show)
        rows = await query.order_by(Show.id)
        return [CancelledShow(row["id"], row["cancel_reason"] or "The show was cancelled.", row["cancelled_at"])
                for row in rows]

    async def pass_once(self) -> int:
        """Work every unfinished cancelled show whose lease this process holds; returns how many remain unfinished."""
        shows = await self.unfinished()
        for show in shows:
            if await self.leases.hold(show.id) is not None:
                await self.refund_show(show)
        return len(await self.unfinished())

    async def refund_show(self, show: CancelledShow) -> None:
        await self.refunds.retry_owed(utcnow(), show_id=show.id)
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(order_id: int) -> None:
            async with limit:
                try:
                    await self.refunds.refund(RefundAsk(order_id=order_id, seat_ids=None, reason=show.reason,
                                                        idempotency_key=CANCELLATION_KEY, kind=CANCELLATION),
                                              utcnow())
                except AppError as refused:  # e.g. refunded by the organizer a moment ago: nothing left to do
                    logger.info("cancellation of show %s: order %s: %s", show.id, order_id, refused.detail)

        after = 0
        while True:
            batch = await Order.select(Order.id).where(
                (Order.show == show.id) & (Order.status == PAID) & (Order.id > after)
            ).order_by(Order.id).limit(BATCH).output(as_list=True)
            if not batch:
                break
            await asyncio.gather(*(one(order_id) for order_id in batch))
            after = batch[-1]
            if await self.leases.hold(show.id) is None:
                return  # another process has the show now
        await self._finish_if_done(show)

    async def _finish_if_done(self, show: CancelledShow) -> None:
        now = utcnow()
        if now - show.cancelled_at < SETTLING_MARGIN:
            return
        if await Order.exists().where((Order.show == show.id) & (Order.status == PAID)):
            return
        if await Refund.exists().where((Refund.show == show.id) & Refund.refunded_at.is_null()):
            return
        await Show.update({Show.cancellation_done_at: now}).where(
            (Show.id == show.id) & Show.cancellation_done_at.is_null())
        self.leases.forget(show.id)
        logger.info("cancellation of show %s: every paid order refunded", show.id)

    async def run(self, until_done: bool = False) -> None:
        """Pass after pass, INTERVAL_S apart; with `until_done`, return once no cancelled show is unfinished."""
        while True:
            try:
                remaining = await self.pass_once()
                if until_done and remaining == 0:
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("cancellation pass failed; retrying")
            await asyncio.sleep(INTERVAL_S)


async def run_cancellations(redis: Redis, refunds: Refunds) -> None:
    """Background job of every server process (needs the Stripe gateway, made at startup)."""
    if refunds.gateway is None:
        logger.error("no Stripe gateway configured: cancelled shows are not refunded by this process")
        return
    await CancellationJob(redis, refunds).run()
