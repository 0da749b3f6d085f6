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
   `--seats-per-fan` best-available seats, checks out, pays through the stand-in (as Stripe.js does) and waits for
   the webhook to make its order paid, which frees its place for the next fan; for `--shop-seconds`;
5. the bench reports admissions/s, holds/s, p50/p99 per endpoint and tickets sold, and checks in the database that
   tickets == paid seats, no seat was sold twice, the payment ledger verifies and every paid order has tickets.
Fans run in `--clients` processes (a raw HTTP/1.1 client, bench/raw_http.py), watchers in `--watcher-clients`.
Run: `.venv/bin/python bench/flash_sale.py [--processes 2] [--fans 20000] [--watchers 5000] [--shop-seconds 60]`.
Exits non-zero when a check fails. Writes the "Flash sale" section of docs/performance.md.
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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import cpu_seconds
from bench.report import bench_environment, bind_database, percentile, publish

STADIUM_SECTIONS = (("Floor", 12000), ("Lower", 8000), ("Upper", 5000))
HOLD_RETRIES = 20  # a fan admitted a moment ago may still be refused (queue_required) by a process that lags
RETRY_PAUSE_S = 0.25
SEED_BATCH = 1_000  # profiles per INSERT (SQLite allows ~32,000 bound values per statement)
PAID_TIMEOUT_S = 60.0
PAID_POLL_S = 1.0  # how often a fan who paid asks for its order, as the web app does
DRAIN_TIMEOUT_S = 60.0  # after the shopping time, how long in-flight purchases may take to finish


# ---------------------------------------------------------------- the fans' processes


@dataclass
class FanReport:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # endpoint -> ms
    statuses: Counter = field(default_factory=Counter)  # "endpoint status" -> count
    joined_early: int = 0
    holds: int = 0
    paid_orders: int = 0
    paid_seats: int = 0
    sold_out: int = 0
    unpaid_when_left: int = 0  # paid at the stand-in, order not yet paid when the fan stopped waiting
    admitted: int = 0
    serving: list[tuple[float, int]] = field(default_factory=list)  # (time, serving) as the broadcast said
    hold_times: list[float] = field(default_factory=list)
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


class _Pool:
    """Keep-alive connections to one host, handed out one request at a time."""

    def __init__(self, host: str, port: int, size: int) -> None:
        from bench.raw_http import Connection

        self.free: asyncio.Queue = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait(Connection(host, port))

    async def request(self, method: str, path: str, **kwargs):
        connection = await self.free.get()
        try:
            return await connection.request(method, path, **kwargs)
        except BaseException:
            connection.close()
            raise
        finally:
            self.free.put_nowait(connection)


async def _fan_process(spec: SaleSpec, fans: list[tuple[int, str]], report: FanReport) -> None:
    from bench.live_map import ClientReport, RawWatcher

    app = _Pool(spec.host, spec.port, spec.concurrency)
    stripe = _Pool(spec.host, spec.standin_port, spec.concurrency)
    gate = asyncio.Semaphore(spec.concurrency)
    base = f"/api/v1/shows/{spec.show_id}"

    async def call(name: str, method: str, path: str, pool: _Pool = app, **kwargs):
        started = time.perf_counter()
        answer = await pool.request(method, path, **kwargs)
        report.latencies[name].append((time.perf_counter() - started) * 1000)
        report.statuses[f"{name} {answer.status}"] += 1
        return answer

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
        answer = await call("POST /checkout", "POST", f"{base}/checkout", cookie=cookie,
                            body=json.dumps({"hold_id": hold["hold_id"]}).encode())
        if answer.status != 201:
            report.problems.append(f"checkout answered {answer.status} {answer.body[:200]!r}")
            return
        order = answer.json()
        secret = order["payment"]["client_secret"]
        form = urlencode({"key": spec.publishable_key, "client_secret": secret, "payment_method": "pm_card_visa"})
        answer = await call("stand-in confirm", "POST", f"/v1/payment_intents/{secret.split('_secret_')[0]}/confirm",
                            pool=stripe, body=form.encode(), content_type="application/x-www-form-urlencoded")
        if answer.status != 200 or answer.json().get("status") != "succeeded":
            report.problems.append(f"payment answered {answer.status} {answer.body[:200]!r}")
            return
        started = time.perf_counter()
        deadline = time.monotonic() + PAID_TIMEOUT_S
        while time.monotonic() < deadline:
            answer = await call("GET /orders/{id}", "GET", f"/api/v1/orders/{order['order_id']}", cookie=cookie)
            if answer.status == 200 and answer.json()["status"] == "paid":
                report.latencies["payment → order paid (webhook)"].append((time.perf_counter() - started) * 1000)
                report.paid_orders += 1
                report.paid_seats += len(answer.json()["tickets"])
                return
            await asyncio.sleep(PAID_POLL_S)
        report.unpaid_when_left += 1  # its webhook is still queued at the stand-in; the end checks still hold

    line = sorted(numbers.items(), key=lambda item: item[1])
    shoppers: set[asyncio.Task] = set()
    next_fan = 0
    while time.time() < spec.shop_until and next_fan < len(line):
        while next_fan < len(line) and line[next_fan][1] <= serving:
            task = asyncio.create_task(shop(line[next_fan][0]))
            shoppers.add(task)
            task.add_done_callback(shoppers.discard)
            next_fan += 1
        served.clear()
        try:
            await asyncio.wait_for(served.wait(), max(0.01, spec.shop_until - time.time()))
        except TimeoutError:
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
    report.latencies = dict(report.latencies)  # type: ignore[assignment]  # picklable
    conn.send(report)


# ---------------------------------------------------------------- the run


@dataclass
class Checks:
    tickets: int
    paid_seats: int
    seats_sold_twice: int
    paid_orders: int
    paid_orders_without_tickets: int
    ledger_entries: int
    ledger_ok: bool
    ledger_problem: str | None

    @property
    def passed(self) -> bool:
        return (self.tickets == self.paid_seats and self.seats_sold_twice == 0
                and self.paid_orders_without_tickets == 0 and self.ledger_ok)


async def _checks(show_id: int) -> Checks:
    from backend.payments.ledger import verify_chain
    from db.tables import Order, OrderItem, Ticket

    tickets = await Ticket.count().where(Ticket.show == show_id)
    paid_seats = await OrderItem.count().where((OrderItem.order.show == show_id)
                                               & (OrderItem.order.status == "paid"))
    twice = await Ticket.raw("SELECT seat FROM ticket WHERE show = {} GROUP BY seat HAVING COUNT(*) > 1", show_id)
    paid_orders = await Order.count().where((Order.show == show_id) & (Order.status == "paid"))
    bare = await Order.raw('SELECT id FROM orders WHERE show = {} AND status = {} AND id NOT IN '
                           '(SELECT "order" FROM ticket WHERE show = {})', show_id, "paid", show_id)
    ledger = await verify_chain()
    return Checks(tickets, paid_seats, len(twice), paid_orders, len(bare), ledger.entries, ledger.ok, ledger.problem)


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


def _start_redis(kind: str, var_dir: Path, cleanup: list) -> tuple[dict[str, str], Any, str, list[int]]:
    """(the app's environment, a client for the bench's own writes, a label, the Redis processes' pids)."""
    from redis.asyncio import Redis
    from redis.asyncio.cluster import ClusterNode, RedisCluster

    from backend.launcher.processes import stop

    if kind == "cluster":
        try:
            from tests.support.cluster import ValkeyCluster  # type: ignore[import-not-found]
        except ImportError:
            raise SystemExit("--redis cluster needs tests/support/cluster.py (Redis Cluster support) on this "
                             "branch; run with --redis single until it has landed") from None
        cluster = ValkeyCluster(var_dir / "cluster").start()
        cleanup.append(cluster.stop)
        nodes = [ClusterNode(*address.split(":")) for address in cluster.startup_nodes.split(",")]
        return ({"REDIS_CLUSTER_NODES": cluster.startup_nodes}, RedisCluster(startup_nodes=nodes),
                f"a Valkey Cluster of {len(cluster.nodes)} nodes (3 masters + 3 replicas)",
                [node.process.pid for node in cluster.nodes if node.process is not None])
    from backend.launcher.embedded_valkey import start_valkey

    valkey, url = start_valkey(var_dir / "valkey")
    cleanup.append(lambda: stop(valkey))
    return ({"REDIS_URL": url}, Redis.from_url(url.replace("valkey://", "redis://", 1)), "one embedded Valkey",
            [valkey.pid])


async def _run(args: argparse.Namespace) -> tuple[str, bool]:
    from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY
    from bench.live_map import _client_main
    from db.manage import migrate
    from tests.realtime.fans import SESSION_COOKIE, signed_in
    from tests.support.data import create_show
    from tests.support.servers import ServerProcess

    var_dir = Path(os.environ["VAR_DIR"])
    cleanup: list = []
    context = multiprocessing.get_context("spawn")
    try:
        await migrate()
        redis_env, redis, redis_label, redis_pids = _start_redis(args.redis, var_dir, cleanup)
        server = ServerProcess(var_dir=var_dir, name="flash-sale", workers=args.processes, env={
            **redis_env, "QUEUE_ACTIVE_SHOPPERS": str(args.capacity), "HOLD_TTL_SECONDS": "120",
            "ADMISSION_TTL_SECONDS": "120"}).start()
        cleanup.append(server.stop)
        started = time.monotonic()
        try:
            # What a sign-in leaves behind, written straight (the tests' helper, which checks one through
            # GET /auth/me): registering 20,000 fans through the API would cost 20,000 argon2 hashes.
            fans = [fan for start in range(0, args.fans, SEED_BATCH)
                    for fan in await signed_in(redis, min(SEED_BATCH, args.fans - start), server.url)]
        finally:
            await redis.aclose()
        seed_s = time.monotonic() - started
        seed_hash_ms = _argon2_ms()
        assert server.process is not None
        opens_in = args.opens_in if args.opens_in is not None else 15 + args.fans / 400
        show = await create_show(rows=args.rows, seats_per_row=args.seats_per_row, sections=STADIUM_SECTIONS,
                                 queue_enabled=True, sale_opens_in=timedelta(seconds=opens_in),
                                 title="Flash Sale Stadium")
        opens_at = time.time() + opens_in
        seats = len(show.seat_ids)

        # The watchers, connected before the first fan joins and watching until the end.
        watcher_pipes = []
        urls = [f"{server.url}/api/v1/shows/{show.id}/live"] * args.watchers
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

        spec = SaleSpec(host="127.0.0.1", port=server.port, standin_port=server.standin_port, show_id=show.id,
                        opens_at=opens_at, shop_until=opens_at + args.shop_seconds,
                        seats_per_fan=args.seats_per_fan, concurrency=args.concurrency,
                        publishable_key=STANDIN_PUBLISHABLE_KEY)
        cookies = [(fan.profile_id, f"{SESSION_COOKIE}={fan.session_id}") for fan in fans]
        fan_pipes = []
        for c in range(args.clients):
            parent, child = context.Pipe()
            context.Process(target=_fans_main, args=(spec, cookies[c::args.clients], child), daemon=True).start()
            fan_pipes.append(parent)
        pids = [int(pid) for pid in _children(server.process.pid)]
        cpu_before = [sum(cpu_seconds(pid) for pid in group) for group in (pids, redis_pids)]
        reports: list[FanReport] = [await loop.run_in_executor(None, pipe.recv) for pipe in fan_pipes]
        cpu = [sum(cpu_seconds(pid) for pid in group) - before
               for group, before in zip((pids, redis_pids), cpu_before, strict=True)]
        ended = time.time()
        await asyncio.sleep(2.0)  # webhooks still in flight for orders whose fans gave up waiting
        for pipe in watcher_pipes:
            pipe.send("stop")
        watched = [await loop.run_in_executor(None, pipe.recv) for pipe in watcher_pipes]
        checks = await _checks(show.id)
        load = os.getloadavg()
        probe = (await _hot_show_read(redis_env["REDIS_URL"], redis_pids[0], args.probe_taken)
                 if "REDIS_URL" in redis_env else None)
    finally:
        for step in reversed(cleanup):
            step()
    return _report(args, redis_label, seats, seed_s, opens_at, ended, reports, watched, checks, cpu,
                   load, probe, seed_hash_ms), checks.passed and not any(r.problems for r in reports)


def _children(pid: int) -> list[str]:
    """The app processes under the launcher: uvicorn's supervisor and its workers, not the Stripe stand-in."""
    import subprocess

    found, frontier = [], [str(pid)]
    while frontier:
        kids = subprocess.run(["pgrep", "-P", ",".join(frontier)], capture_output=True, text=True).stdout.split()
        kids = [kid for kid in kids
                if "stripe_standin" not in Path(f"/proc/{kid}/cmdline").read_text(errors="replace")]
        found += kids
        frontier = kids
    return found



def _report(args: argparse.Namespace, redis_label: str, seats: int, seed_s: float, opens_at: float, ended: float,
            reports: list[FanReport], watched: list, checks: Checks, cpu: list[float],
            load: tuple[float, float, float], probe: tuple[float, float] | None, hash_ms: float) -> str:
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    for report in reports:
        for name, values in report.latencies.items():
            latencies[name] += values
        statuses.update(report.statuses)
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
        f"{args.processes}`), {redis_label}, {_database_label()}, the Stripe stand-in with webhooks on; a stadium of "
        f"{seats:,} seats with a waiting room letting {args.capacity} shoppers in at a time. {args.fans:,} signed-in "
        f"fans (profile rows and sessions written straight in {seed_s:.1f} s) join before the opening, {args.watchers:,} live-map "
        f"sockets watch; at the opening every fan asks for its drawn number, and for {args.shop_seconds:g} s each "
        f"served fan holds {args.seats_per_fan} best-available seats, checks out, pays through the stand-in and "
        f"waits for the webhook to make the order paid. Fans in {args.clients} processes (raw HTTP/1.1 keep-alive, "
        f"{args.concurrency} connections each), watchers in {args.watcher_clients}; everything on this machine. The "
        "stand-in delivers webhooks one at a time, so here paid orders/s is at most 1 / (the app's time to answer "
        "a webhook), whatever the app's capacity.",
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
        "| endpoint | requests | p50 ms | p99 ms | answers |",
        "|---|---:|---:|---:|---|",
    ]
    for name, values in latencies.items():
        answers = ", ".join(f"{key.rsplit(' ', 1)[1]}: {count:,}" for key, count in sorted(statuses.items())
                            if key.rsplit(" ", 1)[0] == name)
        lines.append(f"| {name} | {len(values):,} | {statistics.median(values):.1f} | {percentile(values, 99):.1f} "
                     f"| {answers} |")
    verdict = "passed" if checks.passed and not problems else "FAILED"
    lines += [
        "",
        f"End checks ({verdict}): tickets {checks.tickets:,} == paid seats {checks.paid_seats:,}; seats sold twice: "
        f"{checks.seats_sold_twice}; paid orders without tickets: {checks.paid_orders_without_tickets} of "
        f"{checks.paid_orders:,}; payment ledger: {checks.ledger_entries:,} entries, "
        + ("verifies." if checks.ledger_ok else f"BROKEN ({checks.ledger_problem}).")
        + (f" Problems seen by the fans: {len(problems)} (first: {problems[0]})." if problems else ""),
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


def _database_label() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="app worker processes")
    parser.add_argument("--redis", choices=("single", "cluster"), default="single")
    parser.add_argument("--fans", type=int, default=20_000)
    parser.add_argument("--watchers", type=int, default=5_000)
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
    parser.add_argument("--no-publish", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    with bench_environment():  # with DATABASE_URL=postgresql://..., a database of the bench's own there
        bind_database()
        body, passed = asyncio.run(_run(args))
    publish("flash-sale", body, dry_run=args.no_publish)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
