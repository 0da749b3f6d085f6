"""The free-run index stays true to a recomputation from the seat state, whatever changes the seats, and best
available always picks what the rules pick.

A Hypothesis state machine drives the seat calls themselves against a Valkey of this module's own (it flushes it):
holds of named seats (some that expire at once), best-available holds, releases of a seat and of a hold, sweeps,
sales (tickets in the database, then `mark_sold`; of held seats, and of free ones as the reconciler may), claims of
a payment's seats, Redis losing everything, and the index's rebuild. After every step each row's string must equal
what tests/seats/oracle.py recomputes from the state hash, and every row with a block of k seats must have its
ZSET entries, in the show's and its section's set, scored at most its best block's score (entries may be lower
after a take: backend/seats/free_runs.py); each best-available hold must have taken exactly the seats that the
brute-force oracle chooses from the state before it.

The show is a real one (the rebuild after a flush reads its venue and its tickets from the database): two sections
of three rows of nine seats, an aisle in every row B, every fourth seat accessible, ranks shuffled so that blocks
tie and rows differ. Budget: FREE_RUN_EXAMPLES (default 8) examples of at most FREE_RUN_STEPS (default 30) steps.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from redis.asyncio import Redis

from backend import seats
from backend.booking.hold_ids import new_hold_id
from backend.catalog.cache_keys import cancelled_key
from backend.seats import _keys as keys
from backend.seats.writes import sweep_show
from db.tables import Seat
from tests.booking.helpers import insert_sold_tickets
from tests.seats import oracle
from tests.support import data
from tests.support.fixtures import private_valkey
from tests.support.servers import ServerProcess

EXAMPLES = int(os.environ.get("FREE_RUN_EXAMPLES", "8"))
STEPS = int(os.environ.get("FREE_RUN_STEPS", "30"))
MAX_SEATS = 8
PROFILES = st.integers(1, 4)
LONG_MS, CLAIM_MS = 600_000, 600_000


@pytest.fixture(scope="module")
def own_redis_url() -> Iterator[str]:
    with private_valkey("free-run-valkey") as url:
        yield url


async def _show() -> tuple[data.TestShow, list[seats.LayoutSeat]]:
    show = await data.create_show(rows=3, seats_per_row=9, accessible_every=4)
    await Seat.delete().where((Seat.venue == show.venue_id) & (Seat.row == "B") & (Seat.number == 5))
    rows = await Seat.select(Seat.id).where(Seat.venue == show.venue_id).order_by(Seat.id).output(as_list=True)
    ranks = list(range(len(rows)))
    random.Random(show.id).shuffle(ranks)
    for seat_id, rank in zip(rows, ranks, strict=True):
        await Seat.update({Seat.rank: rank}).where(Seat.id == seat_id)
    layout = await Seat.select(Seat.id, Seat.section, Seat.row, Seat.number, Seat.rank, Seat.accessible).where(
        Seat.venue == show.venue_id).order_by(Seat.rank).order_by(Seat.id)
    return show, [seats.LayoutSeat(s["id"], s["section"], s["row"], s["number"], s["rank"], bool(s["accessible"]))
                  for s in layout]


def _machine(loop: asyncio.AbstractEventLoop, redis: Redis) -> type[RuleBasedStateMachine]:
    run = loop.run_until_complete

    class FreeRunIndex(RuleBasedStateMachine):
        show: data.TestShow
        layout: list[seats.LayoutSeat]

        @initialize()
        def new_show(self) -> None:
            self.show, self.layout = run(_show())
            self.seat_ids = [str(seat.seat_id) for seat in self.layout]
            self.sections = sorted({seat.section_id for seat in self.layout})
            self.picks = 0

        # ------------------------------------------------------------------ helpers

        async def _state(self) -> dict[str, str]:
            return {k.decode(): v.decode() for k, v in (await redis.hgetall(keys.state(self.show.id))).items()}

        async def _hold_of(self, profile: int) -> tuple[str, list[str]] | None:
            hold_id = await redis.get(keys.holder(self.show.id, profile))
            if hold_id is None:
                return None
            record = await redis.hget(keys.hold(self.show.id, hold_id.decode()), "seats")
            return (hold_id.decode(), json.loads(record)) if record else None

        # ------------------------------------------------------------------ rules

        @rule(profile=PROFILES, picks=st.lists(st.integers(0, 100), min_size=1, max_size=3, unique=True),
              expiring=st.booleans())
        def hold_named(self, profile: int, picks: list[int], expiring: bool) -> None:
            wanted = sorted({self.seat_ids[i % len(self.seat_ids)] for i in picks})
            run(seats.lock_seats(redis, show_id=self.show.id, profile_id=profile,
                                 new_hold_id=new_hold_id(self.show.id), seats=[(s, 1000) for s in wanted],
                                 ttl_ms=1 if expiring else LONG_MS, max_seats=MAX_SEATS, currency="EUR",
                                 closing_mark=cancelled_key(self.show.id)))

        @rule(profile=PROFILES, count=st.integers(1, 4), section=st.sampled_from([None, 0, 1]),
              accessible=st.booleans())
        def best_available(self, profile: int, count: int, section: int | None, accessible: bool) -> None:
            section_id = None if section is None else self.sections[section]

            async def pick() -> None:
                await seats.ensure_built(redis, self.show.id)
                state = await self._state()
                before = await self._hold_of(profile)
                expected = oracle.choose(self.layout, lambda seat_id: str(seat_id) not in state, count, section_id,
                                         accessible)
                outcome = await seats.lock_best_available(
                    redis, show_id=self.show.id, profile_id=profile, new_hold_id=new_hold_id(self.show.id),
                    count=count, section_id=section_id, accessible=accessible, prices={}, ttl_ms=LONG_MS,
                    max_seats=MAX_SEATS, currency="EUR", closing_mark=cancelled_key(self.show.id))
                if expected is None:
                    assert isinstance(outcome, seats.NoBlock), outcome
                    return
                if isinstance(outcome, seats.TooManySeats):
                    assert before is not None and len(before[1]) + count > MAX_SEATS
                    return
                assert isinstance(outcome, seats.Placed), (outcome, expected)
                kept = before[1] if before and before[0] == outcome.record.hold_id else []
                assert outcome.record.seat_ids == [*kept, *(str(s) for s in expected)], (outcome, expected, kept)
                self.picks += 1

            run(pick())

        @rule(profile=PROFILES, which=st.integers(0, 7))
        def release_seat(self, profile: int, which: int) -> None:
            async def go() -> None:
                hold = await self._hold_of(profile)
                if hold and hold[1]:
                    await seats.release_seat(redis, show_id=self.show.id, hold_id=hold[0], profile_id=profile,
                                             seat_id=hold[1][which % len(hold[1])], price=1000, currency="EUR")

            run(go())

        @rule(profile=PROFILES)
        def release_hold(self, profile: int) -> None:
            async def go() -> None:
                hold = await self._hold_of(profile)
                if hold:
                    await seats.release_hold(redis, show_id=self.show.id, hold_id=hold[0], profile_id=profile)

            run(go())

        @rule()
        def sweep(self) -> None:
            run(sweep_show(redis, self.show.id, 100))

        @rule(profile=PROFILES)
        def sell(self, profile: int) -> None:
            async def go() -> None:
                hold = await self._hold_of(profile)
                if not hold:
                    return
                state = await self._state()
                mine = [seat for seat in hold[1] if state.get(seat) == hold[0]]
                if mine:  # as payments does: the tickets first, then the map
                    await insert_sold_tickets(self.show.id, mine)
                    await seats.mark_sold(redis, self.show.id, mine, hold[0], order_id=1)

            run(go())

        @rule(picks=st.lists(st.integers(0, 100), min_size=1, max_size=2, unique=True))
        def sell_unheld(self, picks: list[int]) -> None:
            """A payment settled whose hold is gone (the reconciler's path): free seats become sold at once."""
            async def go() -> None:
                # After a flush the state is empty until rebuilt: payments reads free seats only from a built one.
                await seats.ensure_built(redis, self.show.id)
                state = await self._state()
                free = sorted({self.seat_ids[i % len(self.seat_ids)] for i in picks} - set(state))
                if free:
                    await insert_sold_tickets(self.show.id, free)
                    await seats.mark_sold(redis, self.show.id, free, None, order_id=1)

            run(go())

        @rule(profile=PROFILES)
        def claim(self, profile: int) -> None:
            async def go() -> None:
                hold = await self._hold_of(profile)
                if hold and hold[1]:
                    await seats.claim_seats(redis, show_id=self.show.id, hold_id=hold[0], profile_id=profile,
                                            seat_ids=hold[1], claim_ms=CLAIM_MS, amount_cents=1000, currency="EUR")

            run(go())

        @rule()
        def redis_loses_everything(self) -> None:
            run(redis.flushall())

        @rule()
        def rebuild_index(self) -> None:
            async def go() -> None:
                await seats.ensure_built(redis, self.show.id)
                await seats.build_index(redis, self.show.id, MAX_SEATS)

            run(go())

        # ------------------------------------------------------------------ the invariant

        @invariant()
        def index_agrees_with_a_recomputation(self) -> None:
            async def check() -> None:
                if not await redis.exists(keys.free_runs_meta(self.show.id)):
                    return  # no index yet (or Redis lost it): the next best-available request builds it
                state = await self._state()
                strings, everywhere, per_section = oracle.expected_index(
                    self.layout, lambda seat_id: str(seat_id) not in state, MAX_SEATS)
                prefix = keys.prefix(self.show.id)
                rows = await redis.hgetall(prefix + "fr:rows")
                got = {int(field[1:]): value.decode() for field, value in rows.items() if field.startswith(b"d")}
                assert got == strings

                async def entries(key: str) -> dict[str, float]:
                    return {m.decode(): s for m, s in await redis.zrange(key, 0, -1, withscores=True)}

                def never_above(got: dict[str, float], expected: dict[str, float]) -> None:
                    # Every row with a block of k has its entry, never scored above its best block (the head read
                    # is then checked against the row); a row with none may keep one.
                    above = {member: (got.get(member), score) for member, score in expected.items()
                             if got.get(member, float("inf")) > score}
                    assert not above, above

                never_above(await entries(prefix + "fr:blocks"), everywhere)
                for section in self.sections:
                    never_above(await entries(f"{prefix}fr:blocks:{section}"), per_section.get(section, {}))

            run(check())

    return FreeRunIndex


@pytest.mark.timeout(900)
def test_the_index_agrees_with_a_recomputation_after_any_sequence(server: ServerProcess, own_redis_url: str) -> None:
    loop = asyncio.new_event_loop()
    redis = Redis.from_url(own_redis_url)
    try:
        run_state_machine_as_test(
            _machine(loop, redis),
            settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
        )
    finally:
        loop.run_until_complete(redis.aclose())
        loop.close()
