"""Settlement's serialized part: how many paid orders per second the database lets through, whatever the app fleet.

Every settlement writes, in one transaction, `Show.seats_sold += n` (one row per show: all of a show's settlements
queue on it) and one payment-ledger row (a hash chain: on PostgreSQL `LOCK TABLE payment_ledger IN EXCLUSIVE MODE`,
so every settlement of every show queues on it). This bench runs exactly those two writes with the app's own code
(`payments.transactions.write_transaction`, `payments.ledger.append`) from --workers concurrent transactions for
--seconds, and reports commits/s and latency: the ceiling of paid orders per second for one database primary,
which no number of app processes can raise. It then checks that the ledger still verifies.

Meant for DATABASE_URL=postgresql://... (the bench makes and drops a database of its own there); on SQLite it
measures SQLite's single writer. Run: `.venv/bin/python bench/settlement_lock.py [--workers 32] [--seconds 10]`.
Writes the "Settlement lock" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import bench_environment, bind_database, percentile, publish


async def _run(args: argparse.Namespace) -> str:
    from piccolo.engine import engine_finder
    from piccolo.engine.postgres import PostgresEngine

    from db.manage import migrate
    from tests.support.data import create_show

    await migrate()
    show = await create_show(rows=1, seats_per_row=10)
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(max_size=args.workers + 2)
    try:
        return await _measure(args, show.id)
    finally:
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()


async def _measure(args: argparse.Namespace, show_id: int) -> str:
    from backend.payments import ledger
    from backend.payments.transactions import write_transaction
    from backend.timeutil import utcnow
    from db.tables import Show

    latencies: list[float] = []
    deadline = time.monotonic() + args.seconds
    order_refs = iter(range(1, 10**9))

    async def worker() -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            async with write_transaction():
                await Show.update({Show.seats_sold: Show.seats_sold + 2}).where(Show.id == show_id)
                await ledger.append(ledger.LedgerEntry(kind="payment", order_ref=next(order_refs),
                                                       stripe_object_id="pi_bench", amount_cents=10000,
                                                       currency="EUR", status="succeeded"), utcnow())
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(args.workers)))
    elapsed = time.monotonic() - started
    report = await ledger.verify_chain()
    engine = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    return "\n".join([
        "## Settlement lock",
        "",
        f"`bench/settlement_lock.py`: {args.workers} concurrent transactions on {engine}, each what every "
        "settlement serializes on: `seats_sold += 2` on one show's row and one payment-ledger append (the app's "
        f"own `ledger.append`, table lock on PostgreSQL), for {args.seconds:g} s.",
        "",
        "| commits/s | p50 ms | p99 ms | ledger |",
        "|---:|---:|---:|---|",
        f"| {len(latencies) / elapsed:,.0f} | {statistics.median(latencies):.1f} | {percentile(latencies, 99):.1f} "
        f"| {report.entries:,} entries, {'verifies' if report.ok else 'BROKEN'} |",
        "",
        f"Load average when the run ended: {os.getloadavg()[0]:.1f}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-publish", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    with bench_environment():
        bind_database()
        body = asyncio.run(_run(args))
    publish("settlement-lock", body, dry_run=args.no_publish)


if __name__ == "__main__":
    main()
