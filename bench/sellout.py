"""Sell out a stadium: the closed loop of issue 22, paid orders per second on the demo stadium with no waiting room.

One command starts everything on loopback: one embedded Valkey, the Stripe stand-in (webhooks on: they stay the
backstop) and `python -m backend.launcher.serve --workers N` (what `just serve --workers N` runs), which loads the demo data
into the bench's own database. Then --fans signed-in fans (profile rows and sessions written straight, as
bench/flash_sale.py does) each loop for --seconds on the demo stadium's show that has no waiting room:

    best-available hold of --seats → checkout → confirm at the stand-in as Stripe.js does (the publishable key and
    the client secret) → POST /orders/{id}/settle, as the web app does once Stripe.js reports the confirmation →
    GET /orders/{id} every --poll-ms until it is paid (when settle did not answer paid already) → again.

It prints paid orders/s, payment → paid p50/p99 (from the stand-in's answer to the fan seeing `paid`), p50/p99 of
every call, and the share of best-available requests refused, and checks the end state in the database: tickets
equal the paid orders' seats, no seat sold twice, every paid order ticketed, every ledger chain verifies. With
--py-spy it also samples every app worker for the whole run and prints where their time went.

Fans run in --clients processes (a raw HTTP/1.1 client, bench/raw_http.py) pinned to --client-cpus; the app,
PostgreSQL and Valkey share the machine as they find it (state the load average with every figure: this machine
is shared). Meant for DATABASE_URL=postgresql://... (a database of the bench's own is made and dropped there).
Run: `DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/sellout.py
[--processes 2] [--fans 64] [--seconds 60]`. Exits non-zero when an end check fails. Writes the "Sell-out"
section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import bench_environment, bind_database, percentile, publish
from bench.sale import (
    PAYMENT_TO_PAID,
    Calls,
    Checks,
    Pool,
    Shop,
    app_processes,
    call_rows,
    end_checks,
    merged,
    pay,
    seed_fans,
    standin_processes,
    start_redis,
)

SHOW_TITLE = "Summer Stadium Fest"  # the demo stadium's show on sale without a waiting room (db/demo_data.py)
PAID_TIMEOUT_S = 30.0
FAN_FACING = ("POST /holds", "POST /checkout", "POST /orders/{id}/settle", "GET /orders/{id}")


@dataclass
class LoopReport:
    calls: Calls = field(default_factory=lambda: Calls(recording=False))
    paid: list[float] = field(default_factory=list)  # when each order was seen paid (epoch s)
    paid_by_settle: list[float] = field(default_factory=list)  # when, for orders the settle call answered paid
    holds_refused: int = 0
    holds_asked: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LoopSpec:
    host: str
    port: int
    standin_port: int
    show_id: int
    seats: int
    starts_at: float  # the loop starts (warm-up: nothing recorded)
    measure_from: float  # figures count from here
    ends_at: float
    poll_s: float
    publishable_key: str


async def _fans_loop(spec: LoopSpec, cookies: list[str], report: LoopReport) -> None:
    shop = Shop(app=Pool(spec.host, spec.port, len(cookies)), stripe=Pool(spec.host, spec.standin_port, len(cookies)),
                show_id=spec.show_id, publishable_key=spec.publishable_key, poll_s=spec.poll_s,
                paid_timeout_s=PAID_TIMEOUT_S)
    calls = report.calls
    hold_body = json.dumps({"best_available": {"count": spec.seats}}).encode()

    async def buy(cookie: str) -> None:
        calls.recording = calls.recording or time.time() >= spec.measure_from
        if not calls.recording:
            await warm_buy(cookie)
            return
        report.holds_asked += 1
        answer = await calls.call(shop.app, "POST /holds", "POST", f"/api/v1/shows/{spec.show_id}/holds",
                                  cookie=cookie, body=hold_body)
        if answer.status != 201:
            if answer.status == 409:
                report.holds_refused += 1
            else:
                report.problems.append(f"hold answered {answer.status} {answer.body[:200]!r}")
            await asyncio.sleep(0.05)
            return
        bought = await pay(shop, calls, cookie, answer.json()["hold_id"])
        if not bought.paid:
            report.problems.append(bought.problem or "not paid")
            return
        report.paid.append(time.time())
        if bought.by_settle:
            report.paid_by_settle.append(time.time())

    async def warm_buy(cookie: str) -> None:
        """Before the clock: a hold, checked out and released again, so each process has loaded the stadium."""
        answer = await shop.app.request("POST", f"/api/v1/shows/{spec.show_id}/holds", cookie=cookie, body=hold_body)
        if answer.status == 201:
            hold = answer.json()
            await shop.app.request("POST", f"/api/v1/shows/{spec.show_id}/checkout", cookie=cookie,
                                   body=json.dumps({"hold_id": hold["hold_id"]}).encode())
            await shop.app.request("DELETE", f"/api/v1/holds/{hold['hold_id']}", cookie=cookie)
        await asyncio.sleep(0.2)

    async def fan(cookie: str) -> None:
        await asyncio.sleep(max(0.0, spec.starts_at - time.time()))
        while time.time() < spec.ends_at:
            try:
                await buy(cookie)
            except Exception as exc:  # counted; the fan goes on
                report.problems.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.1)

    await asyncio.gather(*(fan(cookie) for cookie in cookies))


def _loop_main(spec: LoopSpec, cookies: list[str], conn) -> None:  # a child process
    report = LoopReport()
    try:
        asyncio.run(_fans_loop(spec, cookies, report))
    except Exception as exc:
        report.problems.append(f"fan process failed: {type(exc).__name__}: {exc}")
    report.calls.plain()
    conn.send(report)


def _py_spy(pids: list[int], seconds: float, out_dir: Path) -> list[subprocess.Popen]:
    samplers = []
    for pid in pids:
        samplers.append(subprocess.Popen(
            [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "100",
             "--duration", str(int(seconds)), "--pid", str(pid), "--output", str(out_dir / f"app-{pid}.txt"),
             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return samplers


async def _warm_index(base_url: str, show_id: int, cookie: str, seats: int) -> None:
    """One best-available hold at a time, each on a new connection (so on either worker), released at once: the
    show's free-run index and each worker's copy of the venue are built before 64 fans ask at the same moment."""
    import httpx

    for _ in range(6):
        async with httpx.AsyncClient(base_url=base_url, timeout=300, headers={"Cookie": cookie}) as client:
            answer = await client.post(f"/api/v1/shows/{show_id}/holds",
                                       json={"best_available": {"count": seats}})
            if answer.status_code == 201:
                await client.delete(f"/api/v1/holds/{answer.json()['hold_id']}")


def _read_samples(spy_dir: Path) -> str:
    return "".join(path.read_text() for path in spy_dir.glob("app-*.txt"))


async def _run(args: argparse.Namespace) -> tuple[str, bool]:
    from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY
    from bench.loadgen import cpu_seconds
    from bench.profiling import summarise
    from db.manage import migrate
    from db.tables import Show
    from tests.realtime.fans import SESSION_COOKIE
    from tests.support.servers import ServerProcess

    var_dir = Path(os.environ["VAR_DIR"])
    cleanup: list = []
    context = multiprocessing.get_context("spawn")
    profile = ""
    try:
        await migrate()
        redis_env, redis, _, redis_pids = start_redis("single", var_dir, cleanup)
        server = ServerProcess(var_dir=var_dir, name="sellout", workers=args.processes, env={
            **redis_env, "HOLD_TTL_SECONDS": "120"}).start()
        cleanup.append(server.stop)
        try:
            fans = await seed_fans(redis, args.fans, server.url)
        finally:
            await redis.aclose()
        show = await Show.select(Show.id, Show.seats_total).where(
            (Show.title == SHOW_TITLE) & (Show.queue_enabled == False)).first()  # noqa: E712
        assert show is not None, f"the demo data has no {SHOW_TITLE!r} without a waiting room"
        assert server.process is not None
        workers = app_processes(server.process.pid)
        standin = standin_processes(server.process.pid)
        await _warm_index(server.url, show["id"], f"{SESSION_COOKIE}={fans[0].session_id}", args.seats)
        starts_at = time.time() + 2.0
        measure_from = starts_at + args.warmup
        spec = LoopSpec(host="127.0.0.1", port=server.port, standin_port=server.standin_port, show_id=show["id"],
                        seats=args.seats, starts_at=starts_at, measure_from=measure_from,
                        ends_at=measure_from + args.seconds,
                        poll_s=args.poll_ms / 1000, publishable_key=STANDIN_PUBLISHABLE_KEY)
        cookies = [f"{SESSION_COOKIE}={fan.session_id}" for fan in fans]
        pipes = []
        for c in range(args.clients):
            parent, child = context.Pipe()
            process = context.Process(target=_loop_main, args=(spec, cookies[c::args.clients], child), daemon=True)
            process.start()
            if args.client_cpus and process.pid:
                os.sched_setaffinity(process.pid, {int(cpu) for cpu in args.client_cpus.split(",")})
            pipes.append(parent)
        await asyncio.sleep(max(0.0, measure_from - time.time()))
        groups = (workers, redis_pids, standin)
        cpu_before = [sum(cpu_seconds(pid) for pid in group) for group in groups]
        spy_dir = Path(tempfile.mkdtemp(prefix="sellout-py-spy-"))
        samplers = _py_spy(workers, args.seconds, spy_dir) if args.py_spy else []
        loop = asyncio.get_running_loop()
        reports: list[LoopReport] = [await loop.run_in_executor(None, pipe.recv) for pipe in pipes]
        cpu = [sum(cpu_seconds(pid) for pid in group) - before
               for group, before in zip(groups, cpu_before, strict=True)]
        load = os.getloadavg()
        for sampler in samplers:
            sampler.wait(timeout=120)
        if samplers:
            profile = summarise(_read_samples(spy_dir))
        await asyncio.sleep(1.0)  # webhooks in flight land (idempotent with the settle calls)
        checks = await end_checks(show["id"])
    finally:
        for step in reversed(cleanup):
            step()
    return _report(args, show["seats_total"], reports, checks, cpu, load, profile, spec.ends_at), (
        checks.passed and not any(r.problems for r in reports))


def _report(args: argparse.Namespace, seats_total: int, reports: list[LoopReport], checks: Checks,
            cpu: list[float], load: tuple[float, float, float], profile: str, ends_at: float) -> str:
    calls = merged([report.calls for report in reports])
    latencies, statuses = calls.latencies, calls.statuses
    paid = sorted(t for report in reports for t in report.paid if t <= ends_at)
    paid_s = len(paid) / args.seconds
    asked = sum(r.holds_asked for r in reports)
    refused = sum(r.holds_refused for r in reports)
    by_settle = sum(1 for r in reports for t in r.paid_by_settle if t <= ends_at)
    problems = [p for report in reports for p in report.problems]
    to_paid = latencies.get(PAYMENT_TO_PAID, [])
    worst = max((percentile(latencies[name], 99) for name in FAN_FACING if latencies.get(name)), default=float("nan"))
    requests = sum(count for key, count in statuses.items() if not key.startswith("stand-in"))
    lines = [
        "## Sell-out",
        "",
        f"`bench/sellout.py`: {args.fans} signed-in fans in a closed loop for {args.seconds:g} s on the demo "
        f"stadium ({seats_total:,} seats, no waiting room), {args.processes} app processes (`python -m "
        "backend.launcher.serve`), PostgreSQL, one embedded Valkey, the Stripe stand-in with webhooks on (the backstop). Each "
        f"fan: best-available hold of {args.seats} → checkout → confirm at the stand-in as Stripe.js does → POST "
        f"/orders/{{id}}/settle as the web app does → poll the order every {args.poll_ms} ms unless settle answered "
        f"paid → again. Fans in {args.clients} process(es) pinned to CPU {args.client_cpus or 'any'}.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| **paid orders/s** | **{paid_s:.1f}** ({len(paid):,} orders paid in the window; {checks.tickets:,} "
        "tickets in the database at the end) |",
        f"| **payment → paid** p50 / p99 | **{statistics.median(to_paid) if to_paid else float('nan'):.0f} / "
        f"{percentile(to_paid, 99):.0f} ms** |",
        f"| orders the settle call answered paid | {by_settle:,} of {len(paid):,} |",
        f"| **best-available refused** (409) | **{refused / asked if asked else 0:.2%}** ({refused:,} of "
        f"{asked:,}) |",
        f"| slowest fan-facing call's p99 | {worst:.0f} ms |",
        f"| app CPU (all workers) / Valkey CPU / stand-in CPU | {cpu[0]:.1f} s / {cpu[1]:.1f} s / {cpu[2]:.1f} s over "
        f"{args.seconds:g} s |",
        f"| app CPU per paid order | {cpu[0] / len(paid) * 1000 if paid else float('nan'):.1f} ms "
        f"({requests / cpu[0] if cpu[0] else float('nan'):.0f} requests per app CPU-second) |",
        "",
    ]
    lines += call_rows(calls)
    lines += [
        "",
        checks.sentence(problems),
        "",
        f"Load average when the run ended: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min).",
    ]
    if profile:
        lines += ["", "Where the app workers' time went (py-spy, all workers, the whole run):", "", profile]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="app worker processes")
    parser.add_argument("--fans", type=int, default=64)
    parser.add_argument("--seats", type=int, default=2, help="seats per best-available hold")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of the loop before the clock starts")
    parser.add_argument("--poll-ms", type=int, default=100, help="order poll interval when settle did not answer paid")
    parser.add_argument("--clients", type=int, default=1, help="fan client processes")
    parser.add_argument("--client-cpus", default="1", help="taskset CPU list for the fan clients ('' for none)")
    parser.add_argument("--py-spy", action="store_true", help="sample every app worker with py-spy during the run")
    parser.add_argument("--no-publish", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    with bench_environment():
        bind_database()
        body, passed = asyncio.run(_run(args))
    publish("sellout", body, dry_run=args.no_publish)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
