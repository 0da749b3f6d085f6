"""The reconciler: webhooks get lost and processes get killed, so every pending order is read back from Stripe
and settled by the same path the webhook uses.

Each pass (on start, then about every RECONCILE_INTERVAL_SECONDS):
1. every `pending_payment` order's PaymentIntent is read back and settled: paid, failure recorded, or, past its
   hold and a short grace, canceled at Stripe and `expired`;
2. refunds owed (order `refunded`, no refund in the ledger yet; an organizer's refund row Stripe does not have yet)
   are issued again;
3. Stripe's recent PaymentIntents are held against the database, which a PostgreSQL failover may have set back
   (repair.py: a payment whose order or settlement was lost is settled again, its order written again if need be);
4. recent sales are marked `sold` in Redis again, in case a process died between its commit and telling Redis.
Every step is guarded by the order's status, so several processes may run passes at once; a Redis lease merely
saves them the duplicate work.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.asyncio import Redis

from backend import seats
from backend.booking.guards import ShoppingTurns
from backend.infra import metrics
from backend.payments import settlement
from backend.payments.gateway import GatewayError, IntentMissing, StripeGateway
from backend.payments.refunds import Refunds
from backend.payments.repair import RepairReport, repair_from_stripe
from backend.settings import Settings
from backend.timeutil import utcnow
from db.tables import Order, Ticket

logger = logging.getLogger("showtime.payments.reconciler")

LEASE_KEY = "payments:reconciler:lease:{account}"
BATCH = 500
CONCURRENCY = 8
# A just-created order normally settles by webhook within seconds; the periodic pass leaves it that long.
WEBHOOK_HEAD_START = timedelta(seconds=20)
RECENT_SALES = timedelta(minutes=10)
# Where a pass leaves an order whose hold is over: anything else (still pending, Stripe unreachable, an error) is
# backlog, which a healthy pass keeps at zero (a payment still processing is the one legitimate exception; an
# intent Stripe does not know is not: someone must look).
CLOSED = frozenset({settlement.PAID, settlement.REFUNDED, settlement.EXPIRED, settlement.CANCELLED})


@dataclass
class PassReport:
    checked: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refunds_retried: int = 0
    refunds_released: int = 0  # refunds whose seats Redis had not given back yet
    sales_remarked: int = 0
    backlog: int = 0  # orders past their hold's end (and its grace) that this pass could not close
    repair: RepairReport | None = None  # Stripe's recent payments held against the database (repair.py)


async def reconcile_once(redis: Redis, gateway: StripeGateway, now: datetime, *, turns: ShoppingTurns,
                         hold_ttl_seconds: int, grace_seconds: int = 0, min_age: timedelta = timedelta(0),
                         refunds: Refunds | None = None) -> PassReport:
    report = PassReport()
    expire_before = now - settlement.expiry_grace(hold_ttl_seconds)
    limit = asyncio.Semaphore(CONCURRENCY)

    async def settle(row: dict) -> None:
        async with limit:
            outcome = await _settle_pending(redis, gateway, turns, row, now, expire_before, grace_seconds)
            report.outcomes[outcome] += 1
            if row["expires_at"] <= expire_before and outcome not in CLOSED:
                report.backlog += 1

    after_id = 0
    while True:  # in batches, so orders Stripe cannot settle yet never starve the ones behind them
        pending = await Order.select(Order.id, Order.payment_intent_id, Order.expires_at).where(
            (Order.status == settlement.PENDING) & (Order.created_at <= now - min_age) & (Order.id > after_id)
        ).order_by(Order.id).limit(BATCH)
        await asyncio.gather(*(settle(row) for row in pending))
        report.checked += len(pending)
        if len(pending) < BATCH:
            break
        after_id = pending[-1]["id"]
    report.refunds_retried = await _retry_owed_refunds(gateway, now)
    if refunds is not None:
        report.refunds_retried += await refunds.retry_owed(now)
        report.refunds_released = await refunds.release_pending(now)
    try:
        report.repair = await repair_from_stripe(redis, gateway, turns, now, hold_ttl_seconds=hold_ttl_seconds,
                                                 grace_seconds=grace_seconds)
    except GatewayError:
        logger.warning("could not list recent payments at Stripe; the next pass looks again")
    report.sales_remarked = await _remark_recent_sales(redis, now)
    metrics.reconciler_pass(report.checked, report.backlog)
    return report


async def _settle_pending(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, row: dict, now: datetime,
                          expire_before: datetime, grace_seconds: int) -> str:
    try:
        if row["payment_intent_id"] is None:
            if row["expires_at"] <= expire_before and await settlement.expire_without_intent(row["id"], now):
                return settlement.EXPIRED
            return settlement.PENDING
        intent = await gateway.retrieve_intent(row["payment_intent_id"])
        return await settlement.settle_intent(redis, gateway, intent, now, turns=turns,
                                              expire_unpaid_before=expire_before, grace_seconds=grace_seconds) or "unknown"
    except IntentMissing:
        # Another Stripe account (or, in tests, another server's stand-in): not ours to decide.
        return "intent_missing"
    except GatewayError:
        return "stripe_unavailable"
    except Exception:
        logger.exception("reconciling order %s failed; the next pass retries", row["id"])
        return "error"


async def _retry_owed_refunds(gateway: StripeGateway, now: datetime) -> int:
    owed = await Order.raw(
        "SELECT id FROM orders o WHERE o.status = {} "
        "AND o.payment_intent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payment_ledger l "
        "WHERE l.kind = {} AND l.order_ref = o.id) "
        # An organizer's refunds (refunds.py) are owed per refund row and retried there, for their own amounts.
        'AND NOT EXISTS (SELECT 1 FROM refund r WHERE r."order" = o.id) ORDER BY o.id LIMIT 100',

        settlement.REFUNDED, "refund",
    )
    done = 0
    for row in owed:
        order = await settlement.load_order(row["id"])
        if order is None or order.payment_intent_id is None:
            continue
        try:
            await settlement.issue_refund(gateway, order, order.payment_intent_id, now)
            done += 1
        except IntentMissing:
            pass
        except GatewayError:
            logger.warning("refund for order %s still not issued", row["id"])
    return done


async def _remark_recent_sales(redis: Redis, now: datetime) -> int:
    """Seats ticketed recently but not `sold` in Redis (the seller died after its commit) are marked again.

    Shows whose live state is not built are skipped: building it reads the sold seats from the database anyway.
    """
    rows = await Ticket.select(Ticket.show, Ticket.seat, Ticket.order, Ticket.order.hold_id).where(
        (Ticket.order.paid_at >= now - RECENT_SALES) & Ticket.revoked_at.is_null()
    )
    # show -> (order, its hold) -> seats
    by_show: dict[int, dict[tuple[int, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_show[row["show"]][row["order"], row["order.hold_id"]].append(str(row["seat"]))
    remarked = 0
    for show_id, orders in by_show.items():
        seat_ids = [seat for sold in orders.values() for seat in sold]
        unsold = await seats.unsold_among(redis, show_id, seat_ids)
        if unsold is None:
            continue
        for (order_id, hold_id), sold in orders.items():
            if unsold.intersection(sold):
                await seats.mark_sold(redis, show_id, sold, hold_id, order_id=order_id)
                remarked += 1
    return remarked


async def _take_lease(redis: Redis, gateway: StripeGateway, interval_s: int) -> bool:
    """One periodic pass per Stripe account and interval, whichever process gets there first."""
    return bool(await redis.set(LEASE_KEY.format(account=gateway.account_tag), os.getpid(), nx=True,
                                px=max(500, interval_s * 1000 - 200)))


async def run_reconciler(redis: Redis, gateway: StripeGateway | None, turns: ShoppingTurns, settings: Settings,
                         refunds: Refunds | None = None) -> None:
    """Background job: a pass on start (whatever the lease says: this process may just have been restarted
    after a crash), then one per interval among all processes."""
    if gateway is None:
        logger.error("no Stripe gateway configured: the reconciler does not run")
        return
    interval = settings.reconcile_interval_seconds
    first = True
    while True:
        try:
            if first or await _take_lease(redis, gateway, interval):
                now = utcnow()
                report = await reconcile_once(
                    redis, gateway, now, turns=turns, hold_ttl_seconds=settings.hold_ttl_seconds,
                    grace_seconds=settings.payment_grace_seconds,
                    min_age=timedelta(0) if first else min(WEBHOOK_HEAD_START, timedelta(seconds=interval)),
                    refunds=refunds,
                )
                if report.checked or report.refunds_retried or report.refunds_released or report.sales_remarked:
                    logger.info("reconciled %d pending orders %s; refunds retried %d, released %d; sales re-marked %d",
                                report.checked, dict(report.outcomes), report.refunds_retried,
                                report.refunds_released, report.sales_remarked)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("reconciler pass failed; retrying next interval")
        first = False
        await asyncio.sleep(interval)
