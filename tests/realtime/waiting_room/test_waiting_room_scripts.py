"""The waiting room's scripts straight on Redis, with the clock passed in: the draw (also one that dies half-way),
joins during a draw, the line's config, capacity and admission grants, the measured rate, the outflow valve."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from backend.catalog.facts import ShowFacts
from backend.errors import Conflict, Unavailable
from backend.timeutil import epoch_ms, utcnow
from db.tables import Profile
from realtime.waiting_room import WaitingRoom, admission, draw, line
from realtime.waiting_room import _scripts as queue_scripts
from realtime.waiting_room._keys import draw_lock, script_keys
from tests.support.servers import ServerProcess

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
OPENS_MS = epoch_ms(T0)


def a_show() -> ShowFacts:
    return ShowFacts(
        id=900_000_000 + secrets.randbelow(99_999_999),
        title="Scripted",
        venue_id=1,
        currency="EUR",
        starts_at=T0 + timedelta(days=1),
        sale_opens_at=T0,
        queue_enabled=True,
        seats_total=100,
    )


async def numbers(room: WaitingRoom, show: ShowFacts, profiles: list[int], now_ms: int) -> list[int | None]:
    return [(await room.place(show, p, now_ms)).number for p in profiles]


async def verified_profiles(count: int) -> list[int]:
    """Profiles the draw counts (e-mail confirmed), straight in the database."""
    label = secrets.token_hex(4)
    rows = await Profile.insert(
        *[
            Profile(
                email=f"scripted-{label}-{i}@example.com",
                name="Scripted",
                password_hash="!no-password-test-profile",
                email_verified_at=utcnow(),
            )
            for i in range(count)
        ]
    ).returning(Profile.id)
    return sorted(int(row["id"]) for row in rows)


async def early_line(redis: Redis, count: int) -> tuple[WaitingRoom, ShowFacts, list[int]]:
    """A waiting room, a show, and `count` verified fans who joined its line before the opening."""
    room = WaitingRoom(redis, active_shoppers=5, admission_ttl_s=60)
    show = a_show()
    fans = await verified_profiles(count)
    for profile in fans:
        await room.join(show, profile, OPENS_MS - 10_000)
    return room, show, fans


async def test_a_draw_that_dies_half_way_is_done_again_and_numbers_stay_unique(
    server: ServerProcess, redis: Redis
) -> None:
    # `server`: the draw asks the database which profiles are verified, and the server is what migrates it.
    room = WaitingRoom(redis, active_shoppers=5, admission_ttl_s=60)
    show = a_show()
    *fans, newcomer = await verified_profiles(51)
    for profile in fans:
        _, created = await room.join(show, profile, OPENS_MS - 10_000)
        assert created
    assert await numbers(room, show, fans, OPENS_MS - 5_000) == [None] * 50
    # A process seals the line, writes half its numbers, and dies holding the lock.
    dead = "dead-draw"
    keys = script_keys(show.id, draw_id=dead)
    await redis.set(draw_lock(show.id), dead, px=200)
    early = await queue_scripts.seal(redis, keys)
    await redis.hset(keys[13], mapping={p: i for i, p in enumerate(early[:25], start=1)})
    # Meanwhile someone arrives: the line is sealed, so they wait for the draw and come after every early arrival.
    await redis.delete(draw_lock(show.id))  # the dead process's lock runs out
    late, created = await room.join(show, newcomer, OPENS_MS - 1_000)  # even with a clock that lags the opening
    assert created and late.number == 51
    drawn = await numbers(room, show, fans, OPENS_MS + 1_000)
    assert sorted(drawn) == list(range(1, 51))  # type: ignore[type-var]
    assert drawn != list(range(1, 51))
    for key in keys[7:9]:
        assert await redis.ttl(key) == -1  # the drawn numbers do not expire with the draft they came from


async def test_a_line_formed_before_seeds_existed_is_drawn_with_a_seed_it_then_publishes(
    server: ServerProcess, redis: Redis
) -> None:
    room, show, fans = await early_line(redis, 4)
    await redis.delete(script_keys(show.id)[16])  # no seed: the line was formed before the draw had one
    places = [await room.place(show, profile, OPENS_MS + 1_000) for profile in fans]
    assert sorted(place.number for place in places) == [1, 2, 3, 4]  # type: ignore[type-var]
    published = await room.draw_record(show)
    assert published.seed is not None and len(published.seed) == 32 and published.entries is not None
    assert published.commitment == hashlib.sha256(published.seed).hexdigest()
    # ... and it is the seed the numbers were drawn with: the published data reproduce them.
    drawn = {queue_id: k + 1 for k, queue_id in enumerate(draw.order(published.seed, published.entries))}
    assert drawn == {place.queue_id: place.number for place in places}


async def test_every_line_commits_to_a_seed_of_its_own(redis: Redis) -> None:
    """Two shows never share a seed, whether the first look (the commitment page) or the first joiner makes it, and
    a line keeps the seed it committed to."""
    room = WaitingRoom(redis, active_shoppers=5, admission_ttl_s=60)
    looked_at, joined, other = a_show(), a_show(), a_show()
    first_look = (await room.draw_record(looked_at)).commitment
    await room.join(joined, 1, OPENS_MS - 60_000)
    await room.join(other, 1, OPENS_MS - 60_000)
    commitments = [first_look, (await room.draw_record(joined)).commitment, (await room.draw_record(other)).commitment]
    assert all(c is not None and len(c) == 64 for c in commitments)
    assert len(set(commitments)) == 3, commitments
    await room.join(looked_at, 2, OPENS_MS - 30_000)
    assert (await room.draw_record(looked_at)).commitment == first_look


async def test_capacity_admission_and_rate(redis: Redis) -> None:
    first = WaitingRoom(redis, active_shoppers=3, admission_ttl_s=60)
    other = WaitingRoom(redis, active_shoppers=50, admission_ttl_s=600)  # a process with other settings
    show = a_show()
    now = OPENS_MS + 1_000
    for profile in range(1, 9):
        await (first if profile == 1 else other).join(show, profile, now)
    # The line's first joiner fixed its capacity: 3 shoppers at once, whichever process advances it.
    assert await other.advance(show.id, now) == 0
    assert [(await other.place(show, p, now)).admitted for p in range(1, 9)] == [True] * 3 + [False] * 5
    place = await other.place(show, 8, now)
    assert (place.number, place.position, place.admitted_until) == (8, 5, None)
    assert await redis.zcount(admission.admitted_key(show.id), now + 1, "+inf") == 3  # live grants
    until = await admission.admitted_until(redis, show.id, 1, now)
    assert until == now + 60_000  # the first joiner's admission ttl too
    # Two shoppers finish: two more are let in, in order; the rate counts the admissions of the last minute.
    await admission.finish(redis, show.id, 1)
    await admission.finish(redis, show.id, 2)
    assert await other.advance(show.id, now + 5_000) == 2
    status = await other.status(show.id, now + 5_000)
    assert (status.serving, status.waiting, status.open) == (5, 3, True)
    assert status.rate_per_s == 0.5  # 5 admissions over the 10 s floor of the window
    place = await other.place(show, 8, now + 5_000)
    assert (place.position, place.estimated_wait_s) == (3, 6)
    # Admissions that expire make room as well: number 3's at +60 s, then 4's and 5's at +65 s.
    assert await other.advance(show.id, now + 61_000) == 1
    assert await other.advance(show.id, now + 66_000) == 2
    assert (await other.status(show.id, now + 66_000)).serving == 8


async def test_the_outflow_valve_admits_no_faster_than_its_rate_whatever_the_free_capacity(redis: Redis) -> None:
    # 600 a minute = 10 a second, at most VALVE_BURST_S (5) seconds' worth at once; capacity is no limit here.
    room = WaitingRoom(redis, active_shoppers=10_000, admission_ttl_s=600, admissions_per_minute=600)
    show = a_show()
    now = OPENS_MS + 1_000
    for profile in range(1, 201):
        await room.join(show, profile, now)  # each join advances the line at once: the first burst goes in
    assert (await room.status(show.id, now)).serving == 50
    assert await room.advance(show.id, now + 1_000) == 10  # a second later: one second's worth
    assert await room.advance(show.id, now + 1_000) == 0
    assert await room.advance(show.id, now + 1_550) == 5
    # A lull saves at most one burst: 60 s on, 50 go in, then 10 a second again.
    assert await room.advance(show.id, now + 61_550) == 50
    let_in = [await room.advance(show.id, now + 61_550 + 500 * tick) for tick in range(1, 13)]
    assert let_in == [5] * 12
    # A process whose clock lags the last advance adds nothing and takes nothing back.
    assert await room.advance(show.id, now + 60_000) == 0
    assert await room.advance(show.id, now + 68_050) == 5
    # The line's own config decides, whatever the advancing process's settings, and it changes mid-sale for everyone.
    other = WaitingRoom(redis, active_shoppers=10_000, admission_ttl_s=600)  # no valve in its settings
    assert await other.advance(show.id, now + 68_550) == 5
    served = (await room.status(show.id, now + 68_550)).serving
    assert served == 185
    await other.configure(show.id, admissions_per_minute=0)
    assert await other.advance(show.id, now + 68_600) == 200 - served


async def test_without_a_valve_capacity_alone_decides_as_before(redis: Redis) -> None:
    room = WaitingRoom(redis, active_shoppers=30, admission_ttl_s=600)
    show = a_show()
    now = OPENS_MS + 1_000
    for profile in range(1, 101):
        await room.join(show, profile, now)
    assert (await room.status(show.id, now)).serving == 30  # all the capacity, at once
    await room.configure(show.id, active_shoppers=100)
    assert await room.advance(show.id, now) == 70


async def test_a_draw_that_dies_before_finishing_leaves_only_scratch_that_expires(
    server: ServerProcess, redis: Redis, monkeypatch
) -> None:
    """The drawing process writes its numbers to scratch hashes named after its draw, then dies before the step that
    publishes them: those hashes are gone within twice the draw lock's life, and the next draw starts clean."""
    room, show, fans = await early_line(redis, 6)
    scratch: list[str] = []
    lives: dict[str, int] = {}

    async def dies(redis_: Redis, keys: list[str], args: list) -> int:
        scratch.extend([keys[13], keys[14], keys[19]])
        lives["lock"] = await redis_.pttl(draw_lock(show.id))
        lives["scratch"] = min([await redis_.pttl(key) for key in scratch])
        raise ConnectionError("the drawing process died")

    with monkeypatch.context() as patched:
        patched.setattr(queue_scripts, "finish_draw", dies)
        with pytest.raises(ConnectionError):
            await room.draw_if_due(show, OPENS_MS + 1_000)
    assert len(scratch) == 3
    # The scratch outlives the lock (a live draw never loses it), then goes: within twice the lock's life.
    assert 0 < lives["lock"] < lives["scratch"], lives
    for key in scratch:
        assert 0 < await redis.pttl(key) <= line.DRAW_LOCK_MS * 2, key
    assert sorted(await numbers(room, show, fans, OPENS_MS + 2_000)) == list(range(1, 7))  # type: ignore[type-var]


async def test_a_draw_that_lost_its_scratch_draws_again(server: ServerProcess, redis: Redis, monkeypatch) -> None:
    """The publishing step finds the draw incomplete (its scratch expired, or its lock passed on) and answers -1:
    the process draws again, and the early arrivals have their numbers when it returns."""
    room, show, fans = await early_line(redis, 5)
    real_finish = queue_scripts.finish_draw
    answers: list[int] = []

    async def first_incomplete(redis_: Redis, keys: list[str], args: list) -> int:
        if len(answers) < 2:  # the drawn numbers expired before they were published: one way, then the other
            await redis_.delete(keys[13 + len(answers)])
        answers.append(await real_finish(redis_, keys, args))
        return answers[-1]

    monkeypatch.setattr(queue_scripts, "finish_draw", first_incomplete)
    await room.draw_if_due(show, OPENS_MS + 1_000)
    assert answers == [-1, -1, 1]
    by_number = await redis.hgetall(script_keys(show.id)[8])  # number → profile, published by the draw
    assert sorted(int(n) for n in by_number) == [1, 2, 3, 4, 5]
    assert sorted(int(p) for p in by_number.values()) == fans


async def test_a_paused_sale_keeps_its_line_and_lets_nobody_new_in(server: ServerProcess, redis: Redis) -> None:
    room = WaitingRoom(redis, active_shoppers=5, admission_ttl_s=60)
    show = a_show()
    _, created = await room.join(show, 1, OPENS_MS + 1_000)
    assert created
    for sale, code in (("paused", "sale_paused"), ("closed", "sale_closed")):
        stopped = dataclasses.replace(show, sale=sale)
        place, created = await room.join(stopped, 1, OPENS_MS + 2_000)  # asking again: the same place, kept
        assert (place.number, created) == (1, False)
        with pytest.raises(Conflict) as refused:
            await room.join(stopped, 2, OPENS_MS + 2_000)
        assert refused.value.code == code


async def test_an_early_arrival_asking_at_the_opening_millisecond_is_drawn(server: ServerProcess, redis: Redis) -> None:
    room, show, fans = await early_line(redis, 3)
    assert (await room.place(show, fans[0], OPENS_MS - 1)).number is None
    assert (await room.place(show, fans[0], OPENS_MS)).number in (1, 2, 3)


async def test_a_drawer_waits_for_the_lock_another_process_holds(server: ServerProcess, redis: Redis,
                                                                monkeypatch) -> None:
    """Another process holds the draw's lock: this one never draws under it. It gives up after its wait while the
    holder lives, and draws once a dead holder's lock runs out."""
    room, show, _ = await early_line(redis, 3)
    monkeypatch.setattr(line, "DRAW_WAIT_S", 0.5)
    await redis.set(draw_lock(show.id), "alive", px=60_000)
    with pytest.raises(Unavailable):
        await room.draw_if_due(show, OPENS_MS + 1_000)
    assert await redis.get(draw_lock(show.id)) == b"alive"
    assert not await redis.exists(script_keys(show.id)[3])  # not drawn
    await redis.set(draw_lock(show.id), "dying", px=200)
    await room.draw_if_due(show, OPENS_MS + 1_000)  # waits the dying holder out, then draws
    assert await redis.exists(script_keys(show.id)[3])


async def test_the_draw_uses_the_seed_committed_to_before_the_opening(server: ServerProcess, redis: Redis) -> None:
    room, show, _ = await early_line(redis, 3)
    committed = (await room.draw_record(show)).commitment
    await room.draw_if_due(show, OPENS_MS + 1_000)
    published = await room.draw_record(show)
    assert published.seed is not None and hashlib.sha256(published.seed).hexdigest() == committed


async def test_an_admission_ends_at_its_millisecond(redis: Redis) -> None:
    show_id = a_show().id
    await redis.zadd(admission.admitted_key(show_id), {"7": OPENS_MS})
    assert await admission.admitted_until(redis, show_id, 7, OPENS_MS - 1) == OPENS_MS
    assert await admission.admitted_until(redis, show_id, 7, OPENS_MS) is None
