"""The sale cockpit's figures (API.md, "Organizers": GET .../dashboard and its socket), read without ever counting
the orders table, so a show with 100,000 orders answers as fast as one with ten:

- seats: held and sold from the live seat state in Redis (one HLEN: every held or sold seat is a field) and the
  show's sold-seat counter; available is the rest of the house;
- orders and revenue: the show's counters (backend/tickets/sales.py: at most STRIPES rows, kept by every change
  of an order's status in its own transaction);
- pace: paid per minute and payment → paid percentiles from Redis (the last minute, the last 1,000 payments);
- the waiting room: its line's status (serving, waiting, admission rate), through WaitingRooms.
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from backend import seats
from backend.catalog.facts import ShowFacts
from backend.organizer.show_schemas import Dashboard, DashboardOrders, DashboardQueue, DashboardSeats, Latency
from backend.organizer.waiting_rooms import WaitingRooms
from backend.tickets import sales
from backend.timeutil import now_ms


async def dashboard(redis: Redis, waiting_rooms: WaitingRooms, facts: ShowFacts) -> Dashboard:
    taken, counters, pace, line = await asyncio.gather(
        seats.unavailable_counts(redis, [facts.id]), sales.read_counters(facts.id),
        sales.read_pace(redis, facts.id, now_ms()),
        waiting_rooms.status(facts.id) if facts.queue_enabled else _none())
    sold = counters.seats_sold
    unavailable = taken.get(facts.id)
    # Not built in Redis (nobody has held a seat since it last had the show): nothing is held.
    held = 0 if unavailable is None else max(0, unavailable - sold)
    return Dashboard(
        seats=DashboardSeats(available=max(0, facts.seats_total - held - sold), held=held, sold=sold),
        revenue_cents=counters.revenue_cents,
        currency=facts.currency,
        orders=DashboardOrders(paid=counters.paid_orders, refunded=counters.refunded_orders,
                               pending_payment=counters.pending_orders),
        queue=None if line is None else DashboardQueue(waiting=line.waiting, serving=line.serving,
                                                       admitted_per_minute=round(line.rate_per_s * 60)),
        paid_per_minute=pace.paid_per_minute,
        payment_to_paid_ms=Latency(p50=pace.p50_ms, p99=pace.p99_ms),
    )


async def _none() -> None:
    return None
