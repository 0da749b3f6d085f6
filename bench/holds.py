"""Holds benchmark: hold + release cycles through HTTP, against the same Lua scripts run straight on Redis.

By default: a fresh database (SQLite, or DATABASE_URL=postgresql://...), a show of 2,000 seats made here, Redis from
--redis / REDIS_URL or else the embedded Valkey, and one server process started here. With --url it drives a
running server instead (give --show, and --redis to also measure the ceiling).

Each of N signed-in fans owns its own slice of seats and loops: hold 2 seats, release the hold. So the figures are
the cost of the locking path itself, not of contention. The same loop is then run with the same concurrency straight
on Redis (backend.seats.lock_seats / release_hold: the same scripts, no HTTP, no sessions): the ceiling.
Run: `.venv/bin/python bench/holds.py [--fans 32] [--seconds 10]`. Writes the "Holds" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import bind_database, percentile, prepare_environment, publish

PASSWORD = "correct horse battery staple"
SEATS_PER_HOLD = 2
REGISTER_CONCURRENCY = 8


@dataclass
class Timings:
    hold_ms: list[float] = field(default_factory=list)
    release_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def cycles_per_s(self) -> float:
        return len(self.release_ms) / self.elapsed_s if self.elapsed_s else 0.0




async def _loop(workers: int, seconds: float, cycle: Callable[[int, int], Awaitable[tuple[float, float]]]) -> Timings:
    """Run `cycle(worker, round)` in `workers` concurrent loops for `seconds`; collect its two latencies."""
    timings = Timings()
    deadline = time.monotonic() + seconds

    async def worker(index: int) -> None:
        round_ = 0
        while time.monotonic() < deadline:
            hold_ms, release_ms = await cycle(index, round_)
            timings.hold_ms.append(hold_ms)
            timings.release_ms.append(release_ms)
            round_ += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(workers)))
    timings.elapsed_s = time.perf_counter() - started
    return timings


def _pick(seats: list[str], round_: int) -> list[str]:
    start = (round_ * SEATS_PER_HOLD) % (len(seats) - SEATS_PER_HOLD + 1)
    return seats[start:start + SEATS_PER_HOLD]


async def _register(base_url: str, count: int):
    import httpx

    gate = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def one(_: int):
        client = httpx.AsyncClient(base_url=base_url, timeout=60, limits=httpx.Limits(keepalive_expiry=2))
        async with gate:
            response = await client.post("/api/v1/auth/register", json={
                "email": f"bench-{secrets.token_hex(6)}@example.com", "password": PASSWORD, "name": "Bench"})
        assert response.status_code == 201, response.text
        return client, int(response.json()["profile_id"])

    return await asyncio.gather(*(one(i) for i in range(count)))


async def _http_phase(fans, show_id: str, slices: list[list[str]], seconds: float) -> Timings:
    async def cycle(index: int, round_: int) -> tuple[float, float]:
        client = fans[index][0]
        started = time.perf_counter()
        placed = await client.post(f"/api/v1/shows/{show_id}/holds", json={"seat_ids": _pick(slices[index], round_)})
        held = time.perf_counter()
        assert placed.status_code == 201, placed.text
        released = await client.delete(f"/api/v1/holds/{placed.json()['hold_id']}")
        assert released.status_code == 204, released.text
        return (held - started) * 1000, (time.perf_counter() - held) * 1000

    return await _loop(len(fans), seconds, cycle)


async def _direct_phase(redis_url: str, show_id: int, profile_ids: list[int], slices: list[list[str]],
                        seconds: float) -> Timings:
    from redis.asyncio import Redis

    from backend import seats as seat_state
    from backend.booking.hold_ids import new_hold_id
    from backend.seats import ensure_built

    redis = Redis.from_url(redis_url.replace("valkey://", "redis://", 1), max_connections=512)
    await ensure_built(redis, show_id)

    async def cycle(index: int, round_: int) -> tuple[float, float]:
        started = time.perf_counter()
        placed = await seat_state.lock_seats(
            redis, show_id=show_id, profile_id=profile_ids[index], new_hold_id=new_hold_id(show_id),
            seats=[(seat, 5000) for seat in _pick(slices[index], round_)], ttl_ms=480_000, max_seats=8,
            currency="EUR")
        held = time.perf_counter()
        assert isinstance(placed, seat_state.Placed), placed
        released = await seat_state.release_hold(redis, show_id=show_id, hold_id=placed.record.hold_id,
                                            profile_id=profile_ids[index])
        assert released
        return (held - started) * 1000, (time.perf_counter() - held) * 1000

    try:
        return await _loop(len(profile_ids), seconds, cycle)
    finally:
        await redis.aclose()


async def _best_available_phase(fans, show_id: str, rounds: int) -> list[float]:
    client = fans[0][0]
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        placed = await client.post(f"/api/v1/shows/{show_id}/holds", json={"best_available": {"count": 4}})
        timings.append((time.perf_counter() - started) * 1000)
        assert placed.status_code == 201, placed.text
        await client.delete(f"/api/v1/holds/{placed.json()['hold_id']}")
    return timings


def _stadium_best_available() -> dict[str, float]:
    """choose_seats on the demo stadium's real layout (52,800 seats), in ms, at three levels of occupancy."""
    import math
    import random

    from backend.booking.best_available import build_index, choose_seats
    from backend.catalog.layout import SectionInfo, VenueLayout
    from db.demo_data import stadium

    spec = stadium()
    seats = [(section_id, seat) for section_id, section in enumerate(spec.sections) for seat in section.seats]
    seats.sort(key=lambda item: math.hypot(item[1].x - spec.focus[0], item[1].y - spec.focus[1]))  # rank order
    seat_ids = [str(i) for i in range(len(seats))]
    layout = VenueLayout(
        venue_id=-1, sections=[SectionInfo(i, s.name, s.price_cents) for i, s in enumerate(spec.sections)],
        seat_ids=seat_ids, index={seat_id: i for i, seat_id in enumerate(seat_ids)},
        section_ids=[section_id for section_id, _ in seats], rows=[seat.row for _, seat in seats],
        numbers=[seat.number for _, seat in seats], ranks=list(range(len(seats))),
        accessible=[seat.accessible for _, seat in seats], xs=[0.0] * len(seats), ys=[0.0] * len(seats))
    started = time.perf_counter()
    index = build_index(layout)
    figures = {"build the row index (once per venue)": (time.perf_counter() - started) * 1000}
    rng = random.Random(3)
    occupancies = {
        "empty house": set(),
        "half sold, scattered": {seat_id.encode() for seat_id in seat_ids if rng.random() < 0.5},
        "every third seat free, never 4 together (full scan)": {
            seat_id.encode() for seat_id, number in zip(seat_ids, layout.numbers, strict=True) if number % 3},
    }
    for label, taken in occupancies.items():
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            choose_seats(index, taken, 4)
            timings.append((time.perf_counter() - started) * 1000)
        figures[f"choose 4 seats, {label}"] = statistics.median(timings)
    return figures


async def _own_show() -> str:
    from db.manage import migrate
    from tests.support.data import create_show

    await migrate()
    show = await create_show(rows=20, seats_per_row=50, title="Holds Bench")
    return show.sid


async def _run(args: argparse.Namespace) -> str:
    from backend.embedded_valkey import start_valkey
    from backend.processes import stop
    from tests.support.servers import ServerProcess

    cleanup: list[Callable[[], None]] = []
    redis_url = args.redis or os.environ.get("REDIS_URL")
    redis_label = "Redis at " + redis_url if redis_url else "embedded Valkey"
    try:
        if args.url:
            base_url, show_id = args.url.rstrip("/"), args.show
            server_label = f"the server at {base_url}"
        else:
            show_id = await _own_show()
            if not redis_url:
                valkey, redis_url = start_valkey(Path(os.environ["VAR_DIR"]) / "valkey")
                cleanup.append(lambda: stop(valkey))
            server = ServerProcess(var_dir=Path(os.environ["VAR_DIR"]), name="bench-holds",
                                   env={"REDIS_URL": redis_url, "STRIPE_SECRET_KEY": "sk_test_bench"})
            server.start()
            cleanup.append(server.stop)
            base_url, server_label = server.url, "one server process (uvicorn, 1 worker) started here"
        fans = await _register(base_url, args.fans)
        try:
            seat_map = (await fans[0][0].get(f"/api/v1/shows/{show_id}/map")).json()
            free = [seat["id"] for seat in seat_map["seats"] if seat["status"] == "available"]
            per_fan = len(free) // args.fans
            assert per_fan >= 2 * SEATS_PER_HOLD, "not enough free seats for that many fans"
            slices = [free[i * per_fan:(i + 1) * per_fan] for i in range(args.fans)]
            http = await _http_phase(fans, show_id, slices, args.seconds)
            best = await _best_available_phase(fans, show_id, 200)
            direct = None
            if redis_url:
                direct = await _direct_phase(redis_url, int(show_id), [pid for _, pid in fans], slices,
                                             args.seconds)
        finally:
            await asyncio.gather(*(client.aclose() for client, _ in fans))
    finally:
        for step in reversed(cleanup):
            step()
    return _report(args, server_label, redis_label, http, direct, best, _stadium_best_available())


def _report(args, server_label: str, redis_label: str, http: Timings, direct: Timings | None,
            best: list[float], stadium: dict[str, float]) -> str:
    def row(label: str, t: Timings) -> str:
        return (f"| {label} | {t.cycles_per_s:,.0f} | {statistics.median(t.hold_ms):.2f} | {percentile(t.hold_ms, 99):.2f} "
                f"| {statistics.median(t.release_ms):.2f} | {percentile(t.release_ms, 99):.2f} |")

    backend = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    lines = [
        "## Holds",
        "",
        f"{args.fans} signed-in fans at once, each looping hold {SEATS_PER_HOLD} seats → release the hold, for "
        f"{args.seconds:.0f} s; {server_label}, {redis_label}, {backend}. The ceiling runs the same Lua scripts "
        "with the same concurrency straight on Redis from one Python process (no HTTP, sessions or validation).",
        "",
        "| path | hold+release cycles/s | hold p50 ms | hold p99 ms | release p50 ms | release p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
        row("HTTP (POST /holds, DELETE /holds/{id})", http),
    ]
    if direct is not None:
        lines.append(row("Lua scripts straight on Redis (ceiling)", direct))
        lines += ["", f"HTTP reaches **{http.cycles_per_s / direct.cycles_per_s:.0%}** of the ceiling "
                      f"({http.cycles_per_s:,.0f} vs {direct.cycles_per_s:,.0f} cycles/s)."]
    lines += ["", f"best_available (4 seats) through HTTP, one client, sequential: p50 {statistics.median(best):.2f} ms, "
                  f"p99 {percentile(best, 99):.2f} ms.",
              "", "best_available's choice alone on the demo stadium's layout (52,800 seats), median of 20:", "",
              "| step | ms |", "|---|---:|", *(f"| {label} | {ms:.2f} |" for label, ms in stadium.items()),
              "", f"Load average when the run ended: {os.getloadavg()[0]:.1f} (client, server and Redis share the "
                  "machine; other work on it counts too)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fans", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--url", help="drive this running server instead of starting one")
    parser.add_argument("--show", help="with --url: the show to hold seats of (not queue-enabled)")
    parser.add_argument("--redis", help="the server's Redis URL (default REDIS_URL, else embedded Valkey)")
    args = parser.parse_args()
    if args.url and not args.show:
        parser.error("--url needs --show")
    if not args.url:
        prepare_environment()
    bind_database()

    body = asyncio.run(_run(args))
    publish("holds", body)


if __name__ == "__main__":
    main()
