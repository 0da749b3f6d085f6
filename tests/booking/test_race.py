"""The issue's acceptance test: a hundred fans, five hundred simultaneous hold requests on the same few seats, and
no seat ever in two holds."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from backend.seats import _keys as keys
from tests.booking.helpers import statuses
from tests.booking.race import close_fans, hold_race, plan_requests, seats_in_two_holds, signed_in_fans
from tests.support.data import create_show
from tests.support.servers import ServerProcess

FANS = 100
REQUESTS = 500
MAX_SEATS_PER_ORDER = 8


async def test_five_hundred_simultaneous_holds_never_share_a_seat(server: ServerProcess, redis: Redis) -> None:
    show = await create_show()  # 80 seats: 2 sections x 4 rows x 10
    started = time.perf_counter()
    fans = await signed_in_fans(redis, server.url, FANS)
    registered = time.perf_counter()
    try:
        outcome = await hold_race(show.id, plan_requests(fans, show.seat_ids, REQUESTS, seed=20261125))
        print(f"\n{FANS} fans signed in in {registered - started:.1f} s; {REQUESTS} holds answered in "
              f"{time.perf_counter() - registered:.2f} s: {dict(outcome.statuses)}")
        by_index = {fan.index: fan for fan in fans}

        # Real contention happened, and nothing but the contract's answers came back.
        assert len(outcome.attempts) == REQUESTS
        assert set(outcome.statuses) <= {201, 409, 422}, outcome.statuses
        assert outcome.statuses[201] >= 20 and outcome.statuses[409] >= 100, outcome.statuses

        assert seats_in_two_holds(outcome.holds) == {}
        for attempt in outcome.answers(201):
            assert set(attempt.requested) <= set(attempt.body["seat_ids"])  # all or nothing
            assert len(attempt.body["seat_ids"]) <= MAX_SEATS_PER_ORDER

        # The map shows exactly the seats of the successful holds as held, and Redis names the right hold.
        held_anywhere = set().union(*outcome.holds.values())
        seat_status = await statuses(fans[0].client, show.id)
        assert {seat for seat, status in seat_status.items() if status == "held"} == held_anywhere
        state = await redis.hgetall(keys.state(show.id))
        for hold_id, seats in outcome.holds.items():
            assert all(state[seat.encode()] == hold_id.encode() for seat in seats)
            owner = by_index[outcome.owners[hold_id]].client
            answer = await owner.get(f"/api/v1/holds/{hold_id}")
            assert answer.status_code == 200 and set(answer.json()["seat_ids"]) == seats

        # A refusal names only seats that really were taken, and by someone else.
        seat_owner = {seat: outcome.owners[hold_id] for hold_id, seats in outcome.holds.items() for seat in seats}
        for attempt in outcome.answers(409):
            listed = attempt.body["seat_ids"]
            assert listed and set(listed) <= set(attempt.requested), attempt
            assert all(seat_owner.get(seat) not in (None, attempt.fan) for seat in listed), attempt
        mine = {outcome.owners[h]: seats for h, seats in outcome.holds.items()}
        for attempt in outcome.answers(422):
            assert attempt.body["error"] == "too_many_seats"
            assert len(mine.get(attempt.fan, set()) | set(attempt.requested)) > MAX_SEATS_PER_ORDER, attempt
    finally:
        await close_fans(fans)
