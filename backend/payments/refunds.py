"""Refunds an organizer makes: some or all seats of a paid order, one at a time or a whole cancelled show's orders
(cancellation.py). The automatic refunds of a payment that could not be honoured are settlement's.

A refund is decided, then paid, then announced:
1. Decided, in one write transaction holding the order's row: the order is `paid`; the seats named (all that are
   left, without `seat_ids`) each have a ticket of this order not refunded yet; a `refund` row records amount,
   seats, reason and idempotency key; the seats' tickets are revoked (the gate answers `invalid`, the offline bundle
   lists them void, and the seat may be sold again: UNIQUE (show, seat) holds among live tickets only); the order's
   `refunded_cents` grows, and it is `refunded` once no ticket is left (order_states.move, the state table's guard).
2. Paid, after the commit: Stripe refunds that amount, with an idempotency key of the refund row's own, so however
   often it is asked (a retried request, the reconciler, the cancellation job after a crash) Stripe makes one refund.
   Stripe's refund and the ledger's refund row (the show's chain) are recorded together, once per refund row; a
   refund row without them is owed, and `retry_owed` pays it.
3. Announced: the seats turn `available` on every map (backend/seats, one diff; the row's `released_at` says it
   happened), and the fan gets an e-mail. A release that failed (Redis unreachable) is done again by the reconciler
   (`release_pending`). However late, it frees only seats this refund's order bought: a seat sold again since
   stays its new buyer's (backend/seats records each sold seat's order).

So money goes out only for a decision that is committed, and at most once per decision; a failure after the commit
loses nothing but time.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from redis.asyncio import Redis

from backend import seats
from backend.errors import Conflict, Invalid, NotFound
from backend.infra.mail import MailNotSent, send_mail
from backend.payments import ledger, order_states
from backend.payments.gateway import GatewayError, StripeGateway
from backend.payments.order_states import ORGANIZER_REFUND, PAID, REFUNDED, SHOW_CANCELLED
from backend.payments.transactions import is_unique_violation, lock_order, write_transaction
from backend.settings import Settings
from backend.tickets import sales
from db.tables import Order, Refund, Ticket

logger = logging.getLogger("showtime.payments.refunds")

# Kinds of refund rows: an organizer's request, or the cancellation job's one refund per order.
ORGANIZER = "organizer"
CANCELLATION = "show_cancelled"
# The cancellation job's idempotency key: one refund per order, found again after a crash.
CANCELLATION_KEY = "show-cancelled"
OWED_BATCH = 100


class NotRefundable(Conflict):
    code = "not_refundable"


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class RefundAsk:
    """What is asked: the order, its seats (None: every seat not refunded yet), why, and the key that makes a
    retry return the first answer."""

    order_id: int
    seat_ids: Sequence[int] | None
    reason: str
    idempotency_key: str | None = None
    kind: str = ORGANIZER


@dataclass(frozen=True)
class RefundRow:
    id: int
    order_id: int
    show_id: int
    amount_cents: int
    currency: str
    seat_ids: list[str]


_ROW_COLUMNS = (Refund.id, Refund.order, Refund.show, Refund.amount_cents, Refund.currency, Refund.seat_ids,
                Refund.reason, Refund.kind, Refund.refunded_at)


def _seat_list(stored: Any) -> list[str]:
    return [str(seat) for seat in (msgspec.json.decode(stored) if isinstance(stored, str | bytes) else stored)]


def _row(row: dict[str, Any]) -> RefundRow:
    return RefundRow(id=row["id"], order_id=row["order"], show_id=row["show"], amount_cents=row["amount_cents"],
                     currency=row["currency"], seat_ids=_seat_list(row["seat_ids"]))


class Refunds:
    """The organizer's refunds, as the app's assembly hands them to the organizer routes and the cancellation job.
    The Stripe gateway is the process's (made at startup); without one, refunds are recorded and owed."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.gateway: StripeGateway | None = None

    def connect(self, gateway: StripeGateway) -> None:
        self.gateway = gateway

    async def refund(self, ask: RefundAsk, now: datetime) -> int:
        """Decide, pay and announce the refund (see the module's doc); returns the order's id. 409 not_refundable
        when the order is not paid (or has no such seat left to refund), 422 for seats it never had, 422
        idempotency_key_reused for a key this order used with other seats or another reason."""
        row, fresh = await self._decide(ask, now)
        await self.pay(row, now)
        # A replay releases again (harmless: only seats this order bought change) in case the first call died
        # before it did.
        await self._release(row, now)
        if fresh:
            await self._mail(row, ask.reason)
        return ask.order_id

    # ---------------------------------------------------------------- 1. decided

    async def _decide(self, ask: RefundAsk, now: datetime) -> tuple[RefundRow, bool]:
        """(the refund row, True when this call made it rather than found it)."""
        key = ask.idempotency_key or f"auto-{secrets.token_hex(12)}"
        try:
            async with write_transaction():
                order = await lock_order(ask.order_id)
                if order is None:
                    raise NotFound("No such order.", code="order_not_found")
                earlier = await Refund.select(*_ROW_COLUMNS).where(
                    (Refund.order == ask.order_id) & (Refund.idempotency_key == key)).first()
                if earlier is not None:
                    self._check_replay(ask, earlier)
                    return _row(earlier), False
                return await self._record(ask, order, key, now), True
        except Exception as exc:
            if not is_unique_violation(exc) or ask.idempotency_key is None:
                raise
        # The same key at the same moment from another request (PostgreSQL: both passed the look before either
        # committed): the winner's refund answers both.
        earlier = await Refund.select(*_ROW_COLUMNS).where(
            (Refund.order == ask.order_id) & (Refund.idempotency_key == key)).first()
        if earlier is None:
            raise RuntimeError(f"refund of order {ask.order_id} with key {key!r} neither made nor found")
        self._check_replay(ask, earlier)
        return _row(earlier), False

    @staticmethod
    def _check_replay(ask: RefundAsk, earlier: dict[str, Any]) -> None:
        if ask.kind == CANCELLATION:
            return  # the job's key is one per order whatever the seats: a crash's replay finishes it
        asked = None if ask.seat_ids is None else sorted(str(seat) for seat in ask.seat_ids)
        same_seats = asked is None or asked == sorted(_seat_list(earlier["seat_ids"]))
        if not same_seats or ask.reason != earlier["reason"]:
            raise IdempotencyKeyReused("This Idempotency-Key was used for another refund of this order.")

    async def _record(self, ask: RefundAsk, order: dict[str, Any], key: str, now: datetime) -> RefundRow:
        if order["status"] != PAID:
            raise NotRefundable(f"This order is {order['status'].replace('_', ' ')}; only a paid order can be "
                                "refunded.", status=order["status"])
        live = await Ticket.select(Ticket.id, Ticket.seat, Ticket.price_cents).where(
            (Ticket.order == order["id"]) & Ticket.revoked_at.is_null()).order_by(Ticket.seat)
        by_seat = {row["seat"]: row for row in live}
        if ask.seat_ids is None:
            chosen = list(by_seat)
        else:
            chosen = sorted(set(ask.seat_ids))
            await self._check_seats(order["id"], chosen, by_seat)
        if not chosen:
            raise NotRefundable("Every seat of this order is refunded already.", status=order["status"])
        amount = sum(by_seat[seat]["price_cents"] for seat in chosen)
        seat_ids = [str(seat) for seat in chosen]
        refund_id = (await Refund.insert(Refund(
            order=order["id"], show=order["show"], amount_cents=amount, currency=order["currency"],
            reason=ask.reason, kind=ask.kind, idempotency_key=key, seat_ids=msgspec.json.encode(seat_ids).decode(),
            created_at=now,
        )).returning(Refund.id))[0]["id"]
        await Ticket.update({Ticket.revoked_at: now, Ticket.refund: refund_id}).where(
            Ticket.id.is_in([by_seat[seat]["id"] for seat in chosen]))
        before = await Order.select(Order.refunded_cents).where(Order.id == order["id"]).first()
        refunded = before["refunded_cents"] if before else 0
        everything = len(chosen) == len(by_seat)
        reason_code = SHOW_CANCELLED if ask.kind == CANCELLATION else ORGANIZER_REFUND
        if everything:
            # The move takes the order's whole amount and its remaining seats off the show's sales counters; the
            # earlier partial refunds took their amounts already, so those are given back to the counters here.
            await order_states.move(order, REFUNDED, now, seats=len(chosen), refunded_cents=refunded + amount,
                                    refund_reason=reason_code)
            await sales.add(order["show"], order["id"], revenue_cents=refunded)
        else:
            await order_states.move(order, PAID, now, refunded_cents=refunded + amount)
            await sales.add(order["show"], order["id"], revenue_cents=-amount, seats_sold=-len(chosen))
        return RefundRow(id=refund_id, order_id=order["id"], show_id=order["show"], amount_cents=amount,
                         currency=order["currency"], seat_ids=seat_ids)

    @staticmethod
    async def _check_seats(order_id: int, chosen: list[int], live: dict[int, dict[str, Any]]) -> None:
        missing = [seat for seat in chosen if seat not in live]
        if not missing:
            return
        refunded = set(await Ticket.select(Ticket.seat).where(
            (Ticket.order == order_id) & Ticket.seat.is_in(missing)).output(as_list=True))
        if refunded == set(missing):
            raise NotRefundable("Some of these seats are refunded already.",
                                seat_ids=[str(seat) for seat in missing])
        raise Invalid("Some of these seats are not in this order.", code="seats_not_in_order",
                      seat_ids=[str(seat) for seat in missing if seat not in refunded])

    # ---------------------------------------------------------------- 2. paid

    async def pay(self, row: RefundRow, now: datetime) -> bool:
        """Have Stripe refund the row's amount (once, whatever the number of calls) and record it with the
        ledger's refund row; False when Stripe could not be asked (the row stays owed)."""
        if self.gateway is None:
            logger.warning("refund %s of order %s owed: payments are not configured here", row.id, row.order_id)
            return False
        order = await Order.select(Order.payment_intent_id, Order.hold_id).where(Order.id == row.order_id).first()
        if order is None or not order["payment_intent_id"]:
            logger.error("refund %s: order %s has no payment to refund", row.id, row.order_id)
            return False
        try:
            refund = await self.gateway.refund_intent(
                order["payment_intent_id"], amount_cents=row.amount_cents,
                metadata={"order_id": str(row.order_id), "refund_id": str(row.id)},
                idempotency_key=f"showtime-refund-{row.id}-{order['hold_id']}")
        except GatewayError:
            logger.warning("refund %s of order %s not issued yet; it is retried", row.id, row.order_id)
            return False
        entry = ledger.LedgerEntry(
            kind=ledger.REFUND, order_ref=row.order_id, stripe_object_id=refund.id if refund else f"refund-{row.id}",
            amount_cents=refund.amount if refund else row.amount_cents, currency=refund.currency if refund else
            row.currency, status=refund.status if refund else "already_refunded", chain=row.show_id)
        async with write_transaction():
            # Guarded by refunded_at: of two callers paying the same row, one records it.
            recorded = await Refund.update({Refund.stripe_refund_id: entry.stripe_object_id,
                                            Refund.refunded_at: now}).where(
                (Refund.id == row.id) & Refund.refunded_at.is_null()).returning(Refund.id)
            if recorded:
                await ledger.append(entry, now)
        return True

    async def retry_owed(self, now: datetime, show_id: int | None = None) -> int:
        """Pay the refund rows Stripe does not have yet (of one show, or all); returns how many were paid."""
        query = Refund.select(*_ROW_COLUMNS).where(Refund.refunded_at.is_null())
        if show_id is not None:
            query = query.where(Refund.show == show_id)
        paid = 0
        for row in await query.order_by(Refund.id).limit(OWED_BATCH):
            # Paying is all that is owed here: the seats were released when the refund was decided, and a release
            # that failed is the reconciler's (release_pending), in the same pass.
            if await self.pay(_row(row), now):
                paid += 1
        return paid

    async def release_pending(self, now: datetime) -> int:
        """Release again the seats of the refunds whose release did not happen (Redis was unreachable, or the process
        stopped between the commit and the release), every one of them, in batches; returns how many were released
        now. A show whose release fails is left for the next pass (its Redis is not answering), the others go on."""
        released, after, unreachable = 0, 0, set()
        while True:
            rows = await Refund.select(*_ROW_COLUMNS).where(
                Refund.released_at.is_null() & (Refund.id > after)).order_by(Refund.id).limit(OWED_BATCH)
            for row in map(_row, rows):
                if row.show_id in unreachable:
                    continue
                if await self._release(row, now):
                    released += 1
                else:
                    unreachable.add(row.show_id)
            if len(rows) < OWED_BATCH:
                return released
            after = rows[-1]["id"]

    # ---------------------------------------------------------------- 3. announced

    async def _release(self, row: RefundRow, now: datetime) -> bool:
        """The refund's seats free on every map, and the row marked released; False when Redis could not be told."""
        try:
            await seats.release_sold(self.redis, row.show_id, row.seat_ids, order_id=row.order_id)
        except Exception:
            # The database already sells the seats again; Redis is told by the reconciler's next pass.
            logger.warning("refund %s: seats not released in Redis yet", row.id, exc_info=True)
            return False
        await Refund.update({Refund.released_at: now}).where((Refund.id == row.id) & Refund.released_at.is_null())
        return True

    async def _mail(self, row: RefundRow, reason: str) -> None:
        fan = await Order.select(Order.profile.email, Order.show.title).where(  # type: ignore[union-attr]
            Order.id == row.order_id).first()
        if fan is None:
            return
        amount = f"{row.amount_cents // 100}.{row.amount_cents % 100:02d} {row.currency}"
        seats_word = "seat" if len(row.seat_ids) == 1 else "seats"
        text = (f"{amount} for {len(row.seat_ids)} {seats_word} of your order {row.order_id} for "
                f"{fan['show.title']} is on its way back to your card.\n\nReason: {reason}\n\n"
                "The tickets of those seats no longer admit; any other tickets of the order stay valid.\n")
        try:
            await send_mail(self.settings, fan["profile.email"], f"Refund: {fan['show.title']}", text,
                            order_id=str(row.order_id), refund_id=str(row.id))
        except MailNotSent:
            logger.warning("refund %s: the fan's e-mail was not sent", row.id)

