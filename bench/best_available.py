"""Best available on a hot stadium: Redis CPU per best-available hold, measured as docs/capacity.md's FS2 is.

FS2 was the Redis CPU (user + system of the Redis process, from /proc) of one best-available hold's state read
(`read_state`) on a synthetic show of the demo stadium whose best 26,400 seats are held through the app's own lock
script, per call over a few hundred calls. This bench makes the same show, with the demo stadium's real layout
(db/demo_data.py: 1,200 rows of 44 seats, ranked by distance to the pitch; seat ids in rank order), and measures on
a Valkey of its own pinned to one core (--redis-cpu), the client pinned to the other:

- the old path's read (`read_state`, what FS2 measured) in the same run, for comparison;
- a best-available hold of 2 seats (`seats.lock_best_available`: choose and lock in one script), each by a new
  profile, on the half-sold house (the best half held) and on a house half sold at random (scattered);
- the free-run index's build (once per show, and after Redis lost the show's state);
- a hold of 2 named seats and the release of a hold (what the index's upkeep adds to every change of status);
- the floor: a script that only answers, called with a best-available hold's keys and arguments (what reading,
  running and answering any such call costs Redis), so the hold's own share can be read apart from it.

Run: `.venv/bin/python bench/best_available.py [--calls 500]`. Writes the "Best available" section of
docs/performance.md (add --dry-run to only print it).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.catalog.cache_keys import cancelled_key
from bench.loadgen import CLIENT_CPU, SERVER_CPU, cpu_seconds
from bench.report import bench_environment, bind_database, publish

HALF = 26_400
PER_HOLD = 8  # seats per hold while filling the house (the per-order limit)
TTL_MS = 3_600_000


def stadium_layout() -> tuple[list, dict[int, int]]:
    """The demo stadium as index seats (seat id = rank), and section id -> price."""
    from backend import seats
    from db.demo_data import stadium

    spec = stadium()
    ranked = [(math.hypot(seat.x - spec.focus[0], seat.y - spec.focus[1]), section_id, seat)
              for section_id, section in enumerate(spec.sections, start=1) for seat in section.seats]
    ranked.sort(key=lambda item: item[0])
    layout = [seats.LayoutSeat(rank, section_id, seat.row, seat.number, rank, seat.accessible)
              for rank, (_, section_id, seat) in enumerate(ranked)]
    prices = {section_id: section.price_cents for section_id, section in enumerate(spec.sections, start=1)}
    return layout, prices


class Probe:
    """Redis CPU per call of a batch of calls, FS2's way (user + system of the Redis process, from /proc), and as
    Redis counts it itself (INFO commandstats: the time inside EVALSHA, without reading and answering the call)."""

    def __init__(self, redis, redis_pid: int) -> None:
        self.redis = redis
        self.redis_pid = redis_pid

    async def per_call(self, calls: list[Callable[[], Awaitable[object]]]) -> tuple[float, float, float]:
        """(process CPU µs, commandstats µs, wall µs) per call."""
        await self.redis.config_resetstat()
        cpu_before, started = cpu_seconds(self.redis_pid), time.perf_counter()
        for call in calls:
            await call()
        wall = (time.perf_counter() - started) / len(calls) * 1e6
        cpu = (cpu_seconds(self.redis_pid) - cpu_before) / len(calls) * 1e6
        stats = await self.redis.info("commandstats")
        inside = sum(stats.get(f"cmdstat_{name}", {}).get("usec", 0) for name in ("evalsha", "eval", "exec"))
        return cpu, inside / len(calls), wall


async def _show(redis, show_id: int, layout, prices: dict[int, int], held: list[int]) -> float:
    """The show built, its index built, then `held` seats held (8 per hold); returns the index build's ms."""
    from backend import seats

    await seats.ensure_built(redis, show_id)
    index_layout = seats.index_layout(layout)
    started = time.perf_counter()
    built = await seats.build_index_from(redis, show_id, index_layout, PER_HOLD)
    build_ms = (time.perf_counter() - started) * 1000
    assert built, built
    price = next(iter(prices.values()))
    for n, first in enumerate(range(0, len(held), PER_HOLD)):
        placed = await seats.lock_seats(
            redis, show_id=show_id, profile_id=10**6 + n, new_hold_id=f"{show_id}-fill-{n}",
            seats=[(str(seat), price) for seat in held[first:first + PER_HOLD]], ttl_ms=TTL_MS, max_seats=PER_HOLD,
            currency="EUR", closing_mark=cancelled_key(show_id))
        assert isinstance(placed, seats.Placed), placed
    return build_ms


def _best(redis, show_id: int, profile: int, prices: dict[int, int], count: int = 2, section_id: int | None = None,
          accessible: bool = False, may_find_none: bool = False) -> Callable[[], Awaitable[object]]:
    from backend import seats

    async def call() -> None:
        outcome = await seats.lock_best_available(
            redis, show_id=show_id, profile_id=profile, new_hold_id=f"{show_id}-best-{profile}", count=count,
            section_id=section_id, accessible=accessible, prices=prices, ttl_ms=TTL_MS, max_seats=PER_HOLD,
            currency="EUR", closing_mark=cancelled_key(show_id))
        assert isinstance(outcome, seats.Placed) or (may_find_none and isinstance(outcome, seats.NoBlock)), outcome

    return call


FLOOR = "floor: a script that only answers, called with a best-available hold's keys and arguments"
_BARE = "return 1"


def _bare(redis, show_id: int) -> Callable[[], Awaitable[object]]:
    """What any script call with a best-available hold's 8 keys and 11 arguments costs Redis before it does anything:
    the ceiling the hold's own figure is read against."""
    from backend.infra.lua import LuaScript

    script = LuaScript(_BARE)
    keys = [f"{{show:{show_id}}}:floor:{i}" for i in range(8)]
    args = [f"{show_id}-floor-{i}" for i in range(11)]

    async def call() -> None:
        await script(redis, keys, args)

    return call


def _named(redis, show_id: int, profile: int, pair: list[int]) -> Callable[[], Awaitable[object]]:
    from backend import seats

    async def call() -> None:
        outcome = await seats.lock_seats(
            redis, show_id=show_id, profile_id=profile, new_hold_id=f"{show_id}-named-{profile}",
            seats=[(str(seat), 5000) for seat in pair], ttl_ms=TTL_MS, max_seats=PER_HOLD, currency="EUR",
            closing_mark=cancelled_key(show_id))
        assert isinstance(outcome, seats.Placed), outcome

    return call


def _release(redis, show_id: int, profile: int) -> Callable[[], Awaitable[object]]:
    from backend import seats

    async def call() -> None:
        released = await seats.release_hold(redis, show_id=show_id, hold_id=f"{show_id}-named-{profile}",
                                            profile_id=profile)
        assert isinstance(released, seats.Released), released

    return call


async def _measure(redis_url: str, redis_pid: int, calls: int) -> dict[str, tuple[float, float, float]]:
    from redis.asyncio import Redis

    from backend import seats

    layout, prices = stadium_layout()
    figures: dict[str, tuple[float, float, float]] = {}
    redis = Redis.from_url(redis_url)
    probe = Probe(redis, redis_pid)
    nan = float("nan")
    try:
        rng = random.Random(22)
        houses = {
            "best half held": list(range(HALF)),
            "half held at random": sorted(rng.sample(range(len(layout)), HALF)),
        }
        for n, (label, held) in enumerate(houses.items()):
            show_id = 10**9 + os.getpid() * 10 + n
            build_ms = await _show(redis, show_id, layout, prices, held)
            figures[f"{label}: the index's build (once per show)"] = (nan, nan, build_ms * 1000)  # in the wall µs column
            if n == 0:
                async def read(show_id: int = show_id) -> None:
                    await seats.read_state(redis, show_id)

                figures[f"FS2's read (`read_state`, the old path's first step), {label}"] = await probe.per_call(
                    [read] * max(50, calls // 10))
            figures[f"best-available hold of 2, {label}"] = await probe.per_call(
                [_best(redis, show_id, profile, prices) for profile in range(calls)])
            if n:
                continue
            figures[FLOOR] = await probe.per_call([_bare(redis, show_id)] * calls)
            figures[f"best-available hold of 2 in one section, {label}"] = await probe.per_call(
                [_best(redis, show_id, calls + p, prices, section_id=1) for p in range(calls // 5)])
            # The stadium's accessible spaces are all in front rows, so held here: every row with accessible seats
            # is read, and none fits (the costliest answer an accessible request gets).
            figures[f"best-available request for 1 accessible seat (none left), {label}"] = await probe.per_call(
                [_best(redis, show_id, 2 * calls + p, prices, count=1, accessible=True, may_find_none=True)
                 for p in range(50)])
            state = await redis.hgetall(f"{{show:{show_id}}}:state")
            free = [seat for seat in range(len(layout)) if str(seat).encode() not in state][:2 * calls]
            figures[f"hold of 2 named seats, {label}"] = await probe.per_call(
                [_named(redis, show_id, 3 * calls + p, free[2 * p:2 * p + 2]) for p in range(len(free) // 2)])
            figures[f"release of a hold of 2, {label}"] = await probe.per_call(
                [_release(redis, show_id, 3 * calls + p) for p in range(len(free) // 2)])
    finally:
        await redis.aclose()
    return figures


def _run(args: argparse.Namespace) -> str:
    from backend.launcher.embedded_valkey import start_valkey
    from backend.launcher.processes import stop

    var_dir = Path(os.environ["VAR_DIR"])
    valkey, url = start_valkey(var_dir / "valkey")
    try:
        subprocess.run(["taskset", "-a", "-p", "-c", args.redis_cpu, str(valkey.pid)], check=True, capture_output=True)
        os.sched_setaffinity(0, {int(args.client_cpu)})
        load_before = os.getloadavg()
        figures = asyncio.run(_measure(url, valkey.pid, args.calls))
        load_after = os.getloadavg()
    finally:
        stop(valkey)
    def cell(value: float) -> str:
        return "" if math.isnan(value) else f"{value:,.0f}"

    rows = [f"| {label} | {cell(cpu)} | {cell(inside)} | {cell(wall)} |"
            for label, (cpu, inside, wall) in figures.items()]
    best = figures["best-available hold of 2, best half held"]
    old = figures["FS2's read (`read_state`, the old path's first step), best half held"]
    named = figures["hold of 2 named seats, best half held"]
    floor = figures[FLOOR]
    return "\n".join([
        "## Best available",
        "",
        "Redis CPU of one best-available hold on the demo stadium's layout (52,800 seats, 1,200 rows of 44), half "
        f"of it held ({HALF:,} seats, 8 per hold), measured as capacity's FS2: the user + system CPU of the Redis "
        f"process (an embedded Valkey pinned to core {args.redis_cpu}, the client to core {args.client_cpu}) over "
        f"{args.calls:,} calls, per call; beside it the time Redis itself counts inside the scripts (INFO "
        "commandstats). Each best-available hold is a new profile's, so the house fills as the run goes; the choice "
        "and the lock are one script (bench/best_available.py).",
        "",
        "| call | Redis CPU µs | inside the script µs | wall µs |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"A best-available hold on the half-sold stadium: **{best[0]:,.0f} µs** of Redis CPU ({best[1]:,.0f} µs "
        f"inside the script), against {old[0]:,.0f} µs for the old path's state read alone, and {named[0]:,.0f} µs "
        f"for a hold of 2 named seats in the same run. One shard core: ~{1e6 / best[0]:,.0f} best-available holds/s "
        f"instead of ~{1e6 / old[0]:,.0f}. Of the {best[0]:,.0f} µs, {floor[0]:,.0f} are what any script call with "
        f"the same keys and arguments costs Redis (the floor's row): the hold's own work is {best[0] - floor[0]:,.0f} "
        f"µs, {(best[0] - floor[0]) / old[0]:.1%} of the old path's read.",
        "",
        f"Load average (1, 5, 15 min) before: {', '.join(f'{x:.1f}' for x in load_before)}; after: "
        f"{', '.join(f'{x:.1f}' for x in load_after)} (a shared machine: CPU per call rises with the load).",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--redis-cpu", default=SERVER_CPU)
    parser.add_argument("--client-cpu", default=CLIENT_CPU)
    parser.add_argument("--dry-run", action="store_true", help="print the section without writing it")
    args = parser.parse_args()
    with bench_environment():
        bind_database()
        from db.manage import migrate

        asyncio.run(migrate())
        body = _run(args)
    publish("best-available", body, dry_run=args.dry_run)


if __name__ == "__main__":
    main()
