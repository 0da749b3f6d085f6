"""Settlement's serialized part against a bare ceiling: how many paid orders per second the database lets through.

A settlement's one serialized step is its ledger append: a show's hash chain is a sequence, so appends to one
show's chain take that chain's head row (`ledger_chain`) from their one statement to their commit; appends to
different shows' chains never wait for each other (there is no table lock, and no per-show sales counter). This
bench runs, from --workers concurrent transactions for --seconds each, with the app's own code
(`payments.transactions.write_transaction`, `payments.ledger.append`):

- **ceiling**: the same ledger rows inserted with no lock at all: each writer appends to a chain of its own,
  hashing in Python from its own previous row (one INSERT per transaction, as many round trips as an append);
- **--shows shows**: every transaction appends to one of --shows chains (writer i to show i mod --shows);
- **one show**: every transaction appends to the same chain.

and reports commits/s and latency for each, and each as a share of the ceiling measured in the same round, over
--rounds rounds (the machine is shared: only ratios measured side by side mean much). It then checks that every
chain still verifies and holds exactly the rows committed (none lost, none doubled).

Meant for DATABASE_URL=postgresql://... (the bench makes and drops a database of its own there); on SQLite it
measures SQLite's single writer. Run pinned: `taskset -c 1 .venv/bin/python bench/settlement_lock.py
[--workers 32] [--shows 8] [--seconds 10] [--rounds 3]`. Writes the "Settlement lock" section of
docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import bench_environment, bind_database, percentile, publish

CEILING_CHAINS = 10**12  # the ceiling's private chains: far from any show id


async def _run(args: argparse.Namespace) -> str:
    from piccolo.engine import engine_finder
    from piccolo.engine.postgres import PostgresEngine

    from db.manage import migrate

    await migrate()
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=args.workers + 2, max_size=args.workers + 2)
    try:
        return await _measure(args)
    finally:
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()


class Run:
    def __init__(self, name: str) -> None:
        self.name = name
        self.latencies: list[float] = []
        self.elapsed = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


async def _measure(args: argparse.Namespace) -> str:
    from backend.payments import ledger
    from backend.payments.transactions import write_transaction
    from backend.timeutil import utcnow
    from db.tables import PaymentLedgerEntry

    order_refs = iter(range(1, 10**12))
    committed: Counter[int] = Counter()  # chain -> rows committed
    ceiling_heads: dict[int, tuple[int, str]] = {}

    def entry(chain: int) -> ledger.LedgerEntry:
        return ledger.LedgerEntry(kind="payment", order_ref=next(order_refs), stripe_object_id="pi_bench",
                                  amount_cents=10000, currency="EUR", status="succeeded", chain=chain)

    async def bare_insert(chain: int) -> None:
        """One row onto the writer's own chain: what an append writes, with no head to lock."""
        seq, prev_hash = ceiling_heads.get(chain, (0, ledger.GENESIS_HASH))
        row = entry(chain)
        recorded_at = utcnow().astimezone(UTC)
        entry_hash = ledger.chain_hash(prev_hash, ledger.canonical_bytes(chain, seq + 1, recorded_at, row, prev_hash))
        # Raw SQL like the append's own statement, so both cost the client the same.
        await PaymentLedgerEntry.raw(
            "INSERT INTO payment_ledger (chain, seq, recorded_at, kind, order_ref, stripe_object_id, amount_cents, "
            "currency, status, prev_hash, entry_hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            chain, seq + 1, recorded_at, row.kind, row.order_ref, row.stripe_object_id, row.amount_cents,
            row.currency, row.status, prev_hash, entry_hash,
        )
        ceiling_heads[chain] = (seq + 1, entry_hash)

    async def one(run: Run, chain_of, step) -> None:
        loop = time.monotonic
        deadline = loop() + args.seconds

        async def worker(i: int) -> None:
            chain = chain_of(i)
            while loop() < deadline:
                started = time.perf_counter()
                async with write_transaction():
                    await step(chain)
                run.latencies.append((time.perf_counter() - started) * 1000)
                committed[chain] += 1

        began = loop()
        await asyncio.gather(*(worker(i) for i in range(args.workers)))
        run.elapsed = loop() - began

    async def append(chain: int) -> None:
        await ledger.append(entry(chain), utcnow())

    rounds: list[tuple[Run, Run, Run]] = []
    ceiling_base = CEILING_CHAINS
    for r in range(args.rounds):
        ceiling, many, single = Run("ceiling"), Run(f"{args.shows} shows"), Run("one show")
        base = ceiling_base + r * args.workers
        await one(ceiling, lambda i, base=base: base + i, bare_insert)
        await asyncio.sleep(1)
        await one(many, lambda i, r=r: 1 + r * 100 + i % args.shows, append)
        await asyncio.sleep(1)
        await one(single, lambda i, r=r: 99 + r * 100, append)
        await asyncio.sleep(1)
        rounds.append((ceiling, many, single))
        print(f"round {r + 1}: ceiling {ceiling.rate:,.0f}/s, {many.name} {many.rate:,.0f}/s "
              f"({many.rate / ceiling.rate:.0%}), one show {single.rate:,.0f}/s ({single.rate / ceiling.rate:.0%}), "
              f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    load = os.getloadavg()

    report = await ledger.verify_chain()
    rows = {chain: count for chain, count in report.heads.items()}
    lost_or_doubled = {chain: (committed[chain], rows.get(chain, (0, ""))[0]) for chain in committed
                       if committed[chain] != rows.get(chain, (0, ""))[0]}
    engine = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    lines = [
        "## Settlement lock",
        "",
        f"`bench/settlement_lock.py`: {args.workers} concurrent transactions on {engine} for {args.seconds:g} s "
        "each, all with the app's own code (`write_transaction`, `ledger.append`): the **ceiling** inserts the same "
        "ledger rows with no lock (each writer onto a chain of its own, hashed in Python: one INSERT per "
        f"transaction); **{args.shows} shows** appends each order to its show's chain (writer i to show i mod "
        f"{args.shows}); **one show** appends every order to one chain. An append is one statement (the show's "
        "chain head advanced and the row inserted, the hash computed in SQL), so a chain is held from that "
        f"statement to the commit. {args.rounds} rounds, the three runs side by side in each.",
        "",
        "| round | ceiling commits/s (p50 / p99 ms) | "
        f"{args.shows} shows commits/s (p50 / p99 ms) | share | one show commits/s (p50 / p99 ms) | share |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r, (ceiling, many, single) in enumerate(rounds, 1):
        def cell(run: Run) -> str:
            return (f"{run.rate:,.0f} ({statistics.median(run.latencies):.1f} / "
                    f"{percentile(run.latencies, 99):.1f})")
        lines.append(f"| {r} | {cell(ceiling)} | {cell(many)} | {many.rate / ceiling.rate:.0%} | {cell(single)} | "
                     f"{single.rate / ceiling.rate:.0%} |")
    shares_many = [many.rate / ceiling.rate for ceiling, many, _ in rounds]
    shares_single = [single.rate / ceiling.rate for ceiling, _, single in rounds]
    lines += [
        "",
        f"Median share of the ceiling: {args.shows} shows {statistics.median(shares_many):.0%}, one show "
        f"{statistics.median(shares_single):.0%}. Ledger after the run: {report.entries:,} rows in "
        f"{report.chains} chains, " + ("every chain verifies" if report.ok else f"BROKEN ({report.problem})")
        + ("; every committed append is there once." if not lost_or_doubled
           else f"; LOST OR DOUBLED rows (chain: committed, found): {lost_or_doubled}."),
        "",
        f"Load average when the run ended: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min); the bench "
        f"process pinned to CPU(s) {sorted(os.sched_getaffinity(0))}.",
    ]
    if not report.ok or lost_or_doubled:
        raise SystemExit("\n".join(lines))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--shows", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-publish", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    with bench_environment():
        bind_database()
        body = asyncio.run(_run(args))
    publish("settlement-lock", body, dry_run=args.no_publish)


if __name__ == "__main__":
    main()
