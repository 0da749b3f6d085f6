"""A show's sales in figures, kept as they happen so that no reader ever counts the orders table (the organizer's
dashboard, API.md "Organizers"; pretix's took 15 s with 13,000 orders, its issue 1235).

- **Counters** (`show_sales`, exact): orders paid, refunded and pending payment, revenue, seats sold. Every change
  of an order's status moves them in the same transaction (`count_move`, called by payments' one status write,
  `order_states.move`, and by checkout's insert), so they are as right as the orders themselves. A show's counters
  are STRIPES rows, an order counting in row `order id mod STRIPES`: two settlements of one show seldom wait on
  the same row, and a read sums at most STRIPES rows, however many orders the show has.
- **Pace** (Redis, may be lost): when each of the last minute's orders was paid, and how long the last LATENCIES
  payments took from the fan paying to the order being paid (`record_paid`, after the commit). A lost pace only
  shows as zero until the next payments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Sum
from redis.asyncio import Redis

from backend.infra.keyspace import show_tag
from db.tables import ShowSales

STRIPES = 8  # db/migrations/showtime_2026_12_06t17_30_30 starts the counters with the same number
PACE_WINDOW_MS = 60_000
LATENCIES = 1_000  # payments whose latency the percentiles cover

# The order statuses the counters follow (payments' order_states spells them the same).
PENDING = "pending_payment"
PAID = "paid"
REFUNDED = "refunded"
_COUNTED = {PENDING: "pending_orders", PAID: "paid_orders", REFUNDED: "refunded_orders"}

_UPSERT = (
    "INSERT INTO show_sales (show, stripe, paid_orders, refunded_orders, pending_orders, revenue_cents, seats_sold) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT (show, stripe) DO UPDATE SET "
    "paid_orders = show_sales.paid_orders + excluded.paid_orders, "
    "refunded_orders = show_sales.refunded_orders + excluded.refunded_orders, "
    "pending_orders = show_sales.pending_orders + excluded.pending_orders, "
    "revenue_cents = show_sales.revenue_cents + excluded.revenue_cents, "
    "seats_sold = show_sales.seats_sold + excluded.seats_sold"
)


# Checkout's one statement (payments/checkout.py) counts the order it inserts with this, a data-modifying CTE over
# `o`, the inserted order (id, show): the same move as add(show, order, pending=1), in the same statement.
COUNT_NEW_ORDER = (
    "INSERT INTO show_sales (show, stripe, paid_orders, refunded_orders, pending_orders, revenue_cents, seats_sold) "
    f"SELECT o.show, o.id % {STRIPES}, 0, 0, 1, 0, 0 FROM o ON CONFLICT (show, stripe) DO UPDATE SET "
    "pending_orders = show_sales.pending_orders + 1"
)


@dataclass(frozen=True)
class Counters:
    paid_orders: int = 0
    refunded_orders: int = 0
    pending_orders: int = 0
    revenue_cents: int = 0
    seats_sold: int = 0


async def add(show_id: int, order_id: int, *, paid: int = 0, refunded: int = 0, pending: int = 0,
              revenue_cents: int = 0, seats_sold: int = 0) -> None:
    """Move a show's counters; inside the transaction that changes what they count."""
    if not (paid or refunded or pending or revenue_cents or seats_sold):
        return
    await ShowSales.raw(_UPSERT, show_id, order_id % STRIPES, paid, refunded, pending, revenue_cents, seats_sold)


async def count_move(order: dict, source: str, target: str, *, seats: int = 0) -> None:
    """An order (a row with id, show, amount_cents) moves from `source` to `target`: what the counters see of it.
    Paid adds its amount and `seats` to the revenue and the seats sold; paid to refunded takes them back."""
    if source == target:
        return
    delta = {name: 0 for name in _COUNTED.values()}
    if source in _COUNTED:
        delta[_COUNTED[source]] -= 1
    if target in _COUNTED:
        delta[_COUNTED[target]] += 1
    revenue = sold = 0
    if target == PAID:
        revenue, sold = order["amount_cents"], seats
    elif source == PAID:
        revenue, sold = -order["amount_cents"], -seats
    await add(order["show"], order["id"], paid=delta["paid_orders"], refunded=delta["refunded_orders"],
              pending=delta["pending_orders"], revenue_cents=revenue, seats_sold=sold)


def counters_query(show_id: int):
    """The one statement a dashboard reads the counters with: at most STRIPES rows, by the unique index."""
    return ShowSales.select(
        Sum(ShowSales.paid_orders, alias="paid_orders"), Sum(ShowSales.refunded_orders, alias="refunded_orders"),
        Sum(ShowSales.pending_orders, alias="pending_orders"), Sum(ShowSales.revenue_cents, alias="revenue_cents"),
        Sum(ShowSales.seats_sold, alias="seats_sold"),
    ).where(ShowSales.show == show_id)


async def read_counters(show_id: int) -> Counters:
    row = (await counters_query(show_id))[0] if show_id else {}
    return Counters(**{name: int(row.get(name) or 0) for name in Counters.__dataclass_fields__})


# ---------------------------------------------------------------- pace (Redis)


def _paid_key(show_id: int) -> str:
    return f"{show_tag(show_id)}:sales:paid"


def _latency_key(show_id: int) -> str:
    return f"{show_tag(show_id)}:sales:latency"


async def record_paid(redis: Redis, show_id: int, order_id: int, paid_at_ms: int, latency_ms: int | None) -> None:
    """After an order's commit as paid: its moment (paid per minute) and, when known, its payment → paid time."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zadd(_paid_key(show_id), {str(order_id): paid_at_ms})
        pipe.zremrangebyscore(_paid_key(show_id), "-inf", paid_at_ms - PACE_WINDOW_MS)
        pipe.pexpire(_paid_key(show_id), PACE_WINDOW_MS * 2)
        if latency_ms is not None:
            pipe.lpush(_latency_key(show_id), max(0, latency_ms))
            pipe.ltrim(_latency_key(show_id), 0, LATENCIES - 1)
        await pipe.execute()


@dataclass(frozen=True)
class Pace:
    paid_per_minute: int
    p50_ms: int | None
    p99_ms: int | None


def percentile(values: list[int], fraction: float) -> int | None:
    """The nearest-rank percentile (the smallest value with at least `fraction` of the values at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


async def read_pace(redis: Redis, show_id: int, now_ms: int) -> Pace:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcount(_paid_key(show_id), now_ms - PACE_WINDOW_MS, "+inf")
        pipe.lrange(_latency_key(show_id), 0, LATENCIES - 1)
        paid, latencies = await pipe.execute()
    values = [int(value) for value in latencies]
    return Pace(paid_per_minute=int(paid), p50_ms=percentile(values, 0.5), p99_ms=percentile(values, 0.99))
