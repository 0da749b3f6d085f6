"""The purchase lifecycle's service: the transitions a fan starts (cancel an order, say "paying", change the seats of
a hold in checkout). The transitions Stripe starts (succeeded, failed, processing, cancelled) are in settlement.py;
both write an order's status only through order_states.move, so the state table holds whoever moves first.

Why "cancel the open order" and "409 hold_in_checkout" both: before the fan says they are paying, a change of seats
costs nothing to undo (the PaymentIntent is cancelled at Stripe, so the old amount can never be charged, and the next
checkout snapshots the new seats). Once the card is on its way, cancelling would race a charge that may already be
captured: the seats are frozen until the payment settles or visibly fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from backend.booking.guards import ShoppingTurns
from backend.booking.service import release_hold
from backend.errors import Conflict, NotFound, Unavailable
from backend.payments import order_states, settlement
from backend.payments.gateway import (
    GatewayError,
    IntentMissing,
    IntentNotCancelable,
    StripeGateway,
    order_idempotency_key,
)
from backend.payments.order_states import CANCELLED, EXPIRED, PENDING, OrderStatus
from backend.payments.settlement import OrderFacts
from backend.payments.transactions import lock_order, write_transaction
from db.tables import Order

logger = logging.getLogger("showtime.payments.order_lifecycle")


class HoldInCheckout(Conflict):
    code = "hold_in_checkout"


def hold_in_checkout(order_id: int) -> HoldInCheckout:
    return HoldInCheckout("A payment for these seats is on its way: they cannot change until it completes or fails.",
                          order_id=str(order_id))


def retired_hold_id(hold_id: str, order_id: int) -> str:
    """A cancelled order's copy of its hold id: frees orders.hold_id (UNIQUE) for the hold's next order."""
    return f"{hold_id}~{order_id}"


@dataclass(frozen=True)
class Paying:
    order_id: int
    status: OrderStatus
    expires_at: datetime


class OrderLifecycle:
    """Booking's OpenOrderGuard (handed to it by the app's assembly), and the fan's order transitions."""

    def __init__(self, redis: Redis, gateway: StripeGateway | None, grace_seconds: int,
                 turns: ShoppingTurns) -> None:
        self.redis = redis
        self._gateway = gateway
        self.grace_seconds = grace_seconds
        self.turns = turns

    def connect(self, gateway: StripeGateway) -> None:
        """The process's Stripe gateway, made when the app starts (after the lifecycle itself was wired in)."""
        self._gateway = gateway

    @property
    def gateway(self) -> StripeGateway:
        # Only transitions that talk to Stripe need it: holds work on a server without payments configured.
        if self._gateway is None:
            raise Unavailable("Payments are not configured on this server.", code="payments_unavailable")
        return self._gateway

    # ---------------------------------------------------------------- the fan's transitions

    async def cancel(self, order_id: int, profile_id: int, now: datetime) -> None:
        """DELETE /orders/{id}: cancel the unpaid order, release its hold (the seats are available at once)."""
        order = await self._owned(order_id, profile_id)
        if order.status == CANCELLED:
            return
        if order.status != PENDING:
            raise Conflict(f"This order is {order.status}; only an unpaid order can be cancelled.",
                           code="order_not_cancellable", status=order.status)
        await self._cancel(order, now)
        try:
            await release_hold(self.redis, self.turns, order.show_id, order.hold_id, order.profile_id)
        except NotFound:
            pass  # the hold had already ended: nothing left to release

    async def paying(self, order_id: int, profile_id: int, now: datetime) -> Paying:
        """POST /orders/{id}/paying: the fan is about to confirm the card; the hold gets its grace (once)."""
        order = await self._owned(order_id, profile_id)
        if order.status != PENDING:
            raise Conflict(f"This order is {order.status}; there is nothing to pay.", code="order_not_payable",
                           status=order.status)
        expires_at = await settlement.start_grace(self.redis, order, self.grace_seconds, now)
        if expires_at is None:
            raise Conflict("This hold has expired; hold the seats again.", code="hold_expired")
        return Paying(order_id=order.id, status=PENDING, expires_at=expires_at)

    async def before_hold_change(self, show_id: int, hold_id: str, profile_id: int, now: datetime) -> None:
        """Booking asks before it adds or releases seats of a hold: the hold's open order is cancelled first, or the
        change is refused with 409 hold_in_checkout while a payment is in flight."""
        row = await Order.select(*settlement.FACT_COLUMNS).where(
            (Order.hold_id == hold_id) & (Order.status == PENDING) & (Order.profile == profile_id)
        ).first()
        if row is not None:
            await self._cancel(settlement.facts_of(row), now)

    # ---------------------------------------------------------------- guarded steps

    async def _owned(self, order_id: int, profile_id: int) -> OrderFacts:
        order = await settlement.load_order(order_id)
        if order is None or order.profile_id != profile_id:
            raise NotFound("No such order.", code="order_not_found")
        return order

    async def _cancel(self, order: OrderFacts, now: datetime) -> None:
        """Cancel the PaymentIntent at Stripe, then the order. A payment that won the race is settled instead."""
        if await self._payment_in_flight(order):
            raise hold_in_checkout(order.id)
        if order.payment_intent_id:
            try:
                await self.gateway.cancel_intent(
                    order.payment_intent_id, idempotency_key=order_idempotency_key(order.id, order.hold_id, "cancel"))
            except IntentNotCancelable:
                intent = await self.gateway.retrieve_intent(order.payment_intent_id)
                if intent.status == "succeeded":
                    await settlement.settle_intent(self.redis, self.gateway, intent, now, turns=self.turns)
                    raise Conflict("This order was paid a moment ago.", code="order_paid",
                                   order_id=str(order.id)) from None
                if intent.status != "canceled":
                    raise hold_in_checkout(order.id) from None
            except IntentMissing:
                logger.warning("order %s: Stripe does not know its intent; cancelling the order alone", order.id)
            except GatewayError:
                raise Unavailable("The payment provider is not answering; try again in a moment.",
                                  code="payment_provider_unavailable") from None
        async with write_transaction():
            row = await lock_order(order.id)
            # EXPIRED: Stripe's payment_intent.canceled webhook for the cancellation just made overtook this
            # transaction and closed the order first. It is closed and unpaid either way: what was asked is done.
            if row is None or row["status"] in (CANCELLED, EXPIRED):
                return
            if row["status"] != PENDING:
                raise Conflict(f"This order is {row['status']} now.", code="order_not_cancellable",
                               status=row["status"])
            await order_states.move(row, CANCELLED, now, hold_id=retired_hold_id(order.hold_id, order.id),
                                    idempotency_key=None)
        logger.info("order %s cancelled before payment", order.id)

    async def _payment_in_flight(self, order: OrderFacts) -> bool:
        """The fan said "paying" (or Stripe said processing) and Stripe does not show that attempt failed."""
        if order.paying_at is None or order.payment_intent_id is None:
            return False
        try:
            intent = await self.gateway.retrieve_intent(order.payment_intent_id)
        except GatewayError:
            return True  # cannot tell: keep the seats frozen rather than cancel under a payment
        if intent.status == "requires_payment_method" and intent.last_payment_error is not None:
            return False  # declined: nothing is in flight any more
        return intent.status != "canceled"

