"""A sale's first best-available requests arrive together: one process loads the venue's layout once and builds the
show's free-run index once, however many of them found it missing (backend/seats/single_flight.py)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from backend import seats
from backend.booking.hold_ids import new_hold_id
from backend.catalog.cache_keys import cancelled_key
from backend.seats import free_runs
from backend.seats.single_flight import SingleFlight
from tests.support import data

TOGETHER = 32
MAX_SEATS = 8


async def test_concurrent_calls_for_one_key_share_one_run_and_later_calls_run_again() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    runs = 0
    release = asyncio.Event()

    async def work() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return runs

    waiting = [asyncio.create_task(flight.run("venue", work)) for _ in range(TOGETHER)]
    other = asyncio.create_task(flight.run("other venue", work))
    await asyncio.sleep(0)
    assert flight.in_flight("venue")
    waiting[0].cancel()  # a caller that gives up leaves the run going for the rest
    release.set()
    answers = await asyncio.gather(*waiting[1:], other)
    assert runs == 2, "one run per key"
    assert set(answers[:-1]) == {answers[0]} and answers[-1] != answers[0]
    assert not flight.in_flight("venue")
    assert await flight.run("venue", work) == 3  # nothing cached: a later call runs the work again


async def test_a_failed_run_fails_every_caller_that_shared_it() -> None:
    flight: SingleFlight[int, int] = SingleFlight()

    async def work() -> int:
        await asyncio.sleep(0.01)
        raise RuntimeError("database gone")

    answers = await asyncio.gather(*(flight.run(1, work) for _ in range(4)), return_exceptions=True)
    assert all(isinstance(answer, RuntimeError) for answer in answers)


@pytest.mark.usefixtures("server")
async def test_concurrent_first_requests_load_the_venue_once() -> None:
    show = await data.create_show(rows=6, seats_per_row=20)
    layouts = await asyncio.gather(*(free_runs.venue_layout(show.id) for _ in range(TOGETHER)))
    assert all(layout is layouts[0] for layout in layouts), "each request loaded and built its own layout"
    assert len(layouts[0].rows) == 12


@pytest.mark.usefixtures("server")
async def test_concurrent_first_best_available_requests_build_the_index_once(
        redis: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    show = await data.create_show(rows=6, seats_per_row=20)
    builds = 0
    real_build = free_runs.build_index_from

    async def counted(*args: object, **kwargs: object) -> bool | None:
        nonlocal builds
        builds += 1
        return await real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(free_runs, "build_index_from", counted)
    placed = await asyncio.gather(*(
        seats.lock_best_available(
            redis, show_id=show.id, profile_id=profile, new_hold_id=new_hold_id(show.id), count=2, section_id=None,
            accessible=False, prices={section: 1000 for section in show.sections.values()}, ttl_ms=60_000,
            max_seats=MAX_SEATS, currency="EUR", closing_mark=cancelled_key(show.id))
        for profile in range(1, TOGETHER + 1)))
    assert all(isinstance(outcome, seats.Placed) for outcome in placed), placed
    taken = [seat for outcome in placed if isinstance(outcome, seats.Placed) for seat in outcome.record.seat_ids]
    assert len(set(taken)) == 2 * TOGETHER
    # The state is missing too at first: one build finds no state and answers None, the state is built, one more
    # build makes the index.
    assert builds <= 2, f"{builds} index builds for {TOGETHER} requests in one process"
