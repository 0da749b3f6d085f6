"""Flash-sale acceptance: many fans, hundreds of concurrent holds on overlapping seats, every hold checked out and
paid through the stand-in, on a two-process server. Never two tickets for one seat, even when Redis forgets
every lock in the middle of the sale (then the database's UNIQUE(show, seat) decides, and the losers are
refunded)."""

from __future__ import annotations

import asyncio
import random

import httpx
from redis.asyncio import Redis

from backend.payments.ledger import verify_chain
from db.tables import Order, OrderItem, PaymentLedgerEntry, Show, Ticket
from tests.payments.helpers import Standin, checkout, eventually, intent_id_of
from tests.support.data import TestShow, create_show

FANS = 100
REQUESTS_PER_FAN = 5


async def _fans(fan_on, server, count: int) -> list[httpx.AsyncClient]:
    limit = asyncio.Semaphore(16)

    async def one() -> httpx.AsyncClient:
        async with limit:
            return await fan_on(server)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _hold_wave(fans: list[httpx.AsyncClient], show: TestShow, seats: list[str], rng: random.Random
                     ) -> dict[int, str]:
    """Every fan fires REQUESTS_PER_FAN hold requests at once for 1-2 seats of the pool; returns the hold id
    of each fan that got anything (by fan index)."""

    async def attempt(index: int) -> tuple[int, httpx.Response]:
        wanted = rng.sample(seats, rng.choice((1, 1, 2)))
        return index, await fans[index].post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": wanted})

    results = await asyncio.gather(*(attempt(i) for i in range(len(fans)) for _ in range(REQUESTS_PER_FAN)))
    assert len(results) == len(fans) * REQUESTS_PER_FAN
    holds: dict[int, str] = {}
    for index, response in results:
        assert response.status_code in (201, 409, 422), response.text
        if response.status_code == 201:
            holds[index] = response.json()["hold_id"]
    return holds


async def _checkout_all(fans: list[httpx.AsyncClient], show: TestShow, holds: dict[int, str]) -> list[dict]:
    responses = await asyncio.gather(*(checkout(fans[i], show.id, hold_id) for i, hold_id in holds.items()))
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


async def _assert_no_seat_sold_twice(show_id: int) -> list[int]:
    doubles = await Ticket.raw(
        'SELECT "seat", COUNT(*) AS n FROM ticket WHERE "show" = {} GROUP BY "seat" HAVING COUNT(*) > 1', show_id)
    assert doubles == []
    seats = await Ticket.select(Ticket.seat).where(Ticket.show == show_id).output(as_list=True)
    sold = (await Show.select(Show.seats_sold).where(Show.id == show_id).first())["seats_sold"]
    assert sold == len(seats)
    return seats


async def test_flash_sale_sells_each_seat_once(race_server, fan_on) -> None:
    show = await create_show(rows=2, seats_per_row=10)  # 40 seats for 100 fans
    rng = random.Random(1)
    fans = await _fans(fan_on, race_server, FANS)
    holds = await _hold_wave(fans, show, show.seat_ids, rng)  # 500 hold requests at once
    assert len(holds) >= 5

    held_seats: dict[str, str] = {}  # seat -> hold id: holds never share a seat
    for index, hold_id in holds.items():
        current = (await fans[index].get(f"/api/v1/holds/{hold_id}")).json()
        for seat in current["seat_ids"]:
            assert seat not in held_seats, f"seat {seat} in two holds"
            held_seats[seat] = hold_id

    orders = await _checkout_all(fans, show, holds)
    await _pay_all(Standin(race_server), orders)
    statuses = await _settled([int(o["order_id"]) for o in orders], timeout=60)
    assert set(statuses.values()) == {"paid"}

    sold = await _assert_no_seat_sold_twice(show.id)
    assert sorted(map(str, sold)) == sorted(held_seats)
    report = await verify_chain()
    assert report.ok, report


async def test_redis_flushed_mid_sale_still_sells_each_seat_once(race_server, fan_on, redis: Redis) -> None:
    show = await create_show(rows=1, seats_per_row=15)  # 30 seats
    rng = random.Random(2)
    standin = Standin(race_server)

    first_wave = await _fans(fan_on, race_server, 30)
    first_holds = await _hold_wave(first_wave, show, show.seat_ids, rng)
    first_orders = await _checkout_all(first_wave, show, first_holds)
    first_seats = {str(s) for s in await OrderItem.select(OrderItem.seat).where(
        OrderItem.order.is_in([int(o["order_id"]) for o in first_orders])).output(as_list=True)}

    await redis.flushdb()  # every lock, every hold and every session is gone

    second_wave = await _fans(fan_on, race_server, 30)
    second_holds = await _hold_wave(second_wave, show, sorted(first_seats), rng)
    assert second_holds, "after the flush the same seats should be holdable again"
    second_orders = await _checkout_all(second_wave, show, second_holds)

    orders = first_orders + second_orders
    rng.shuffle(orders)
    await _pay_all(standin, orders)
    statuses = await _settled([int(o["order_id"]) for o in orders], timeout=60)
    assert set(statuses.values()) <= {"paid", "refunded"}
    assert "refunded" in statuses.values(), "the flush should have let two orders want one seat"

    sold = await _assert_no_seat_sold_twice(show.id)
    items = await OrderItem.select(OrderItem.order, OrderItem.seat).where(
        OrderItem.order.is_in(list(statuses)))
    paid_seats = sorted(i["seat"] for i in items if statuses[i["order"]] == "paid")
    assert sorted(sold) == paid_seats  # every paid order has all its seats, refunded ones none

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
