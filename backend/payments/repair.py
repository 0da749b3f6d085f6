"""Payments Stripe took that the database does not know: the repair after a PostgreSQL failover.

Replication to the standby is asynchronous, so when the primary dies the standby that takes over may miss the last
commits: an order, the PaymentIntent id saved on it, its settlement (tickets, `paid`, the ledger row), a refund's
record. Stripe did not fail over: it still has every PaymentIntent, with the metadata checkout gave it (order_id,
show_id, hold_id, profile_id, seat_ids). So each reconciler pass lists the intents created since a watermark and holds
each against the database:

- succeeded, its order `paid` or `refunded`: nothing to do;
- succeeded otherwise: settled like any payment (settlement.settle_intent: tickets if its seats can be had, else a
  full refund); an order the database lost entirely is first written again from the metadata, under a fresh id (the
  old number may belong to another order now) and pending, so that same rule decides;
- canceled: nothing to do;
- still open (the fan may yet pay) with its pending order: the pending pass owns it; without one (the order or the
  intent's id on it was lost), and older than any hold can live, it is cancelled at Stripe, or settled if it turns
  out to have succeeded meanwhile.

The watermark (table payment_watermark, per Stripe account) then moves up to the oldest intent not yet settled in
this sense, never past `now - SETTLING`. It lives in the same database on purpose: the WAL reaches the standby in
order, so a watermark that survived a failover was written after every commit it vouches for survived as well; one
that was lost takes the pass back to where the surviving data is complete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.asyncio import Redis

from backend.booking.guards import ShoppingTurns
from backend.ids import ascii_int
from backend.payments import settlement
from backend.payments.gateway import (
    SEAT_IDS_METADATA,
    GatewayError,
    IntentNotCancelable,
    IntentSnapshot,
    StripeGateway,
    order_idempotency_key,
)
from backend.payments.order_states import PAID, PENDING, REFUNDED
from backend.payments.transactions import is_unique_violation, write_transaction
from backend.timeutil import from_epoch_ms
from db.tables import Order, OrderItem, PaymentWatermark, Profile, Seat, Show

logger = logging.getLogger("showtime.payments.repair")

# Where the first pass of an account starts: further back than any hold and its grace can keep an intent open.
FIRST_LOOKBACK = timedelta(hours=1)
# How long an intent may exist at Stripe before the database shows it (checkout creates it, then saves its id on
# the order), and how far Stripe's clock may be from ours: the watermark stays at least this far behind now.
SETTLING = timedelta(seconds=60)
OPEN = frozenset({"requires_payment_method", "requires_confirmation", "requires_action", "processing",
                  "requires_capture"})


@dataclass
class RepairReport:
    looked_at: int = 0
    restored_orders: int = 0  # orders written again from an intent's metadata
    settled: dict[str, int] = field(default_factory=dict)  # outcome of each payment settled again -> count
    orphans_cancelled: int = 0
    unresolved: int = 0  # intents the watermark waits for


async def repair_from_stripe(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, now: datetime, *,
                             hold_ttl_seconds: int, grace_seconds: int) -> RepairReport:
    report = RepairReport()
    since = await _watermark(gateway.account_tag, now)
    intents = await gateway.intents_created_since(since)
    longest_life = timedelta(seconds=hold_ttl_seconds + grace_seconds) + settlement.expiry_grace(hold_ttl_seconds) \
        + SETTLING
    next_since = int((now - SETTLING).timestamp())
    for intent in sorted(intents, key=lambda item: item.created):
        report.looked_at += 1
        try:
            resolved = await _hold_against_database(redis, gateway, turns, intent, now, longest_life, report)
        except GatewayError:
            resolved = False
        except Exception:
            logger.exception("payment %s: could not hold it against the database; the next pass retries", intent.id)
            resolved = False
        if not resolved:
            report.unresolved += 1
            next_since = min(next_since, intent.created)
    if next_since > since:
        await _save_watermark(gateway.account_tag, next_since, now)
    if report.restored_orders or report.settled or report.orphans_cancelled:
        logger.warning("repaired from Stripe: %d orders written again, payments settled again %s, %d open intents "
                       "without an order cancelled", report.restored_orders, report.settled,
                       report.orphans_cancelled)
    return report


async def _hold_against_database(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, intent: IntentSnapshot,
                                 now: datetime, longest_life: timedelta, report: RepairReport) -> bool:
    """Whether the database now says about this payment what Stripe says (the watermark may pass it)."""
    if intent.status == "canceled":
        return True
    if intent.status == "succeeded":
        if await settlement.settled_status_of_intent(intent.id) is not None:
            return True
        return await _settle_again(redis, gateway, turns, intent, now, report)
    if intent.status not in OPEN:
        return True  # a status this service never leads an intent into: nothing it could settle
    pending = await Order.exists().where((Order.payment_intent_id == intent.id) & (Order.status == PENDING))
    if pending:
        return True  # the reconciler's pending pass settles or expires it
    if now - from_epoch_ms(intent.created * 1000) < longest_life:
        return False  # young: its order may still be on its way (checkout saves the intent's id after creating it)
    return await _cancel_orphan(redis, gateway, turns, intent, now, report)


async def _settle_again(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, intent: IntentSnapshot,
                        now: datetime, report: RepairReport) -> bool:
    if await settlement.order_of_intent(intent) is None:
        if not await _restore_order(intent, now):
            logger.error("payment %s succeeded at Stripe, and neither its order nor what its metadata names is in "
                         "the database: someone must look", intent.id)
            return False
        report.restored_orders += 1
    outcome = await settlement.settle_intent(redis, gateway, intent, now, turns=turns) or "not_ours"
    report.settled[outcome] = report.settled.get(outcome, 0) + 1
    return outcome in (PAID, REFUNDED)


async def _cancel_orphan(redis: Redis, gateway: StripeGateway, turns: ShoppingTurns, intent: IntentSnapshot,
                         now: datetime, report: RepairReport) -> bool:
    """An open intent no pending order of ours points at, older than any hold: nobody may pay it any more."""
    order_id = ascii_int(intent.metadata.get("order_id", ""))
    hold_id = intent.metadata.get("hold_id", "")
    key = order_idempotency_key(order_id, hold_id, "cancel") if order_id is not None and hold_id \
        else f"showtime-orphan-{intent.id}-cancel"
    try:
        await gateway.cancel_intent(intent.id, idempotency_key=key)
    except IntentNotCancelable:
        current = await gateway.retrieve_intent(intent.id)
        if current.status == "succeeded":
            return await _settle_again(redis, gateway, turns, current, now, report)
        return current.status == "canceled"
    report.orphans_cancelled += 1
    return True


async def _restore_order(intent: IntentSnapshot, now: datetime) -> bool:
    """Write the intent's order again from its metadata, pending and already past its hold, with a fresh id; False
    when the metadata does not name a show, profile and seats the database has (an intent made elsewhere)."""
    meta = intent.metadata
    show_id, profile_id = ascii_int(meta.get("show_id", "")), ascii_int(meta.get("profile_id", ""))
    hold_id = meta.get("hold_id", "")
    seat_ids = [ascii_int(seat) for seat in meta.get(SEAT_IDS_METADATA, "").split(",") if seat]
    if show_id is None or profile_id is None or not hold_id or not seat_ids or None in seat_ids:
        return False
    show = await Show.select(Show.venue, Show.currency).where(Show.id == show_id).first()
    if show is None or not await Profile.exists().where(Profile.id == profile_id):
        return False
    seats = await Seat.select(Seat.id, Seat.section.price_cents).where(
        Seat.id.is_in(seat_ids) & (Seat.venue == show["venue"]))
    if len(seats) != len(seat_ids):
        return False
    prices = {row["id"]: row["section.price_cents"] for row in seats}
    # The hold's own id, unless a newer order of the same hold took it meanwhile (orders.hold_id is UNIQUE).
    if await Order.exists().where(Order.hold_id == hold_id):
        hold_id = f"{hold_id}~{intent.id}"[:64]
    try:
        async with write_transaction():
            order_id = (await Order.insert(Order(
                profile=profile_id, show=show_id, hold_id=hold_id, status=PENDING,
                amount_cents=sum(prices.values()), currency=show["currency"], payment_intent_id=intent.id,
                client_secret=intent.client_secret, expires_at=now,
                created_at=from_epoch_ms(intent.created * 1000), updated_at=now,
            )).returning(Order.id))[0]["id"]
            await OrderItem.insert(*(OrderItem(order=order_id, seat=seat, price_cents=price)
                                     for seat, price in sorted(prices.items())))
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        return True  # another process wrote it first (orders.payment_intent_id is UNIQUE)
    logger.warning("payment %s: its order was lost; written again as order %s (was %s)", intent.id, order_id,
                   meta.get("order_id"))
    return True


async def _watermark(account: str, now: datetime) -> int:
    row = await PaymentWatermark.select(PaymentWatermark.created_since).where(
        PaymentWatermark.account == account).first()
    return int(row["created_since"]) if row else int((now - FIRST_LOOKBACK).timestamp())


async def _save_watermark(account: str, created_since: int, now: datetime) -> None:
    try:
        await _move_watermark(account, created_since, now)
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        await _move_watermark(account, created_since, now)  # another process made the row first: move it


async def _move_watermark(account: str, created_since: int, now: datetime) -> None:
    async with write_transaction():
        updated = await PaymentWatermark.update(
            {PaymentWatermark.created_since: created_since, PaymentWatermark.updated_at: now}
        ).where((PaymentWatermark.account == account) & (PaymentWatermark.created_since < created_since)).returning(
            PaymentWatermark.id)
        if not updated and not await PaymentWatermark.exists().where(PaymentWatermark.account == account):
            await PaymentWatermark.insert(PaymentWatermark(account=account, created_since=created_since,
                                                           updated_at=now))
