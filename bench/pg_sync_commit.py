"""What synchronous replication costs a commit: the same write transactions on a private primary and its streaming
standby (tests/support/postgres_pair.py, Debian's binaries), with the standby asynchronous (PostgreSQL's default,
what production runs) and then synchronous (`synchronous_standby_names = '*'`, `synchronous_commit = on`: a commit
returns once the standby has flushed it too).

The transaction is a settlement's shape: BEGIN, two INSERTs, COMMIT (pgbench, prepared statements), from 1 client
(the latency one commit pays) and from --clients clients (throughput, with group commit). Both modes run in each
round, side by side, over --rounds rounds: the machine is shared, only ratios measured together mean much. The
primary and standby are on one host here, so the round trip is a loopback one; across hosts or zones, add the
network's round trip to every commit. Writes the "Synchronous replication" section of docs/performance.md.

Run: `.venv/bin/python bench/pg_sync_commit.py [--clients 8] [--seconds 8] [--rounds 2] [--dry-run]` (as root it
runs PostgreSQL as the `postgres` user).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import publish
from tests.support.postgres_pair import DATABASE, PostgresPair, postgres_bin_dir

SCRIPT = """\\set v random(1, 1000000)
BEGIN;
INSERT INTO bench_sale (seat, price) VALUES (:v, 5000);
INSERT INTO bench_sale (seat, price) VALUES (:v + 1, 5000);
COMMIT;
"""


def _pgbench(pair: PostgresPair, script: Path, clients: int, seconds: int) -> tuple[float, float]:
    """(transactions per second, mean latency in ms) of one pgbench run on the primary."""
    command = ["pgbench", "-n", "-M", "prepared", "-f", str(script), "-c", str(clients), "-j", str(min(clients, 2)),
               "-T", str(seconds), "-h", "127.0.0.1", "-p", str(pair.primary.port), "-U", "postgres", DATABASE]
    out = pair._tool(*command).stdout
    tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([0-9.]+) ms", out).group(1))  # type: ignore[union-attr]
    return tps, latency


def _mode(pair: PostgresPair, synchronous: bool) -> None:
    pair.sql(pair.primary, f"ALTER SYSTEM SET synchronous_standby_names = '{'*' if synchronous else ''}'")
    pair.sql(pair.primary, "SELECT pg_reload_conf()")
    wanted = "sync" if synchronous else "async"
    for _ in range(100):
        if pair.sql(pair.primary, "SELECT sync_state FROM pg_stat_replication") == wanted:
            return
        subprocess.run(["sleep", "0.1"], check=True)
    raise RuntimeError(f"the standby did not become {wanted}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write docs/performance.md")
    args = parser.parse_args()
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL's server binaries are not installed (apt-get install postgresql)")
    # fsync on: a commit's cost is a flush, on the primary and (synchronous) on the standby as well.
    pair = PostgresPair(bin_dir, settings={"fsync": "on"}).start()
    try:
        pair.sql(pair.primary, "CREATE TABLE bench_sale (id bigserial PRIMARY KEY, seat int, price int)")
        script = pair.root / "sale.sql"
        script.write_text(SCRIPT)
        os.chmod(script, 0o644)
        if os.geteuid() == 0:
            os.chown(script, pair.root.stat().st_uid, pair.root.stat().st_gid)
        results: dict[tuple[str, int], list[tuple[float, float]]] = {}
        loads = []
        for _ in range(args.rounds):
            for synchronous in (False, True):
                _mode(pair, synchronous)
                for clients in (1, args.clients):
                    results.setdefault(("sync" if synchronous else "async", clients), []).append(
                        _pgbench(pair, script, clients, args.seconds))
            loads.append(os.getloadavg()[0])
    finally:
        pair.stop()

    def cell(mode: str, clients: int) -> str:
        runs = results[(mode, clients)]
        return (f"{statistics.median(t for t, _ in runs):,.0f} commits/s, "
                f"{statistics.median(ms for _, ms in runs):.2f} ms")

    rows = []
    for clients in (1, args.clients):
        async_tps = statistics.median(t for t, _ in results[("async", clients)])
        sync_tps = statistics.median(t for t, _ in results[("sync", clients)])
        extra = statistics.median(ms for _, ms in results[("sync", clients)]) - statistics.median(
            ms for _, ms in results[("async", clients)])
        rows.append(f"| {clients} | {cell('async', clients)} | {cell('sync', clients)} | "
                    f"{sync_tps / async_tps:.0%} | +{extra:.2f} ms |")
    body = "\n".join([
        "## Synchronous replication",
        "",
        f"`bench/pg_sync_commit.py --clients {args.clients} --seconds {args.seconds} --rounds {args.rounds}`: a "
        "settlement-shaped transaction (BEGIN, 2 INSERTs, COMMIT) on a private PostgreSQL primary with a streaming "
        "standby on the same host (fsync on), the standby asynchronous then synchronous "
        "(`synchronous_standby_names = '*'`), side by side in each round; medians over the rounds. "
        f"Load average during the rounds {min(loads):.1f}-{max(loads):.1f}.",
        "",
        "| clients | asynchronous | synchronous | sync / async | latency added per commit |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "Same host: the added latency is the standby's own WAL flush plus a loopback round trip; between hosts "
        "add the network's round trip (≈0.1-0.5 ms in one zone, 1-2 ms across zones) to every commit.",
    ])
    publish("pg-sync-commit", body, dry_run=args.dry_run)


if __name__ == "__main__":
    main()
