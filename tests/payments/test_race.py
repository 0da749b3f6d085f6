"""Flash-sale acceptance, built on the holds race (tests/booking/race.py): a hundred fans fire five hundred
simultaneous holds at overlapping seats on a two-process server, every hold is checked out and paid through the
stand-in, and the database ends with exactly one ticket per held seat. Even when Redis forgets every lock in the
middle of the sale, no seat is sold twice: the database's UNIQUE(show, seat) decides, and the losers are
refunded."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from backend.payments.ledger import verify_chain
from db.tables import Order, OrderItem, PaymentLedgerEntry, Ticket
from tests.booking.race import (
    Fan,
    close_fans,
    hold_race,
    plan_requests,
    register_fans,
    seats_in_two_holds,
    signed_in_fans,
)
from tests.payments.helpers import Standin, checkout, eventually, intent_id_of, sold_count
from tests.support.data import create_show

FANS = 100
REQUESTS = 500


async def _checkout_all(fans: list[Fan], owners: dict[str, int], show_id: int) -> list[dict]:
    by_index = {fan.index: fan for fan in fans}
    responses = await asyncio.gather(*(checkout(by_index[owner].client, show_id, hold_id)
                                       for hold_id, owner in owners.items()))
    for response in responses:
        assert response.status_code == 201, response.text
    return [r.json() for r in responses]


async def _pay_all(standin: Standin, orders: list[dict]) -> None:
    limit = asyncio.Semaphore(32)

    async def pay(order: dict) -> None:
        async with limit:
            await standin.pay(order["payment"]["client_secret"])

    await asyncio.gather(*(pay(order) for order in orders))


async def _settled(order_ids: list[int], timeout: float) -> dict[int, str]:
    async def check() -> dict[int, str] | None:
        rows = await Order.select(Order.id, Order.status).where(Order.id.is_in(order_ids))
        statuses = {row["id"]: row["status"] for row in rows}
        return statuses if all(s != "pending_payment" for s in statuses.values()) else None

    return await eventually(check, timeout, interval=0.25)


async def _sold_seats(show_id: int) -> list[int]:
    """Every ticketed seat of the show, after checking that none has two tickets."""
    doubles = await Ticket.raw(
        'SELECT "seat", COUNT(*) AS n FROM ticket WHERE "show" = {} GROUP BY "seat" HAVING COUNT(*) > 1', show_id)
    assert doubles == []
    seats = await Ticket.select(Ticket.seat).where(Ticket.show == show_id).output(as_list=True)
    assert await sold_count(show_id) == len(seats)
    return seats


async def test_flash_sale_sells_each_seat_exactly_once(race_server, redis: Redis) -> None:
    show = await create_show()  # 80 seats for 100 fans
    fans = await signed_in_fans(redis, race_server.url, FANS)
    try:
        outcome = await hold_race(show.id, plan_requests(fans, show.seat_ids, REQUESTS, seed=5))
        assert len(outcome.attempts) == REQUESTS and set(outcome.statuses) <= {201, 409, 422}, outcome.statuses
        assert seats_in_two_holds(outcome.holds) == {}
        held_seats = {seat for seats in outcome.holds.values() for seat in seats}

        orders = await _checkout_all(fans, outcome.owners, show.id)
        await _pay_all(Standin(race_server), orders)
        statuses = await _settled([int(o["order_id"]) for o in orders], timeout=60)
        assert set(statuses.values()) == {"paid"}
        assert sorted(map(str, await _sold_seats(show.id))) == sorted(held_seats)
        assert (await verify_chain()).ok
    finally:
        await close_fans(fans)


async def test_redis_flushed_mid_sale_still_sells_each_seat_once(race_server, redis: Redis) -> None:
    show = await create_show(rows=1, seats_per_row=15)  # 30 seats
    standin = Standin(race_server)
    first_wave = await register_fans(race_server.url, 30)
    second_wave: list[Fan] = []
    try:
        first = await hold_race(show.id, plan_requests(first_wave, show.seat_ids, 150, seed=6))
        first_orders = await _checkout_all(first_wave, first.owners, show.id)
        first_seats = sorted({seat for seats in first.holds.values() for seat in seats})

        await redis.flushdb()  # every lock, hold and session is gone; the orders are in the database

        second_wave = await register_fans(race_server.url, 30)
        second = await hold_race(show.id, plan_requests(second_wave, first_seats, 150, seed=7))
        assert second.holds, "after the flush the same seats are holdable again"
        second_orders = await _checkout_all(second_wave, second.owners, show.id)

        orders = [order for pair in zip(first_orders, second_orders, strict=False) for order in pair]
        orders += first_orders[len(second_orders):] + second_orders[len(first_orders):]
        await _pay_all(standin, orders)
        statuses = await _settled([int(o["order_id"]) for o in orders], timeout=60)
    finally:
        await close_fans(first_wave + second_wave)
    assert set(statuses.values()) <= {"paid", "refunded"}
    assert "refunded" in statuses.values(), "two paid orders should have wanted one seat"

    items = await OrderItem.select(OrderItem.order, OrderItem.seat).where(OrderItem.order.is_in(list(statuses)))
    paid_seats = sorted(item["seat"] for item in items if statuses[item["order"]] == "paid")
    assert sorted(await _sold_seats(show.id)) == paid_seats  # paid orders have every seat, refunded ones none

    refunded = [o for o in orders if statuses[int(o["order_id"])] == "refunded"]
    for order in refunded:
        assert await Ticket.count().where(Ticket.order == int(order["order_id"])) == 0
        assert await standin.events(type="charge.refunded",
                                    payment_intent=intent_id_of(order["payment"]["client_secret"]))

    async def refunds_in_ledger() -> bool:
        return await PaymentLedgerEntry.count().where(
            (PaymentLedgerEntry.kind == "refund")
            & PaymentLedgerEntry.order_ref.is_in([int(o["order_id"]) for o in refunded])) == len(refunded)

    await eventually(refunds_in_ledger, 10)
    assert (await verify_chain()).ok
