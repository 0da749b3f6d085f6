"""Settlement: the transitions Stripe starts (succeeded, failed, processing, cancelled), used by the webhook and
the reconciler alike; order_lifecycle.py has those the fan starts. The state table is order_states.py.

Stripe's word is a trigger, never the truth on its own: callers hand in a PaymentIntent they have just read back
from Stripe, and every transition is guarded by the order's current status inside one write transaction
(order_states.move), so running it twice, late, or from two processes at once yields one outcome.

A payment is decided by one rule, whether it lands in time or after its hold ended: the order's seats are claimed
for its hold in one Lua script, all or none (free seats or this hold's); claimed, the order is ticketed; otherwise
it is refunded in full with a reason.

Money goes out after the decision is committed: a refund is owed from the moment the order is `refunded`, and
the reconciler retries refunds that have no ledger row yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from redis.asyncio import Redis

from backend.booking.guards import ShoppingTurns
from backend.infra import metrics
from backend.payments import ledger, order_states
from backend.payments.gateway import (
    GatewayError,
    IntentNotCancelable,
    IntentSnapshot,
    PaymentError,
    StripeGateway,
    order_idempotency_key,
)
from backend.payments.order_states import (
    AMOUNT_MISMATCH,
    CANCELLED,
    EXPIRED,
    ORDER_CANCELLED,
    PAID,
    PENDING,
    REFUNDED,
    SEATS_TAKEN,
    SHOW_CANCELLED,
)
from backend.payments.transactions import is_unique_violation, lock_order, write_transaction
from backend.seats import claim_seats, extend_hold, mark_sold, unsold_among
from backend.tickets import sales
from backend.tickets.issuing import SoldSeat, issue
from backend.timeutil import epoch_ms, from_epoch_ms, now_ms
from db.tables import Order, OrderItem, Show, Ticket

logger = logging.getLogger("showtime.payments.settlement")

__all__ = ["CANCELLED", "EXPIRED", "PAID", "PENDING", "REFUNDED"]

# How long a payment's claim keeps its seats while the database commits the sale (the sweeper frees them after).
CLAIM_MS = 60_000


@dataclass(frozen=True)
class OrderFacts:
    id: int
    profile_id: int
    show_id: int
    hold_id: str
    status: str
    amount_cents: int
    currency: str
    payment_intent_id: str | None
    expires_at: datetime
    paying_at: datetime | None


FACT_COLUMNS = (Order.id, Order.profile, Order.show, Order.hold_id, Order.status, Order.amount_cents,
                Order.currency, Order.payment_intent_id, Order.expires_at, Order.paying_at)


def facts_of(row: dict) -> OrderFacts:
    return OrderFacts(id=row["id"], profile_id=row["profile"], show_id=row["show"], hold_id=row["hold_id"],
                      status=row["status"], amount_cents=row["amount_cents"], currency=row["currency"],
                      payment_intent_id=row["payment_intent_id"], expires_at=row["expires_at"],
                      paying_at=row["paying_at"])


async def load_order(order_id: int) -> OrderFacts | None:
    row = await Order.select(*FACT_COLUMNS).where(Order.id == order_id).first()
    return facts_of(row) if row else None


async def order_of_intent(intent: IntentSnapshot) -> OrderFacts | None:
    row = await Order.select(*FACT_COLUMNS).where(Order.payment_intent_id == intent.id).first()
    if row is None and intent.order_id is not None:
        # The process may have died between creating the intent and saving its id on the order.
        row = await Order.select(*FACT_COLUMNS).where(
            (Order.id == intent.order_id) & Order.payment_intent_id.is_null()
        ).first()
        # After a failover the order's number may have been given again to another fan's order (its first owner
        # lost with the old primary): the hold must be the intent's too (a cancelled order's is retired: `hold~id`).
        hold_id = intent.metadata.get("hold_id")
        if row is not None and hold_id is not None and row["hold_id"].split("~")[0] != hold_id:
            row = None
    return facts_of(row) if row else None


def expiry_grace(hold_ttl_seconds: int) -> timedelta:
    """How long after its hold an unpaid order stays payable: a card confirmed in the hold's last second still
    lands (and is honoured if its seats are free). A tenth of the hold, at most 30 seconds."""
    return timedelta(seconds=min(30.0, hold_ttl_seconds / 10))


@metrics.timed_settlement
async def settle_intent(redis: Redis, gateway: StripeGateway, intent: IntentSnapshot, now: datetime, *,
                        turns: ShoppingTurns, expire_unpaid_before: datetime | None = None, grace_seconds: int = 0,
                        order: OrderFacts | None = None) -> str | None:
    """Move the intent's order on as far as the intent allows; returns the order's status (None: not ours).

    `expire_unpaid_before`: the reconciler's cut-off; an unpaid order whose hold ended before it expires.
    `grace_seconds`: the payment grace a processing intent gives its hold (once per hold).
    `turns`: the waiting room's shopping turns, which a sale ends.
    `order`: the intent's order as the caller has just read it (the fan's confirmation), so it is not read again;
    every step re-reads its status under the order's row lock all the same.
    """
    if order is None or order.payment_intent_id != intent.id:
        order = await order_of_intent(intent)
    if order is None:
        logger.info("payment intent %s belongs to no order here; ignored", intent.id)
        return None
    if intent.status == "succeeded":
        return await _settle_success(redis, gateway, turns, order, intent, now)
    if order.status != PENDING:
        return order.status
    if intent.status == "processing" and grace_seconds:
        await start_grace(redis, order, grace_seconds, now)
        return PENDING
    if intent.status == "requires_payment_method" and intent.last_payment_error:
        await record_failure(order.id, intent.last_payment_error, now)
    if intent.status == "canceled" or (expire_unpaid_before and order.expires_at <= expire_unpaid_before):
        return await _expire(redis, gateway, turns, order, intent, now)
    return PENDING


async def record_failure(order_id: int, error: PaymentError, now: datetime) -> None:
    """A declined card: the reason goes on the order, which stays payable with another card."""
    text = msgspec.json.encode({"code": error.code, "decline_code": error.decline_code,
                                "message": error.message}).decode()
    await Order.update({Order.last_payment_error: text, Order.updated_at: now}).where(
        (Order.id == order_id) & (Order.status == PENDING)
    )


async def expire_without_intent(order_id: int, now: datetime) -> bool:
    """An order whose PaymentIntent was never created (Stripe was down at checkout) cannot have been paid."""
    async with write_transaction():
        row = await lock_order(order_id)
        if row is None or row["status"] != PENDING or row["payment_intent_id"]:
            return False
        await order_states.move(row, EXPIRED, now)
    return True


async def start_grace(redis: Redis, order: OrderFacts, grace_seconds: int, now: datetime) -> datetime | None:
    """The fan is paying (they said so, or Stripe says processing): the hold lives `grace_seconds` longer, once per
    hold, and the order says until when. Returns the hold's end, or None when the hold has already ended."""
    expires_at_ms = await extend_hold(redis, show_id=order.show_id, hold_id=order.hold_id,
                                      profile_id=order.profile_id, grace_ms=grace_seconds * 1000)
    if expires_at_ms is None:
        return None
    expires_at = from_epoch_ms(expires_at_ms)
    async with write_transaction():
        row = await lock_order(order.id)
        if row is not None and row["status"] == PENDING:
            # A new attempt is on its way: an earlier decline no longer describes the order.
            await order_states.move(row, PENDING, now, paying_at=row["paying_at"] or now, expires_at=expires_at,
                                    last_payment_error=None)
    return expires_at


# ---------------------------------------------------------------- success


async def _settle_success(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, order: OrderFacts,
                          intent: IntentSnapshot, now: datetime) -> str:
    if order.status in (PAID, REFUNDED):
        return order.status
    if order.status == CANCELLED:
        # Never expected: an order is cancelled only after Stripe cancelled its intent.
        logger.error("order %s was cancelled but its payment %s succeeded: refunding", order.id, intent.id)
        return await _refund_instead(gateway, order, intent, now, ORDER_CANCELLED)
    if intent.amount_refunded and intent.amount_refunded >= intent.amount_received:
        # Stripe already gave the money back: the refund's record was lost with the database's last commits (a
        # failover). An order that was pending or expired is only ever refunded for one of two reasons; it is never
        # ticketed now, even if its seats happen to be free again.
        mismatch = intent.amount_received != order.amount_cents or intent.currency != order.currency
        logger.error("order %s: its payment %s was already refunded at Stripe: recording the refund", order.id,
                     intent.id)
        return await _refund_instead(gateway, order, intent, now, AMOUNT_MISMATCH if mismatch else SEATS_TAKEN)
    if intent.amount_received != order.amount_cents or intent.currency != order.currency:
        logger.error("order %s: Stripe received %s %s, the order is %s %s: refunding", order.id,
                     intent.amount_received, intent.currency, order.amount_cents, order.currency)
        return await _refund_instead(gateway, order, intent, now, AMOUNT_MISMATCH)
    if await Show.exists().where((Show.id == order.show_id) & Show.cancelled_at.is_not_null()):
        # A hold made before the show was cancelled, paid after: the cancellation refunds every paid order, and
        # this one is refunded at once instead of being sold.
        logger.info("order %s paid for a cancelled show: refunding", order.id)
        return await _refund_instead(gateway, order, intent, now, SHOW_CANCELLED)
    items = await OrderItem.select(OrderItem.seat, OrderItem.price_cents).where(OrderItem.order == order.id)
    # Sorted: every settlement inserts tickets in the same seat order, so two never deadlock on PostgreSQL.
    items.sort(key=lambda item: item["seat"])
    seat_ids = [str(item["seat"]) for item in items]
    # The one rule, in time or late (pending or expired): the order's seats, all claimed for it, or a refund.
    taken = await _claim(redis, order, seat_ids)
    if taken and not await _sold_without_ticket(redis, order.show_id, taken):
        logger.info("order %s paid, but seats %s were taken (held by another hold, or sold) after its hold ended: "
                    "refunding", order.id, ",".join(taken))
        return await _refund_instead(gateway, order, intent, now, SEATS_TAKEN)
    try:
        committed = await _commit_paid(order, items, intent, now)
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # The database's UNIQUE(show, seat): a seat already has a ticket, whatever Redis believed.
        return await _refund_instead(gateway, order, intent, now, SEATS_TAKEN)
    if not committed:
        current = await load_order(order.id)
        return current.status if current else PAID
    metrics.order_paid(intent.charged_at)
    await _announce_sale(redis, turns, order, seat_ids)
    await _record_pace(redis, order, intent)
    return PAID


async def _record_pace(redis: Redis, order: OrderFacts, intent: IntentSnapshot) -> None:
    """The dashboard's paid per minute and payment → paid time: from the fan saying they pay (ms, our clock), else
    from Stripe's charge (whole seconds). Lost with Redis, like any pace; never worth failing a settlement for."""
    paid_ms = now_ms()
    if order.paying_at is not None:
        latency: int | None = paid_ms - epoch_ms(order.paying_at)
    else:
        latency = paid_ms - intent.charged_at * 1000 if intent.charged_at is not None else None
    try:
        await sales.record_paid(redis, order.show_id, order.id, paid_ms, latency)
    except Exception:
        logger.warning("order %s paid, but its pace was not recorded", order.id, exc_info=True)


async def _claim(redis: Redis, order: OrderFacts, seat_ids: list[str]) -> list[str]:
    """Claim the order's seats for its hold in Redis, all or none; the seats another fan holds or bought (empty:
    claimed)."""
    try:
        return await claim_seats(redis, show_id=order.show_id, hold_id=order.hold_id, profile_id=order.profile_id,
                                 seat_ids=seat_ids, claim_ms=CLAIM_MS, amount_cents=order.amount_cents,
                                 currency=order.currency)
    except Exception:
        # Redis is down: the database alone decides (UNIQUE(show, seat)); a paying fan is not turned away for it.
        logger.warning("order %s: could not ask Redis whether its seats are free; the database decides", order.id,
                       exc_info=True)
        return []


async def _sold_without_ticket(redis: Redis, show_id: int, seat_ids: list[str]) -> bool:
    """Seats Redis calls sold that have no ticket in the database: a sale whose commit a PostgreSQL failover lost
    (Redis did not fail over and still remembers it). Nobody can hold a sold seat, so the payment being settled
    again may take them; the database's UNIQUE(show, seat) decides, as always."""
    try:
        unsold = await unsold_among(redis, show_id, seat_ids)
    except Exception:
        return False  # Redis cannot say: taken, as claimed (the database's UNIQUE would decide either way)
    if unsold is None or unsold:
        return False
    # A refunded seat's ticket is revoked: the seat is free again whatever Redis still says.
    return not await Ticket.exists().where((Ticket.show == show_id) & Ticket.seat.is_in([int(s) for s in seat_ids])
                                           & Ticket.revoked_at.is_null())


async def _commit_paid(order: OrderFacts, items: list[dict], intent: IntentSnapshot, now: datetime) -> bool:
    async with write_transaction():
        row = await lock_order(order.id)
        if row is None or row["status"] not in (PENDING, EXPIRED):
            return False
        await issue(order_id=order.id, show_id=order.show_id, profile_id=order.profile_id, currency=order.currency,
                    seats=[SoldSeat(item["seat"], item["price_cents"]) for item in items], issued_at=now)
        await order_states.move(row, PAID, now, seats=len(items), paid_at=now, last_payment_error=None,
                                payment_intent_id=intent.id)
        # Last: the show's chain head stays locked from this statement to the commit, and no longer.
        await ledger.append(_payment_entry(order, intent), now)
    return True


def _payment_entry(order: OrderFacts, intent: IntentSnapshot) -> ledger.LedgerEntry:
    return ledger.LedgerEntry(kind=ledger.PAYMENT, order_ref=order.id, stripe_object_id=intent.id,
                              amount_cents=intent.amount_received, currency=intent.currency, status=intent.status,
                              chain=order.show_id)


async def _announce_sale(redis: Redis, turns: ShoppingTurns, order: OrderFacts, seat_ids: list[str]) -> None:
    """After the commit: the seats turn `sold` on every map and the fan's waiting-room place is freed.

    A failure here loses nothing: the sale is in the database, and the reconciler marks recent sales again.
    """
    try:
        await mark_sold(redis, order.show_id, seat_ids, order.hold_id, order_id=order.id)
        await turns.finish(order.show_id, order.profile_id)
    except Exception:
        logger.warning("order %s paid, but Redis was not told yet; the reconciler will retry", order.id,
                       exc_info=True)


# ---------------------------------------------------------------- refunds


async def _refund_instead(gateway: StripeGateway, order: OrderFacts, intent: IntentSnapshot, now: datetime,
                          reason: str) -> str:
    async with write_transaction():
        row = await lock_order(order.id)
        if row is None or row["status"] not in (PENDING, EXPIRED, CANCELLED):
            return row["status"] if row else REFUNDED
        await order_states.move(row, REFUNDED, now, refund_reason=reason, payment_intent_id=intent.id,
                                refunded_cents=intent.amount_received)
        # The money did arrive; the refund row follows once Stripe has it.
        await ledger.append(_payment_entry(order, intent), now)
    logger.info("order %s refunded: %s", order.id, reason)
    try:
        await issue_refund(gateway, order, intent.id, now)
    except GatewayError:
        logger.warning("order %s: refund not issued yet; the reconciler will retry", order.id)
    return REFUNDED


async def issue_refund(gateway: StripeGateway, order: OrderFacts, intent_id: str, now: datetime) -> None:
    """Refund a `refunded` order's payment through Stripe (once: the idempotency key is the order's) and
    record it in the ledger."""
    refund = await gateway.refund_intent(intent_id, metadata={"order_id": str(order.id)},
                                         idempotency_key=order_idempotency_key(order.id, order.hold_id, "refund"))
    entry = ledger.LedgerEntry(
        kind=ledger.REFUND, order_ref=order.id,
        stripe_object_id=refund.id if refund else intent_id,
        amount_cents=refund.amount if refund else order.amount_cents,
        currency=refund.currency if refund else order.currency,
        status=refund.status if refund else "already_refunded",
        chain=order.show_id,
    )
    async with write_transaction():
        await ledger.append(entry, now, once_per_order=True)


# ---------------------------------------------------------------- expiry


async def _expire(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, order: OrderFacts,
                  intent: IntentSnapshot, now: datetime) -> str:
    """Cancel the intent first, so no payment can land afterwards; only then is the order `expired`."""
    if intent.status != "canceled":
        try:
            intent = await gateway.cancel_intent(
                intent.id, idempotency_key=order_idempotency_key(order.id, order.hold_id, "cancel"))
        except IntentNotCancelable:
            intent = await gateway.retrieve_intent(intent.id)
            if intent.status == "succeeded":  # paid in the meantime: settle it like any payment
                return await _settle_success(redis, gateway, turns, order, intent, now)
            if intent.status != "canceled":
                return PENDING  # e.g. still processing: the next pass looks again
    async with write_transaction():
        row = await lock_order(order.id)
        if row is None or row["status"] != PENDING:
            return row["status"] if row else EXPIRED
        await order_states.move(row, EXPIRED, now)
    logger.info("order %s expired unpaid", order.id)
    return EXPIRED
