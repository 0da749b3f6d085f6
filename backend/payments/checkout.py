"""Checkout: turn a live hold into an order awaiting payment, and a Stripe PaymentIntent the browser confirms.

An order is a snapshot of its hold: one item per held seat at its section price; the amount comes from those
prices, never from the client. One live order per hold (UNIQUE orders.hold_id; a cancelled order gives the hold
back) and per Idempotency-Key (UNIQUE orders.idempotency_key, scoped to the profile): a repeated or concurrent
request finds the order the first one wrote. Should the hold's seats differ from its open order's (a change raced
the checkout), the order is cancelled and a new snapshot taken. The PaymentIntent's own idempotency key derives from
the order, so however many times checkout is retried Stripe holds one intent per order.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from backend import seats
from backend.booking.service import OpenOrderGuard, get_hold, mark_checkout
from backend.catalog.cancellations import refuse_if_cancelled
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache
from backend.errors import BadRequest, Conflict, NotFound, Unavailable
from backend.payments.gateway import SEAT_IDS_METADATA, GatewayError, StripeGateway, order_idempotency_key
from backend.payments.order_states import PENDING
from backend.payments.schemas import OrderStatus
from backend.payments.transactions import is_postgres, is_unique_violation, write_transaction
from backend.tickets import sales
from backend.timeutil import from_epoch_ms
from db.tables import Order, OrderItem

logger = logging.getLogger("showtime.payments.checkout")

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")



@dataclass(frozen=True)
class CheckoutRequest:
    profile_id: int
    show_id: int
    hold_id: str
    idempotency_key: str | None


@dataclass(frozen=True)
class CheckoutOrder:
    id: int
    status: OrderStatus
    amount_cents: int
    currency: str
    expires_at: datetime
    client_secret: str | None


@dataclass(frozen=True)
class CheckoutOutcome:
    order: CheckoutOrder
    created: bool


_COLUMNS = (Order.id, Order.profile, Order.show, Order.hold_id, Order.status, Order.amount_cents, Order.currency,
            Order.expires_at, Order.payment_intent_id, Order.client_secret)


def scoped_idempotency_key(profile_id: int, key: str | None) -> str | None:
    """Keys are the client's own: scoped to the profile, two fans' keys never collide."""
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        raise BadRequest("Idempotency-Key must be 1 to 100 printable ASCII characters.",
                         code="invalid_idempotency_key")
    return f"{profile_id}:{key}"


async def checkout(redis: Redis, gateway: StripeGateway, show_facts: ShowFactsCache, layouts: LayoutCache,
                   open_orders: OpenOrderGuard, request: CheckoutRequest, now: datetime) -> CheckoutOutcome:
    facts = await show_facts.get(request.show_id)
    key = scoped_idempotency_key(request.profile_id, request.idempotency_key)
    existing = await _existing_order(request, key)
    if existing is not None:
        if not await _snapshot_is_stale(redis, existing):
            return CheckoutOutcome(await _with_intent(gateway, existing), created=False)
        await open_orders.before_hold_change(request.show_id, request.hold_id, request.profile_id, now)

    # A hold made before the show was cancelled may not become an order (one already made is refunded if paid).
    await refuse_if_cancelled(redis, facts)
    hold = await get_hold(redis, request.hold_id)
    if hold is None or hold.profile_id != request.profile_id or hold.show_id != request.show_id:
        if hold is None and await _expired_hold_of(redis, request):
            raise Conflict("This hold has expired; hold the seats again.", code="hold_expired")
        raise NotFound("No such hold for this show.", code="hold_not_found")
    # Expired by Redis's clock since it was read: marking it is the atomic check (get_hold compared that clock too).
    if not await mark_checkout(redis, hold):
        raise Conflict("This hold has expired; hold the seats again.", code="hold_expired")
    layout = await layouts.get(facts.venue_id)
    try:
        prices = {seat_id: layout.price_of(seat_id, facts.section_prices) for seat_id in hold.seat_ids}
    except KeyError:
        raise Conflict("The hold names a seat this venue does not have.", code="seat_not_in_venue") from None
    amount = sum(prices.values())
    if amount != hold.amount_cents:
        logger.warning("hold %s says %s cents, section prices say %s: charging the prices", request.hold_id,
                       hold.amount_cents, amount)

    try:
        order = await _create_order(request, key, prices, facts.currency, hold.expires_at_ms, now)
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        # A concurrent request for the same hold or key won the insert: answer with its order.
        existing = await _existing_order(request, key)
        if existing is None:
            raise
        return CheckoutOutcome(await _with_intent(gateway, existing), created=False)
    return CheckoutOutcome(await _with_intent(gateway, order), created=True)


async def _existing_order(request: CheckoutRequest, key: str | None) -> dict | None:
    if key is not None:
        row = await Order.select(*_COLUMNS).where(Order.idempotency_key == key).first()
        if row is not None:
            if row["hold_id"] != request.hold_id or row["show"] != request.show_id:
                raise Conflict("This Idempotency-Key was already used for another checkout.",
                               code="idempotency_key_reused")
            return row
    row = await Order.select(*_COLUMNS).where(Order.hold_id == request.hold_id).first()
    if row is None:
        return None
    if row["profile"] != request.profile_id or row["show"] != request.show_id:
        raise NotFound("No such hold for this show.", code="hold_not_found")
    return row


async def _snapshot_is_stale(redis: Redis, order: dict) -> bool:
    """An open order whose live hold now has other seats (a change raced its checkout)."""
    if order["status"] != PENDING:
        return False
    hold = await get_hold(redis, order["hold_id"])
    if hold is None:
        return False
    items = await OrderItem.select(OrderItem.seat).where(OrderItem.order == order["id"])
    return sorted(str(item["seat"]) for item in items) != sorted(hold.seat_ids)


async def _expired_hold_of(redis: Redis, request: CheckoutRequest) -> bool:
    """Whether the caller's hold is still on record but past its expiry (until the sweeper clears it)."""
    return await seats.hold_owner(redis, request.show_id, request.hold_id) == request.profile_id


# The order, its items and the show's pending-order count in one statement, so one round trip instead of five
# (BEGIN, three INSERTs, COMMIT); a statement is atomic on its own. A unique violation (the hold's or the key's order
# exists) raises as before. (`%%`: the statement goes through %-formatting for its VALUES list.)
_CREATE_ORDER_POSTGRES = (
    "WITH o AS (INSERT INTO orders (profile, show, hold_id, idempotency_key, status, amount_cents, currency,"
    " expires_at, created_at, updated_at) VALUES ({}::integer, {}::integer, {}::text, {}::text, {}::text,"
    " {}::integer, {}::text, {}::timestamptz, {}::timestamptz, {}::timestamptz) RETURNING id, show),"
    f" counted AS ({sales.COUNT_NEW_ORDER.replace('%', '%%')})"
    ' INSERT INTO order_item ("order", seat, price_cents) SELECT o.id, v.seat, v.price FROM o, (VALUES %s)'
    ' AS v(seat, price) RETURNING "order"'
)


async def _create_order(request: CheckoutRequest, key: str | None, prices: dict[str, int], currency: str,
                        expires_at_ms: int, now: datetime) -> dict:
    expires_at = from_epoch_ms(expires_at_ms)
    amount = sum(prices.values())
    if is_postgres():
        rows = await Order.raw(
            _CREATE_ORDER_POSTGRES % ", ".join(["({}::integer, {}::integer)"] * len(prices)),
            request.profile_id, request.show_id, request.hold_id, key, PENDING, amount, currency, expires_at, now,
            now, *(value for seat_id, price in prices.items() for value in (int(seat_id), price)))
        return _created(rows[0]["order"], request, amount, currency, expires_at)
    async with write_transaction():
        order_id = (await Order.insert(Order(
            profile=request.profile_id, show=request.show_id, hold_id=request.hold_id, idempotency_key=key,
            status=PENDING, amount_cents=amount, currency=currency, expires_at=expires_at, created_at=now,
            updated_at=now,
        )).returning(Order.id))[0]["id"]
        await OrderItem.insert(*(
            OrderItem(order=order_id, seat=int(seat_id), price_cents=price) for seat_id, price in prices.items()
        ))
        await sales.add(request.show_id, order_id, pending=1)
    return _created(order_id, request, amount, currency, expires_at)


def _created(order_id: int, request: CheckoutRequest, amount: int, currency: str, expires_at: datetime) -> dict:
    return {"id": order_id, "profile": request.profile_id, "show": request.show_id, "hold_id": request.hold_id,
            "status": PENDING, "amount_cents": amount, "currency": currency, "expires_at": expires_at,
            "payment_intent_id": None, "client_secret": None}


async def _with_intent(gateway: StripeGateway, order: dict) -> CheckoutOrder:
    """The order with its PaymentIntent, creating the intent if an earlier attempt could not."""
    client_secret = order["client_secret"]
    if order["payment_intent_id"] is None and order["status"] == PENDING:
        seats = await OrderItem.select(OrderItem.seat).where(OrderItem.order == order["id"]).output(as_list=True)
        try:
            intent = await gateway.create_intent(
                amount_cents=order["amount_cents"], currency=order["currency"],
                # Enough to write the order again should the database lose it (a failover: reconciler.py).
                metadata={"order_id": str(order["id"]), "show_id": str(order["show"]),
                          "hold_id": order["hold_id"], "profile_id": str(order["profile"]),
                          SEAT_IDS_METADATA: ",".join(str(seat) for seat in sorted(seats))},
                description=f"Showtime order {order['id']}",
                idempotency_key=order_idempotency_key(order["id"], order["hold_id"], "payment-intent"),
            )
        except GatewayError:
            raise Unavailable("The payment provider is not answering; try again in a moment.",
                              code="payment_provider_unavailable") from None
        # Racing checkouts got the same intent from Stripe (same idempotency key); the first write stands.
        await Order.update({Order.payment_intent_id: intent.id, Order.client_secret: intent.client_secret}).where(
            (Order.id == order["id"]) & Order.payment_intent_id.is_null()
        )
        client_secret = intent.client_secret
    return CheckoutOrder(id=order["id"], status=order["status"], amount_cents=order["amount_cents"],
                         currency=order["currency"], expires_at=order["expires_at"], client_secret=client_secret)
