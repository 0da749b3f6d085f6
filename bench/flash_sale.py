"""Flash sale: a scripted on-sale against N app processes, from the queue to the tickets, with end-of-sale checks.

One command starts everything on loopback: Redis (one embedded Valkey, or with `--redis cluster` a 3+3 Valkey
Cluster from tests/support/cluster.py once that has landed), the Stripe stand-in with webhooks on and `python -m
backend.launcher.serve --workers N` (the launcher `just serve` runs). Then:
1. `--fans` signed-in fans (profile rows and sessions written straight to the database and the session store, as
   the realtime tests do: registering 20,000 through the API costs 20,000 argon2 hashes) join the stadium show's
   waiting room before it opens;
2. `--watchers` live-map sockets watch the stadium for the whole sale;
3. the sale opens: the app draws the early arrivals' places; every fan asks for its number (GET /queue/me);
4. admission follows free capacity (`--capacity` active shoppers): each fan whose number is served holds
   `--seats-per-fan` best-available seats, checks out, pays through the stand-in (as Stripe.js does) and tells
   the app (POST /orders/{id}/settle, as the web app does), polling the order until paid if settle did not answer
   paid; the sale frees its place for the next fan; for `--shop-seconds`;
5. the bench reports admissions/s, holds/s, p50/p99 per endpoint and tickets sold, and checks in the database that
   tickets == paid seats, no seat was sold twice, the payment ledger verifies and every paid order has tickets.
Fans run in `--clients` processes (a raw HTTP/1.1 client, bench/raw_http.py), watchers in `--watcher-clients`.
Run: `.venv/bin/python bench/flash_sale.py [--processes 2] [--fans 20000] [--watchers 5000] [--shop-seconds 60]`.
Exits non-zero when a check fails. Writes the "Flash sale" section of docs/performance.md.

`--stadium` (issue 22): the demo stadium's 52,800 seats (a new show on its venue, `Olympiastadion`) sold out
through the waiting room to `--fans` (default 100,000) fans who joined before the opening; the fans shop until no
block of `--seats-per-fan` seats is left and every purchase in flight has ended, or `--max-seconds`. It publishes
the time to sell out, paid orders/s over time, p50/p99 of every fan-facing call, payment → paid, and the end checks
(the "Stadium sell-out" section). `--seats N` sells a venue of N seats in the stadium's shape instead (rows of 44
seats in up to 24 blocks), so it can be run smaller: e.g. `--stadium --fans 10000 --seats 2640`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import cpu_seconds
from bench.report import bench_environment, bind_database, percentile, publish
from bench.sale import (
    PAYMENT_TO_PAID,
    Calls,
    Checks,
    Pool,
    Shop,
    app_processes,
    call_rows,
    database_label,
    end_checks,
    merged,
    pay,
    seed_fans,
    start_redis,
)

STADIUM_SECTIONS = (("Floor", 12000), ("Lower", 8000), ("Upper", 5000))
HOLD_RETRIES = 20  # a fan admitted a moment ago may still be refused (queue_required) by a process that lags
RETRY_PAUSE_S = 0.25
PAID_TIMEOUT_S = 60.0
PAID_POLL_S = 1.0  # how often a fan who paid asks for its order, as the web app does
STADIUM_SEATS = 52_800  # the demo stadium (db/demo_data.py): 24 blocks of 50 rows of 44
STADIUM_VENUE = "Olympiastadion"
SEATS_PER_ROW = 44
MAX_BLOCKS = 24
DRAIN_TIMEOUT_S = 60.0  # after the shopping time, how long in-flight purchases may take to finish


# ---------------------------------------------------------------- the fans' processes


@dataclass
class FanReport:
    calls: Calls = field(default_factory=Calls)
    joined_early: int = 0
    holds: int = 0
    paid_orders: int = 0
    paid_seats: int = 0
    paid_by_settle: int = 0
    sold_out: int = 0
    unpaid_when_left: int = 0  # paid at the stand-in, order not yet paid when the fan stopped waiting
    admitted: int = 0
    serving: list[tuple[float, int]] = field(default_factory=list)  # (time, serving) as the broadcast said
    hold_times: list[float] = field(default_factory=list)
    paid_times: list[float] = field(default_factory=list)  # when each order was seen paid (epoch s)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SaleSpec:
    host: str
    port: int
    standin_port: int
    show_id: int
    opens_at: float  # epoch seconds
    shop_until: float
    seats_per_fan: int
    concurrency: int
    publishable_key: str
    until_sold_out: bool = False  # the stadium: shop until no block is left (or shop_until)


async def _fan_process(spec: SaleSpec, fans: list[tuple[int, str]], report: FanReport) -> None:
    from bench.live_map import ClientReport, RawWatcher

    shop_at = Shop(app=Pool(spec.host, spec.port, spec.concurrency),
                   stripe=Pool(spec.host, spec.standin_port, spec.concurrency), show_id=spec.show_id,
                   publishable_key=spec.publishable_key, poll_s=PAID_POLL_S, paid_timeout_s=PAID_TIMEOUT_S)
    app = shop_at.app
    gate = asyncio.Semaphore(spec.concurrency)
    base = f"/api/v1/shows/{spec.show_id}"
    sold_out = asyncio.Event()

    async def call(name: str, method: str, path: str, **kwargs):
        return await report.calls.call(app, name, method, path, **kwargs)

    # 1. Everyone joins before the opening.
    async def join(cookie: str) -> None:
        async with gate:
            answer = await call("POST /queue", "POST", f"{base}/queue", cookie=cookie)
        if answer.status in (200, 201) and answer.json()["number"] is None:
            report.joined_early += 1

    await asyncio.gather(*(join(cookie) for _, cookie in fans))
    await asyncio.sleep(max(0.0, spec.opens_at - time.time()))

    # 2. The sale opened: every fan learns its drawn number once (the web app does this when `open` turns true).
    numbers: dict[str, int] = {}

    async def my_number(cookie: str) -> None:
        for _ in range(200):
            async with gate:
                answer = await call("GET /queue/me", "GET", f"{base}/queue/me", cookie=cookie)
            if answer.status == 200 and answer.json()["number"] is not None:
                numbers[cookie] = answer.json()["number"]
                return
            await asyncio.sleep(RETRY_PAUSE_S)  # the draw is a moment away
        report.problems.append("a fan never got its number")

    await asyncio.gather(*(my_number(cookie) for _, cookie in fans))

    # 3. Follow the line as the broadcast tells it, and shop when served.
    serving = 0
    served = asyncio.Event()

    class QueueFollower(RawWatcher):
        def frame(self, first: int, payload: bytes, at: float) -> None:
            nonlocal serving
            if first & 0x0F != 0x1:
                super().frame(first, payload, at)  # pings, closes
                return
            message = json.loads(payload)
            if message.get("type") == "queue" and message["serving"] > serving:
                serving = message["serving"]
                report.serving.append((at, serving))
                served.set()

    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    transport, _ = await loop.create_connection(
        lambda: QueueFollower(f"{spec.host}:{spec.port}", f"{base}/queue/live", ClientReport(), False, ready),
        spec.host, spec.port)
    await asyncio.wait_for(ready, 30)

    async def shop(cookie: str) -> None:
        report.admitted += 1
        hold = None
        for _ in range(HOLD_RETRIES):
            answer = await call("POST /holds", "POST", f"{base}/holds", cookie=cookie,
                                body=json.dumps({"best_available": {"count": spec.seats_per_fan}}).encode())
            if answer.status == 201:
                hold = answer.json()
                break
            error = answer.json() if answer.body else {}
            if error.get("error") == "seats_unavailable" and not error.get("seat_ids"):
                report.sold_out += 1  # no `count` seats together are left
                sold_out.set()
                return
            if answer.status not in (403, 409):
                report.problems.append(f"hold answered {answer.status} {answer.body[:200]!r}")
                return
            # queue_required from a process that has not seen the grant yet, or seats_unavailable naming seats
            # other fans took while the server chose (it retries a few times itself)
            await asyncio.sleep(RETRY_PAUSE_S)
        if hold is None:
            report.problems.append("a served fan was never allowed to hold")
            return
        report.holds += 1
        report.hold_times.append(time.time())
        try:
            bought = await pay(shop_at, report.calls, cookie, hold["hold_id"])
        except Exception as exc:  # counted: the run fails
            report.problems.append(f"purchase failed: {type(exc).__name__}: {exc}")
            return
        if bought.paid:
            report.paid_orders += 1
            report.paid_seats += bought.seats
            report.paid_by_settle += bought.by_settle
            report.paid_times.append(time.time())
        elif bought.timed_out:
            report.unpaid_when_left += 1  # its webhook may still come; the end checks still hold
        else:
            report.problems.append(bought.problem or "not paid")

    line = sorted(numbers.items(), key=lambda item: item[1])
    shoppers: set[asyncio.Task] = set()
    next_fan = 0
    while time.time() < spec.shop_until and next_fan < len(line) and not sold_out.is_set():
        while next_fan < len(line) and line[next_fan][1] <= serving and not sold_out.is_set():
            task = asyncio.create_task(shop(line[next_fan][0]))
            shoppers.add(task)
            task.add_done_callback(shoppers.discard)
            next_fan += 1
        served.clear()
        try:
            # Woken by the next admission, or (the stadium) every second to see whether it sold out meanwhile.
            await asyncio.wait_for(served.wait(), max(0.01, min(1.0 if spec.until_sold_out else float("inf"),
                                                                spec.shop_until - time.time())))
        except TimeoutError:
            if not spec.until_sold_out:
                break
    if shoppers:
        await asyncio.wait(shoppers, timeout=DRAIN_TIMEOUT_S)
    transport.close()


def _fans_main(spec: SaleSpec, fans: list[tuple[int, str]], conn) -> None:  # a child process
    report = FanReport()
    try:
        asyncio.run(_fan_process(spec, fans, report))
    except Exception as exc:  # reported to the parent, which fails the run
        report.problems.append(f"fan process failed: {type(exc).__name__}: {exc}")
    report.calls.plain()
    conn.send(report)


# ---------------------------------------------------------------- the run


async def _hot_show_read(redis_url: str, redis_pid: int, taken: int, calls: int = 500) -> tuple[float, float]:
    """What one best-available hold costs Redis on a hot show (capacity's FS2): the demo stadium's layout with its
    best `taken` seats held, then best-available holds of 2 by new profiles (bench/best_available.py's measurement:
    the choice and the lock are one script). Returns (Redis CPU ms, wall ms) per hold."""
    from redis.asyncio import Redis

    from bench.best_available import Probe, _best, _show, stadium_layout

    layout, prices = stadium_layout()
    show_id = 10**9 + os.getpid()
    redis = Redis.from_url(redis_url.replace("valkey://", "redis://", 1))
    try:
        await _show(redis, show_id, layout, prices, list(range(taken)))
        cpu, _, wall = await Probe(redis, redis_pid).per_call(
            [_best(redis, show_id, profile, prices) for profile in range(calls)])
    finally:
        await redis.aclose()
    return cpu / 1000, wall / 1000


def _argon2_ms() -> float:
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    started = time.process_time()
    for _ in range(5):
        hasher.hash("correct horse battery staple")
    return (time.process_time() - started) / 5 * 1000


async def _accessible_seats(show_id: int) -> int:
    """The show's wheelchair spaces: best available gives them only to a request that asks for accessible seats,
    which these fans never make."""
    from db.tables import Seat, Show

    venue = await Show.select(Show.venue).where(Show.id == show_id).first()
    assert venue is not None
    return await Seat.count().where((Seat.venue == venue["venue"]) & (Seat.accessible == True))  # noqa: E712


async def _stadium_show(seats: int, opens_in: float) -> tuple[int, int]:
    """A new show with a waiting room, opening in `opens_in` s: on the demo stadium's venue for its 52,800 seats,
    else on a venue of `seats` seats in the stadium's shape (rows of 44, in up to 24 blocks). (show id, seats)."""
    from backend.timeutil import utcnow
    from db.tables import Seat, Show, Venue
    from tests.support.data import create_show

    if seats == STADIUM_SEATS:
        venue = await Venue.select(Venue.id).where(Venue.name == STADIUM_VENUE).first()
        assert venue is not None, f"the demo data has no {STADIUM_VENUE}"
        total = await Seat.count().where(Seat.venue == venue["id"])
        now = utcnow()
        show_id = (await Show.insert(Show(
            title="Stadium Sell-out", description="bench/flash_sale.py --stadium", venue=venue["id"],
            starts_at=now + timedelta(days=30), sale_opens_at=now + timedelta(seconds=opens_in), currency="EUR",
            queue_enabled=True, seats_total=total, search_text="Stadium Sell-out Olympiastadion Berlin",
        )).returning(Show.id))[0]["id"]
        return show_id, total
    rows = max(1, seats // SEATS_PER_ROW)
    blocks = max(b for b in range(1, MAX_BLOCKS + 1) if rows % b == 0)
    show = await create_show(rows=rows // blocks, seats_per_row=SEATS_PER_ROW,
                             sections=tuple((f"Block {b + 1}", 9000 - 200 * b) for b in range(blocks)),
                             queue_enabled=True, sale_opens_in=timedelta(seconds=opens_in), title="Stadium Sell-out")
    return show.id, len(show.seat_ids)


async def _run(args: argparse.Namespace) -> tuple[str, bool]:
    from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY
    from bench.live_map import _client_main
    from bench.sale import standin_processes
    from db.manage import migrate
    from tests.realtime.fans import SESSION_COOKIE
    from tests.support.data import create_show
    from tests.support.servers import ServerProcess

    var_dir = Path(os.environ["VAR_DIR"])
    cleanup: list = []
    context = multiprocessing.get_context("spawn")
    try:
        await migrate()
        redis_env, redis, redis_label, redis_pids = start_redis(args.redis, var_dir, cleanup)
        server = ServerProcess(var_dir=var_dir, name="flash-sale", workers=args.processes, env={
            **redis_env, "QUEUE_ACTIVE_SHOPPERS": str(args.capacity), "HOLD_TTL_SECONDS": "120",
            "ADMISSION_TTL_SECONDS": "120"}).start()
        cleanup.append(server.stop)
        started = time.monotonic()
        try:
            fans = await seed_fans(redis, args.fans, server.url)
        finally:
            await redis.aclose()
        seed_s = time.monotonic() - started
        seed_hash_ms = _argon2_ms()
        assert server.process is not None
        # Joins run at a few hundred a second on this loaded machine: the stadium's fans get more time to line up.
        opens_in = args.opens_in if args.opens_in is not None else 15 + args.fans / (150 if args.stadium else 400)
        args.opens_in_used = opens_in
        if args.stadium:
            show_id, seats = await _stadium_show(args.seats, opens_in)
        else:
            show = await create_show(rows=args.rows, seats_per_row=args.seats_per_row, sections=STADIUM_SECTIONS,
                                     queue_enabled=True, sale_opens_in=timedelta(seconds=opens_in),
                                     title="Flash Sale Stadium")
            show_id, seats = show.id, len(show.seat_ids)
        opens_at = time.time() + opens_in
        args.accessible_seats = await _accessible_seats(show_id)

        # The watchers, connected before the first fan joins and watching until the end.
        watcher_pipes = []
        urls = [f"{server.url}/api/v1/shows/{show_id}/live"] * args.watchers
        for c in range(args.watcher_clients if args.watchers else 0):
            parent, child = context.Pipe()
            context.Process(target=_client_main, args=(urls[c::args.watcher_clients], False, True, child, None),
                            daemon=True).start()
            watcher_pipes.append(parent)
        loop = asyncio.get_running_loop()
        for pipe in watcher_pipes:
            assert await loop.run_in_executor(None, pipe.recv) == "ready"
        if time.time() > opens_at - 5:
            raise SystemExit(f"setting up took past the opening; give --opens-in more than {opens_in:g} s")

        spec = SaleSpec(host="127.0.0.1", port=server.port, standin_port=server.standin_port, show_id=show_id,
                        opens_at=opens_at,
                        shop_until=opens_at + (args.max_seconds if args.stadium else args.shop_seconds),
                        seats_per_fan=args.seats_per_fan, concurrency=args.concurrency,
                        publishable_key=STANDIN_PUBLISHABLE_KEY, until_sold_out=args.stadium)
        cookies = [(fan.profile_id, f"{SESSION_COOKIE}={fan.session_id}") for fan in fans]
        fan_pipes = []
        for c in range(args.clients):
            parent, child = context.Pipe()
            context.Process(target=_fans_main, args=(spec, cookies[c::args.clients], child), daemon=True).start()
            fan_pipes.append(parent)
        groups = (app_processes(server.process.pid), redis_pids, standin_processes(server.process.pid))
        cpu_before = [sum(cpu_seconds(pid) for pid in group) for group in groups]
        reports: list[FanReport] = [await loop.run_in_executor(None, pipe.recv) for pipe in fan_pipes]
        cpu = [sum(cpu_seconds(pid) for pid in group) - before
               for group, before in zip(groups, cpu_before, strict=True)]
        ended = time.time()
        load = os.getloadavg()
        await asyncio.sleep(2.0)  # webhooks still in flight for orders whose fans gave up waiting
        for pipe in watcher_pipes:
            pipe.send("stop")
        watched = [await loop.run_in_executor(None, pipe.recv) for pipe in watcher_pipes]
        checks = await end_checks(show_id)
        probe = (await _hot_show_read(redis_env["REDIS_URL"], redis_pids[0], args.probe_taken)
                 if "REDIS_URL" in redis_env and not args.stadium else None)
    finally:
        for step in reversed(cleanup):
            step()
    passed = checks.passed and not any(r.problems for r in reports)
    if args.stadium:
        return _stadium_report(args, seats, seed_s, opens_at, ended, reports, checks, cpu, load), passed
    return _report(args, redis_label, seats, seed_s, opens_at, ended, reports, watched, checks, cpu,
                   load, probe, seed_hash_ms), passed


def _report(args: argparse.Namespace, redis_label: str, seats: int, seed_s: float, opens_at: float, ended: float,
            reports: list[FanReport], watched: list, checks: Checks, cpu: list[float],
            load: tuple[float, float, float], probe: tuple[float, float] | None, hash_ms: float) -> str:
    calls = merged([report.calls for report in reports])
    statuses = calls.statuses
    serving = sorted(point for report in reports for point in report.serving)
    admissions_s = ((serving[-1][1] - serving[0][1]) / (serving[-1][0] - serving[0][0])
                    if len(serving) > 1 and serving[-1][0] > serving[0][0] else float("nan"))
    hold_times = sorted(t for report in reports for t in report.hold_times)
    holds = len(hold_times)
    shop_span = min(ended, opens_at + args.shop_seconds) - opens_at
    problems = [p for report in reports for p in report.problems]
    requests = sum(count for key, count in statuses.items() if not key.startswith("stand-in"))
    watcher_problems = [p for *_, trouble in watched for p in trouble]
    watcher_messages = sum(sum(counts.values()) for _, _, counts, _ in watched)
    lines = [
        "## Flash sale",
        "",
        f"`bench/flash_sale.py`: {args.processes} app process(es) (`python -m backend.launcher.serve --workers "
        f"{args.processes}`), {redis_label}, {database_label()}, the Stripe stand-in with webhooks on; a stadium of "
        f"{seats:,} seats with a waiting room letting {args.capacity} shoppers in at a time. {args.fans:,} signed-in "
        f"fans (profile rows and sessions written straight in {seed_s:.1f} s) join before the opening, {args.watchers:,} live-map "
        f"sockets watch; at the opening every fan asks for its drawn number, and for {args.shop_seconds:g} s each "
        f"served fan holds {args.seats_per_fan} best-available seats, checks out, pays through the stand-in and "
        f"tells the app, as the web app does (POST /orders/{{id}}/settle). Fans in {args.clients} processes "
        f"(raw HTTP/1.1 keep-alive, {args.concurrency} connections each), watchers in {args.watcher_clients}; "
        "everything on this machine.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| fans who joined before the opening (drawn) | {sum(r.joined_early for r in reports):,} |",
        f"| admissions/s (the broadcast's `serving`, first to last move after the opening) | {admissions_s:.1f} |",
        f"| holds placed / holds/s over the {shop_span:.0f} s of shopping | {holds:,} / {holds / shop_span:.1f} |",
        f"| orders paid / tickets sold (database, at the end) | {checks.paid_orders:,} / {checks.tickets:,} |",
        f"| fans turned away sold out | {sum(r.sold_out for r in reports):,} |",
        f"| payments whose order was not yet paid when the fan stopped waiting ({PAID_TIMEOUT_S:g} s) | "
        f"{sum(r.unpaid_when_left for r in reports):,} |",
        f"| app CPU (uvicorn's workers and supervisor) / Redis CPU, from the first join on | {cpu[0]:.0f} s / "
        f"{cpu[1]:.1f} s |",
        f"| HTTP requests served per app CPU-second (this mix, sockets included) | {requests / cpu[0]:.0f} |",
        f"| Redis CPU per HTTP request (everything Redis did: sessions, scripts, pub/sub, the jobs) | "
        f"{cpu[1] / requests * 1e6 if requests else float('nan'):.0f} µs |",
        f"| live-map messages received by the watchers / protocol problems | {watcher_messages:,} / "
        f"{len(watcher_problems)} |",
        "",
    ]
    lines += call_rows(calls, skip=())
    lines += [
        "",
        checks.sentence(problems),
        "",
        f"Load average when the run ended: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min).",
    ]
    if probe:
        lines += ["", f"A best-available hold on a hot show (after the sale, same Redis): the 52,800-seat demo "
                  f"stadium with its best {args.probe_taken:,} seats held, a hold of 2 chosen and locked in one "
                  f"script: {probe[0] * 1000:,.0f} µs of Redis CPU and {probe[1]:.2f} ms wall per hold."]
    lines += ["", f"One argon2id password hash (the app's hasher: the CPU of each sign-in and registration): "
              f"{hash_ms:.0f} ms."]
    return "\n".join(lines)


FAN_FACING = ("POST /queue", "GET /queue/me", "POST /holds", "POST /checkout", "POST /orders/{id}/settle",
              "GET /orders/{id}")


def _stadium_report(args: argparse.Namespace, seats: int, seed_s: float, opens_at: float, ended: float,
                    reports: list[FanReport], checks: Checks, cpu: list[float],
                    load: tuple[float, float, float]) -> str:
    calls = merged([report.calls for report in reports])
    paid = sorted(t for report in reports for t in report.paid_times)
    problems = [p for report in reports for p in report.problems]
    # Sold out for these fans: best available told them no block of their count is left. What remains then is the
    # wheelchair spaces (given only to requests that ask for accessible seats, which these fans never make) and
    # seats with no free neighbour left between the pairs sold.
    sold_out = checks.tickets == seats or any(report.sold_out for report in reports)
    singles = seats - checks.tickets - args.accessible_seats
    span = (paid[-1] if paid else ended) - opens_at
    to_paid = calls.latencies.get(PAYMENT_TO_PAID, [])
    serving = sorted(point for report in reports for point in report.serving)
    worst = max((percentile(calls.latencies[name], 99) for name in FAN_FACING if calls.latencies.get(name)),
                default=float("nan"))
    minutes = f"{span / 60:.1f} min" if sold_out else f"not sold out in {span / 60:.1f} min"
    scale = ("the demo stadium" if seats == STADIUM_SEATS else
             f"a venue of {seats:,} seats in the demo stadium's shape (rows of {SEATS_PER_ROW})")
    lines = [
        "## Stadium sell-out",
        "",
        f"`bench/flash_sale.py --stadium --fans {args.fans} --seats {args.seats}`: {scale} on sale through its "
        f"waiting room (capacity {args.capacity} shoppers at a time) to {args.fans:,} signed-in fans (profile rows "
        f"and sessions written straight in {seed_s:.0f} s) who all join the line from {args.opens_in_used:.0f} s "
        f"before the opening (those still joining when it opens go to the back); {args.processes} app "
        f"processes (`python -m backend.launcher.serve`), {database_label()}, one embedded Valkey, the Stripe "
        "stand-in with webhooks on. At the opening every fan asks for its drawn number; each fan the broadcast "
        f"serves holds {args.seats_per_fan} best-available seats, checks out, pays at the stand-in as Stripe.js "
        "does and tells the app (POST /orders/{id}/settle, as the web app does), until no block is left. Fans in "
        f"{args.clients} processes (raw HTTP/1.1 keep-alive, {args.concurrency} connections each); everything on "
        "this machine.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| **time to sell out** (opening → last order paid) | **{minutes}** ({checks.tickets:,} of {seats:,} "
        f"seats ticketed; left: the {args.accessible_seats:,} wheelchair spaces, which best available keeps for "
        f"requests that ask for accessible seats, and {singles:,} other seats"
        f"{f' with no free neighbour: no block of {args.seats_per_fan} left' if sold_out else ''}) |",
        f"| paid orders / mean paid orders/s | {len(paid):,} / {len(paid) / span if span > 0 else 0:.1f} |",
        f"| **payment → paid** p50 / p99 | **{statistics.median(to_paid) if to_paid else float('nan'):.0f} / "
        f"{percentile(to_paid, 99):.0f} ms** |",
        f"| orders the settle call answered paid | {sum(r.paid_by_settle for r in reports):,} of {len(paid):,} |",
        f"| slowest fan-facing call's p99 | {worst:.0f} ms |",
        f"| fans who joined before the opening / admitted / turned away sold out | "
        f"{sum(r.joined_early for r in reports):,} / {sum(r.admitted for r in reports):,} / "
        f"{sum(r.sold_out for r in reports):,} |",
        f"| last `serving` the broadcast announced | {serving[-1][1] if serving else 0:,} |",
        f"| app CPU (all processes) / Valkey CPU / stand-in CPU, from the first join on | {cpu[0]:.0f} s / "
        f"{cpu[1]:.0f} s / {cpu[2]:.0f} s |",
        f"| app CPU per paid order (joins, draws and polls included) | "
        f"{cpu[0] / len(paid) * 1000 if paid else float('nan'):.0f} ms |",
        "",
        "Paid orders/s over time (from the opening):",
        "",
        "| from s | to s | paid orders/s |",
        "|---:|---:|---:|",
    ]
    step = max(10.0, round(span / 10, -1)) if span > 0 else 10.0
    edge = 0.0
    while edge < span:
        count = sum(1 for t in paid if edge <= t - opens_at < edge + step)
        lines.append(f"| {edge:.0f} | {min(edge + step, span):.0f} | {count / min(step, span - edge):.1f} |")
        edge += step
    lines += ["", *call_rows(calls), "", checks.sentence(problems), "",
              f"Load average when the run ended: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="app worker processes")
    parser.add_argument("--redis", choices=("single", "cluster"), default="single")
    parser.add_argument("--fans", type=int, default=None, help="default 20,000 (100,000 with --stadium)")
    parser.add_argument("--watchers", type=int, default=None, help="default 5,000 (0 with --stadium)")
    parser.add_argument("--capacity", type=int, default=100, help="QUEUE_ACTIVE_SHOPPERS: shoppers in at once")
    parser.add_argument("--seats-per-fan", type=int, default=2)
    parser.add_argument("--shop-seconds", type=float, default=60.0)
    parser.add_argument("--opens-in", type=float, default=None,
                        help="seconds from the show's creation to the opening (default 15 + fans/400)")
    parser.add_argument("--rows", type=int, default=20, help="rows per section (3 sections)")
    parser.add_argument("--seats-per-row", type=int, default=50)
    parser.add_argument("--clients", type=int, default=2, help="fan client processes")
    parser.add_argument("--watcher-clients", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32, help="connections per fan client process")
    parser.add_argument("--probe-taken", type=int, default=26_400,
                        help="held seats of the synthetic hot stadium whose best-available holds are timed after the sale")
    parser.add_argument("--stadium", action="store_true",
                        help="issue 22: sell the demo stadium out through its waiting room (defaults: 100,000 fans, "
                             "no watchers)")
    parser.add_argument("--seats", type=int, default=STADIUM_SEATS,
                        help="with --stadium: seats on sale (52,800: the demo stadium itself; fewer: a venue of "
                             "its shape)")
    parser.add_argument("--max-seconds", type=float, default=1800.0,
                        help="with --stadium: give up shopping this long after the opening")
    parser.add_argument("--no-publish", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    if args.stadium:
        args.fans = args.fans if args.fans is not None else 100_000
        args.watchers = args.watchers if args.watchers is not None else 0
    args.fans = args.fans if args.fans is not None else 20_000
    args.watchers = args.watchers if args.watchers is not None else 5_000
    with bench_environment():  # with DATABASE_URL=postgresql://..., a database of the bench's own there
        bind_database()
        body, passed = asyncio.run(_run(args))
    publish("flash-sale-stadium" if args.stadium else "flash-sale", body, dry_run=args.no_publish)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
