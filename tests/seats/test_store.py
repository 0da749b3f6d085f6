"""The Lua scripts straight on Redis, in the states that are hard to reach by timing HTTP requests: a lock that
expired before the sweeper ran, sweepers racing each other, sales after Redis lost everything, reads that must not
rebuild."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from redis.asyncio import Redis

from backend import seats as seat_state
from backend.booking import sweeper
from backend.booking.hold_ids import new_hold_id
from backend.booking.service import get_hold
from backend.catalog.cache_keys import cancelled_key
from backend.infra.leases import Leases, lease_key
from backend.seats import NOT_BUILT, ensure_built, mark_sold, read_state, seats_free_for
from backend.seats import _keys as keys
from backend.seats.writes import sweep_expired, sweep_show
from tests.booking.helpers import all_changes, insert_sold_tickets, subscribe
from tests.support import data
from tests.support.fixtures import private_valkey
from tests.support.servers import ServerProcess

TTL_MS = 60_000


@pytest.fixture
async def show(server: ServerProcess, redis: Redis) -> data.TestShow:
    """A fresh show with its live state built (the server fixture has migrated the database)."""
    made = await data.create_show()
    await ensure_built(redis, made.id)
    return made


async def lock(redis: Redis, show_id: int, profile_id: int, seats: list[str], ttl_ms: int = TTL_MS):
    return await seat_state.lock_seats(redis, show_id=show_id, profile_id=profile_id, new_hold_id=new_hold_id(show_id),
                                  seats=[(seat, 1000) for seat in seats], ttl_ms=ttl_ms, max_seats=8,
                                  currency="EUR", closing_mark=cancelled_key(show_id))


async def plant_expired_hold(redis: Redis, show_id: int, profile_id: int, seats: list[str]) -> str:
    """A hold whose time is up and whose seat locks Redis has already expired, but that no sweeper has seen."""
    hold_id = new_hold_id(show_id)
    await redis.hset(keys.hold(show_id, hold_id), mapping={
        "profile": profile_id, "seats": json.dumps(seats), "expires_at_ms": 1000, "amount_cents": 1000 * len(seats),
        "currency": "EUR"})
    await redis.set(keys.holder(show_id, profile_id), hold_id)
    await redis.zadd(keys.expiries(show_id), {hold_id: 1000})
    await redis.hset(keys.state(show_id), mapping={seat: hold_id for seat in seats})
    return hold_id


async def test_a_seat_whose_lock_expired_can_be_held_and_the_sweeper_leaves_it_alone(
    show: data.TestShow, redis: Redis
) -> None:
    seat, other = show.seat_ids[:2]
    stale = await plant_expired_hold(redis, show.id, profile_id=1, seats=[seat, other])
    placed = await lock(redis, show.id, 2, [seat])
    assert isinstance(placed, seat_state.Placed)
    pubsub = await subscribe(redis, show.id)
    try:
        await sweeper.sweep_once(redis)  # the running servers' sweepers may get there first: same outcome
        changes = await all_changes(pubsub, quiet_for=0.6)
    finally:
        await pubsub.aclose()
    _, state = await read_state(redis, show.id)
    assert state[seat.encode()] == placed.record.hold_id.encode()
    assert await redis.get(keys.seat_lock(show.id, seat)) == placed.record.hold_id.encode()
    assert other.encode() not in state
    assert [c for message in changes for c in message["c"]] == [[other, "available"]]
    assert not await redis.exists(keys.hold(show.id, stale), keys.holder(show.id, 1))


async def test_an_expired_hold_of_the_same_fan_is_not_joined(show: data.TestShow, redis: Redis) -> None:
    stale = await plant_expired_hold(redis, show.id, profile_id=3, seats=show.seat_ids[:1])
    placed = await lock(redis, show.id, 3, show.seat_ids[1:2])
    assert isinstance(placed, seat_state.Placed)
    assert placed.record.hold_id != stale and placed.record.seat_ids == show.seat_ids[1:2]
    assert await redis.get(keys.holder(show.id, 3)) == placed.record.hold_id.encode()


async def test_sweepers_racing_release_each_hold_once_and_publish_once(show: data.TestShow, redis: Redis) -> None:
    planted = [await plant_expired_hold(redis, show.id, profile_id=10 + i, seats=[show.seat_ids[i]])
               for i in range(5)]
    assert planted
    pubsub = await subscribe(redis, show.id)
    try:
        results = await asyncio.gather(*(sweep_show(redis, show.id, batch=100) for _ in range(6)))
        changes = await all_changes(pubsub, quiet_for=0.4)
    finally:
        await pubsub.aclose()
    assert sum(released for released, _ in results) == 5
    assert len(changes) == 1 and len(changes[0]["c"]) == 5
    assert await redis.zcard(keys.expiries(show.id)) == 0


async def test_sweeper_retires_a_show_without_holds_but_keeps_one_with_holds(
    show: data.TestShow, redis: Redis
) -> None:
    placed = await lock(redis, show.id, 20, show.seat_ids[:1])
    assert isinstance(placed, seat_state.Placed)
    await sweeper.sweep_once(redis)
    assert await redis.sismember(keys.ACTIVE_SHOWS, show.id)
    await seat_state.release_hold(redis, show_id=show.id, hold_id=placed.record.hold_id, profile_id=20)
    await sweeper.sweep_once(redis)
    assert not await redis.sismember(keys.ACTIVE_SHOWS, show.id)


async def test_mark_sold_finishes_the_hold_and_is_idempotent(show: data.TestShow, redis: Redis) -> None:
    bought, added_later = show.seat_ids[:2], show.seat_ids[2]
    placed = await lock(redis, show.id, 30, [*bought, added_later])
    assert isinstance(placed, seat_state.Placed)
    hold_id = placed.record.hold_id
    assert (await get_hold(redis, hold_id)).seat_ids == [*bought, added_later]
    assert await seats_free_for(redis, show.id, bought, hold_id)
    assert not await seats_free_for(redis, show.id, bought, new_hold_id(show.id))
    pubsub = await subscribe(redis, show.id)
    try:
        await mark_sold(redis, show.id, bought, hold_id, order_id=1)
        await mark_sold(redis, show.id, bought, hold_id, order_id=1)
        changes = await all_changes(pubsub, quiet_for=0.4)
    finally:
        await pubsub.aclose()
    assert [message["c"] for message in changes] == [
        [[bought[0], "sold"], [bought[1], "sold"], [added_later, "available"]]]
    assert await get_hold(redis, hold_id) is None
    assert not await redis.exists(keys.holder(show.id, 30), keys.seat_lock(show.id, bought[0]))
    assert await redis.zscore(keys.expiries(show.id), hold_id) is None
    assert not await seats_free_for(redis, show.id, bought, hold_id)  # sold is never free
    taken = await lock(redis, show.id, 31, [bought[0], added_later])
    assert isinstance(taken, seat_state.SeatsTaken) and taken.seat_ids == [bought[0]]


async def test_seats_free_for_a_late_payment(show: data.TestShow, redis: Redis) -> None:
    mine, theirs = show.seat_ids[:2]
    expired = await plant_expired_hold(redis, show.id, profile_id=40, seats=[mine])
    assert await get_hold(redis, expired) is None  # expired: payments see no hold
    assert await seats_free_for(redis, show.id, [mine], expired)  # ... but nobody took the seat since
    other = await lock(redis, show.id, 41, [theirs])
    assert isinstance(other, seat_state.Placed)
    assert not await seats_free_for(redis, show.id, [mine, theirs], expired)
    assert await get_hold(redis, "not-a-hold-id") is None


async def test_after_redis_lost_everything_sold_seats_come_back_from_the_database(
    show: data.TestShow, redis: Redis
) -> None:
    sold = show.seat_ids[:3]
    await insert_sold_tickets(show.id, sold)
    # Redis loses the show (as after a flush or a restart without persistence).
    await redis.delete(keys.version(show.id), keys.state(show.id))
    taken = await lock(redis, show.id, 50, [sold[1], show.seat_ids[5]])
    assert isinstance(taken, seat_state.SeatsTaken) and taken.seat_ids == [sold[1]]
    _, state = await read_state(redis, show.id)
    assert {seat.encode() for seat in sold} <= {k for k, v in state.items() if v == b"sold"}
    # mark_sold after the loss: rebuilds, then has nothing left to change for seats the database already sold.
    await redis.delete(keys.version(show.id), keys.state(show.id))
    await mark_sold(redis, show.id, sold, None, order_id=1)
    _, state = await read_state(redis, show.id)
    assert all(state[seat.encode()] == b"sold" for seat in sold)


async def test_reading_a_lost_show_answers_from_the_database_and_writes_nothing(
    show: data.TestShow, redis: Redis, anon: httpx.AsyncClient
) -> None:
    sold = show.seat_ids[:2]
    await insert_sold_tickets(show.id, sold)
    await redis.delete(keys.version(show.id), keys.state(show.id))
    pubsub = await subscribe(redis, show.id)
    try:
        version, state = await read_state(redis, show.id)
        assert version == NOT_BUILT and state == {seat.encode(): b"sold" for seat in sold}
        assert await seats_free_for(redis, show.id, show.seat_ids[2:4], new_hold_id(show.id))
        assert not await seats_free_for(redis, show.id, sold[:1], new_hold_id(show.id))
        seat_map = (await anon.get(f"/api/v1/shows/{show.id}/map")).json()
        assert seat_map["version"] == NOT_BUILT
        assert {s["id"] for s in seat_map["seats"] if s["status"] == "sold"} == set(sold)
        assert (await anon.get(f"/api/v1/shows/{show.id}")).status_code == 200
        assert await all_changes(pubsub, quiet_for=0.4) == []  # no reset published: nothing was rebuilt
    finally:
        await pubsub.aclose()
    assert not await redis.exists(keys.version(show.id), keys.state(show.id))
    # The first write rebuilds, once, and the map then carries the built version.
    assert await ensure_built(redis, show.id)
    assert not await ensure_built(redis, show.id)
    assert (await anon.get(f"/api/v1/shows/{show.id}/map")).json()["version"] > NOT_BUILT


async def test_a_show_is_registered_for_the_sweeper_by_its_first_hold(show: data.TestShow, redis: Redis) -> None:
    from backend.seats import writes

    writes._registered_at.pop(show.id, None)
    await redis.srem(keys.ACTIVE_SHOWS, show.id)
    first = await lock(redis, show.id, 41, show.seat_ids[:1])
    assert await redis.sismember(keys.ACTIVE_SHOWS, show.id)
    # A later hold while the first is live costs no registration of its own (its process did it a moment ago)...
    await redis.srem(keys.ACTIVE_SHOWS, show.id)
    second = await lock(redis, show.id, 42, show.seat_ids[1:2])
    assert not await redis.sismember(keys.ACTIVE_SHOWS, show.id)
    # ...but once the show has no live hold, the next one is a first again.
    for placed, profile in ((first, 41), (second, 42)):
        assert await seat_state.release_hold(redis, show_id=show.id, hold_id=placed.record.hold_id,
                                             profile_id=profile) == seat_state.Released()
    await lock(redis, show.id, 43, show.seat_ids[2:3])
    assert await redis.sismember(keys.ACTIVE_SHOWS, show.id)


async def test_releasing_a_hold_leaves_the_set_it_names(show: data.TestShow, redis: Redis) -> None:
    from realtime.waiting_room import admission

    await redis.zadd(admission.admitted_key(show.id), {"51": 9e15, "52": 9e15})
    placed = await lock(redis, show.id, 51, show.seat_ids[:2])
    assert await seat_state.release_hold(redis, show_id=show.id, hold_id=placed.record.hold_id, profile_id=51,
                                         leave=admission.admitted_key(show.id)) == seat_state.Released()
    assert await redis.zrange(admission.admitted_key(show.id), 0, -1) == [b"52"]
    # Someone else's hold id releases nothing and takes nobody out.
    other = await lock(redis, show.id, 52, show.seat_ids[2:3])
    assert await seat_state.release_hold(redis, show_id=show.id, hold_id=other.record.hold_id, profile_id=51,
                                         leave=admission.admitted_key(show.id)) == seat_state.NoHold()
    assert await redis.zrange(admission.admitted_key(show.id), 0, -1) == [b"52"]


async def test_a_hold_marked_for_checkout_changes_only_once_its_order_is_cleared(
    show: data.TestShow, redis: Redis
) -> None:
    """Checkout's mark is what sends a change through the payments lifecycle's database look: every way a hold's
    seats change answers in_checkout, changing nothing, until the caller says the open order was cleared."""
    placed = await lock(redis, show.id, 61, show.seat_ids[:2])
    assert isinstance(placed, seat_state.Placed)
    hold_id = placed.record.hold_id
    assert not await seat_state.mark_checkout(redis, show_id=show.id, hold_id=hold_id, profile_id=62)  # not theirs
    assert await seat_state.mark_checkout(redis, show_id=show.id, hold_id=hold_id, profile_id=61)
    before = await read_state(redis, show.id)

    joined = await lock(redis, show.id, 61, show.seat_ids[2:3])
    assert joined == seat_state.InCheckout(hold_id)
    assert await seat_state.release_seat(redis, show_id=show.id, hold_id=hold_id, profile_id=61,
                                         seat_id=show.seat_ids[0], price=1000, currency="EUR") == seat_state.InCheckout(hold_id)
    assert await seat_state.release_hold(redis, show_id=show.id, hold_id=hold_id, profile_id=61) == seat_state.InCheckout(hold_id)
    assert await read_state(redis, show.id) == before
    assert (await get_hold(redis, hold_id)).seat_ids == show.seat_ids[:2]

    # Cleared: each change goes through.
    joined = await seat_state.lock_seats(redis, show_id=show.id, profile_id=61, new_hold_id=new_hold_id(show.id),
                                         seats=[(show.seat_ids[2], 1000)], ttl_ms=TTL_MS, max_seats=8,
                                         currency="EUR", closing_mark=cancelled_key(show.id),
                                         checkout_cleared=True)
    assert isinstance(joined, seat_state.Placed) and joined.record.seat_ids == show.seat_ids[:3]
    kept = await seat_state.release_seat(redis, show_id=show.id, hold_id=hold_id, profile_id=61,
                                         seat_id=show.seat_ids[0], price=1000, currency="EUR", checkout_cleared=True)
    assert isinstance(kept, seat_state.HoldRecord) and kept.seat_ids == show.seat_ids[1:3]
    assert await seat_state.release_hold(redis, show_id=show.id, hold_id=hold_id, profile_id=61,
                                         checkout_cleared=True) == seat_state.Released()
    # An unmarked hold never asks.
    other = await lock(redis, show.id, 63, show.seat_ids[:1])
    assert await seat_state.release_hold(redis, show_id=show.id, hold_id=other.record.hold_id,
                                         profile_id=63) == seat_state.Released()


@pytest.mark.cluster  # the shows' keys lie in different slots there: the reads must not be one transaction
async def test_unavailable_counts_answer_each_show_and_none_where_its_state_is_not_built(
    show: data.TestShow, redis: Redis
) -> None:
    unbuilt = await data.create_show()
    other = await data.create_show()
    await ensure_built(redis, other.id)
    assert isinstance(await lock(redis, show.id, 40, show.seat_ids[:2]), seat_state.Placed)
    assert isinstance(await lock(redis, other.id, 41, other.seat_ids[:1]), seat_state.Placed)
    counts = await seat_state.unavailable_counts(redis, [show.id, unbuilt.id, other.id])
    assert counts == {show.id: 2, unbuilt.id: None, other.id: 1}
    assert await seat_state.unavailable_counts(redis, []) == {}


async def test_a_hold_s_owner_and_its_extension_for_payment(show: data.TestShow, redis: Redis) -> None:
    placed = await lock(redis, show.id, 42, show.seat_ids[:1])
    assert isinstance(placed, seat_state.Placed)
    hold_id = placed.record.hold_id
    assert await seat_state.hold_owner(redis, show.id, hold_id) == 42
    assert await seat_state.hold_owner(redis, show.id, new_hold_id(show.id)) is None
    extended = await seat_state.extend_hold(redis, show_id=show.id, hold_id=hold_id, profile_id=42, grace_ms=30_000)
    assert extended is not None and extended >= placed.record.expires_at_ms + 30_000
    assert (await seat_state.read_hold(redis, show.id, hold_id)).expires_at_ms == extended
    assert await seat_state.extend_hold(redis, show_id=show.id, hold_id=new_hold_id(show.id), profile_id=42,
                                        grace_ms=30_000) is None


class _Robbed(Leases):
    """Takes a show's sweeper lease, and loses that one show's to `thief` before its first write."""

    def __init__(self, redis: Redis, victim: int, thief: Leases) -> None:
        super().__init__(redis, "sweeper", owner="robbed", ttl_ms=60_000)
        self.victim, self.thief = victim, thief

    async def hold(self, show_id: int) -> int | None:
        token = await super().hold(show_id)
        if show_id == self.victim:
            await self.redis.delete(lease_key(self.job, show_id))
            await self.thief.hold(show_id)
        return token


async def test_a_sweeper_under_leases_sweeps_only_the_shows_whose_lease_it_holds(show: data.TestShow) -> None:
    """On a Valkey of its own: the suite's servers sweep the shared one under their own leases. The sweeper visits
    the shows in the order of a Python set (it varies from process to process), so each case is played with the
    two shows both ways round: in one of them the show it must go past comes first."""
    other = await data.create_show()
    with private_valkey("sweep-lease-valkey") as url:
        redis = Redis.from_url(url)

        async def two_shows(expired: dict[int, int]) -> None:
            """A fresh Valkey with both shows built and registered, and `expired[show]` expired holds in each."""
            await redis.flushall()
            for made in (show, other):
                await ensure_built(redis, made.id)
                await redis.sadd(keys.ACTIVE_SHOWS, made.id)
                for k in range(expired[made.id]):
                    await plant_expired_hold(redis, made.id, profile_id=43 + k, seats=made.seat_ids[k:k + 1])

        try:
            for first, second in ((show, other), (other, show)):
                # Another process holds the first show's lease: it is left alone, the second is swept.
                await two_shows({first.id: 1, second.id: 1})
                theirs = Leases(redis, "sweeper", owner="theirs", ttl_ms=60_000)
                assert await theirs.hold(first.id) is not None
                mine = Leases(redis, "sweeper", owner="mine", ttl_ms=60_000)
                assert await sweep_expired(redis, 2, leases=mine) == 1
                assert await redis.zcard(keys.expiries(first.id)) == 1

                # Fenced on the first show (its lease passed on before the first write): it lets that one go and
                # still sweeps the second.
                await two_shows({first.id: 3, second.id: 1})
                thief = Leases(redis, "sweeper", owner="thief", ttl_ms=60_000)
                robbed = _Robbed(redis, first.id, thief)
                assert await sweep_expired(redis, 2, leases=robbed) == 1
                assert robbed.held == {}  # the fenced show forgotten, the swept one retired and forgotten
                assert await redis.zcard(keys.expiries(first.id)) == 3
                await thief.release_all()
                again = Leases(redis, "sweeper", owner="again", ttl_ms=60_000)
                assert await sweep_expired(redis, 2, leases=again) == 3  # batch after batch
                assert again.held == {}
                assert await redis.smembers(keys.ACTIVE_SHOWS) == set()
        finally:
            await redis.aclose()


async def test_released_seats_of_a_refund_are_available_again_once(show: data.TestShow, redis: Redis) -> None:
    seats = show.seat_ids[:2]
    await mark_sold(redis, show.id, seats, None, order_id=7)
    assert await seat_state.release_sold(redis, show.id, seats, order_id=7) == 2
    _, state = await read_state(redis, show.id)
    assert not any(seat.encode() in state for seat in seats)
    assert await seat_state.release_sold(redis, show.id, seats, order_id=7) == 0  # idempotent
    assert await seat_state.release_sold(redis, show.id, [], order_id=7) == 0


async def test_a_refund_releases_only_the_seats_its_own_order_bought(show: data.TestShow, redis: Redis) -> None:
    """A refund repeated or retried after its seat was sold again must not free the new buyer's seat; the buyer is
    known after a rebuild too, and a seat sold before buyers were recorded is released as before."""
    resold, kept, legacy = show.seat_ids[:3]
    await mark_sold(redis, show.id, [resold, kept], None, order_id=7)
    assert await seat_state.release_sold(redis, show.id, [resold], order_id=7) == 1
    await mark_sold(redis, show.id, [resold], None, order_id=8)  # sold again, to order 8
    assert await seat_state.release_sold(redis, show.id, [resold, kept], order_id=8 + 1) == 0
    assert await seat_state.release_sold(redis, show.id, [resold], order_id=7) == 0  # the late repeat
    _, state = await read_state(redis, show.id)
    assert state[resold.encode()] == state[kept.encode()] == b"sold"
    # Redis loses the show; the rebuild reads each sold seat's order from the tickets.
    order = await insert_sold_tickets(show.id, [legacy])
    await redis.delete(keys.version(show.id), keys.state(show.id))
    await ensure_built(redis, show.id)
    assert await seat_state.release_sold(redis, show.id, [legacy], order_id=order + 1) == 0
    assert await seat_state.release_sold(redis, show.id, [legacy], order_id=order) == 1
    # A state built before buyers were recorded: its sold seats have none, and any refund of them releases them.
    await mark_sold(redis, show.id, [legacy], None, order_id=order)
    await redis.hdel(keys.sold_by(show.id), legacy)
    assert await seat_state.release_sold(redis, show.id, [legacy], order_id=order + 1) == 1


async def test_a_rebuild_of_many_sold_seats_knows_each_seat_and_its_buyer(server: ServerProcess, redis: Redis) -> None:
    """More sold seats than one write of the rebuild takes (it writes them a thousand fields at a time), and more
    than one Lua call can be handed at once (unpack stops at 8,000 values)."""
    show = await data.create_show(rows=90, seats_per_row=50)
    sold = show.seat_ids[:4301]  # not a whole number of writes: the last one is a part
    bought = [sold[start:start + 700] for start in range(0, len(sold), 700)]  # 7 orders
    orders = [await insert_sold_tickets(show.id, seats) for seats in bought]
    await redis.delete(keys.version(show.id), keys.state(show.id))
    assert await ensure_built(redis, show.id)
    _, state = await read_state(redis, show.id)
    assert {seat for seat, value in state.items() if value == keys.SOLD_SENTINEL} == {
        seat.encode() for seats in bought for seat in seats}
    assert await redis.hgetall(keys.sold_by(show.id)) == {
        seat.encode(): str(order).encode() for order, seats in zip(orders, bought, strict=True) for seat in seats}


async def test_unsold_among_names_the_seats_redis_does_not_call_sold(show: data.TestShow, redis: Redis) -> None:
    sold, held, free = show.seat_ids[:3]
    assert isinstance(await lock(redis, show.id, 44, [held]), seat_state.Placed)
    await mark_sold(redis, show.id, [sold], None, order_id=1)
    assert await seat_state.unsold_among(redis, show.id, [sold, held, free]) == {held, free}
    unbuilt = await data.create_show()
    assert await seat_state.unsold_among(redis, unbuilt.id, unbuilt.seat_ids[:2]) is None


async def test_a_payment_claims_its_hold_s_seats_or_names_every_seat_another_fan_has(
    show: data.TestShow, redis: Redis
) -> None:
    mine, *theirs = show.seat_ids[:3]
    placed = await lock(redis, show.id, 45, [mine])
    assert isinstance(placed, seat_state.Placed)
    assert isinstance(await lock(redis, show.id, 46, theirs), seat_state.Placed)

    async def claim(seat_ids: list[str]) -> list[str]:
        return await seat_state.claim_seats(redis, show_id=show.id, hold_id=placed.record.hold_id, profile_id=45,
                                            seat_ids=seat_ids, claim_ms=60_000, amount_cents=1000, currency="EUR")

    assert await claim([mine, *theirs]) == theirs  # all or none: nothing claimed
    assert await claim([mine]) == []
