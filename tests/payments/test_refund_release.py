"""A refund's seats given back in Redis: a release that failed is done by the reconciler's next pass, and a late or
repeated release frees only seats the refunded order bought, never a seat sold again since."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

from backend import seats
from backend.payments.reconciler import reconcile_once
from backend.payments.refunds import OWED_BATCH, RefundAsk, Refunds
from backend.seats import _keys as seat_keys
from backend.settings import load_settings
from backend.timeutil import utcnow
from db.tables import Refund
from realtime.waiting_room import Admissions
from tests.payments.helpers import Standin
from tests.payments.test_settlement import _intent_of, _paid_order, _settle
from tests.support.data import create_show


async def _status(redis: Redis, show_id: int, seat_id: str) -> str:
    _, state = await seats.read_state(redis, show_id)
    value = state.get(seat_id.encode())
    return "available" if value is None else seats.status_of(value)


@asynccontextmanager
async def releases_failing(redis: Redis, show_id: int) -> AsyncIterator[None]:
    """Every process's release of the show's sold seats fails until the block ends (the show's buyers' hash made a
    string, so the release script errors), as when its Redis cannot be reached: the suite's servers run reconcilers
    of their own on the same database and Redis, so a failure patched into this process alone would not hold."""
    key = seat_keys.sold_by(show_id)
    buyers = await redis.hgetall(key)
    await redis.delete(key)
    await redis.set(key, "unreachable")
    try:
        yield
    finally:
        await redis.delete(key)
        if buyers:
            await redis.hset(key, mapping=buyers)


async def _sold_to_a_fan(redis: Redis, gateway, standin: Standin, show, seat_ids: list[str]) -> int:
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, seat_ids)
    assert await _settle(redis, gateway, await _intent_of(gateway, order_id)) == "paid"
    return order_id


@pytest.fixture
async def refunds(redis: Redis, gateway) -> Refunds:
    refunds = Refunds(redis, load_settings())
    refunds.connect(gateway)
    return refunds


async def test_a_release_that_failed_is_done_by_the_reconciler(server, gateway, redis, refunds) -> None:
    show = await create_show()
    seat = show.rows["Back/C"][0]
    order_id = await _sold_to_a_fan(redis, gateway, Standin(server), show, [seat])
    async with releases_failing(redis, show.id):
        await refunds.refund(RefundAsk(order_id, None, "Release lost"), utcnow())
        assert await _status(redis, show.id, seat) == "sold"  # the database sells it again; the maps do not know yet
        assert (await Refund.select(Refund.released_at).where(Refund.order == order_id).first())["released_at"] is None

    await reconcile_once(redis, gateway, utcnow(), turns=Admissions(redis), hold_ttl_seconds=480, refunds=refunds)
    assert await _status(redis, show.id, seat) == "available"
    assert (await Refund.select(Refund.released_at).where(Refund.order == order_id).first())["released_at"]
    await reconcile_once(redis, gateway, utcnow(), turns=Admissions(redis), hold_ttl_seconds=480, refunds=refunds)
    assert await _status(redis, show.id, seat) == "available"


async def test_a_repeated_refund_does_not_free_the_seat_of_its_next_buyer(server, gateway, redis, refunds) -> None:
    show = await create_show()
    seat = show.rows["Back/C"][1]
    standin = Standin(server)
    first = await _sold_to_a_fan(redis, gateway, standin, show, [seat])
    ask = RefundAsk(first, None, "Changed plans", idempotency_key="refund-once")
    await refunds.refund(ask, utcnow())
    assert await _status(redis, show.id, seat) == "available"
    await _sold_to_a_fan(redis, gateway, standin, show, [seat])  # sold again, to another fan
    await refunds.refund(ask, utcnow())  # the organizer's client retries its request
    await Refund.update({Refund.released_at: None}).where(Refund.order == first)
    await refunds.release_pending(utcnow())  # and a pass releases it once more, however late
    assert await _status(redis, show.id, seat) == "sold"


async def test_a_pass_releases_every_pending_refund_and_leaves_only_a_show_it_cannot_reach(
    server, gateway, redis, refunds
) -> None:
    standin = Standin(server)
    unreachable, reachable = await create_show(), await create_show()
    lost_seat = unreachable.rows["Back/C"][2]
    lost = await _sold_to_a_fan(redis, gateway, standin, unreachable, [lost_seat])
    order_id = await _sold_to_a_fan(redis, gateway, standin, reachable, [reachable.rows["Back/C"][2]])
    async with releases_failing(redis, unreachable.id):
        await refunds.refund(RefundAsk(lost, None, "Shard down"), utcnow())
        # After the unreachable show's row, more rows waiting than one batch (no seats: nothing for Redis to do).
        await Refund.insert(*(Refund(order=order_id, show=reachable.id, amount_cents=0, currency="EUR",
                                     reason="batch", kind="organizer", idempotency_key=f"batch-{i}", seat_ids=[])
                              for i in range(OWED_BATCH + 20)))
        await refunds.release_pending(utcnow())
        assert await Refund.count().where((Refund.order == order_id) & Refund.released_at.is_null()) == 0
        assert await Refund.count().where((Refund.order == lost) & Refund.released_at.is_null()) == 1
    await refunds.release_pending(utcnow())  # the shard is back
    assert await _status(redis, unreachable.id, lost_seat) == "available"
