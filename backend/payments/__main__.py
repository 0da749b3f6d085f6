"""Payments chores: `python -m backend.payments verify-ledger` (what `just verify-ledger` runs).

Run from the project root, like `python -m db.manage`: Piccolo finds piccolo_conf.py there, and the database
comes from DATABASE_URL (or VAR_DIR's SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from backend.payments.checkpoints import checkpoint_problem, write_checkpoint
from backend.payments.ledger import ChainReport, verify_chain
from backend.settings import get_settings
from backend.timeutil import utcnow


async def _verify() -> tuple[ChainReport, str | None]:
    report = await verify_chain()
    return report, (await checkpoint_problem(get_settings().secret_key, report)) if report.ok else None


def verify_ledger() -> int:
    """Walk the hash chain and check it against the signed checkpoints; exit 1 naming the first row (seq) that
    does not match or the checkpoint the chain falls short of, 2 when it cannot be read."""
    try:
        report, truncation = asyncio.run(_verify())
    except Exception as exc:
        print(f"ledger: could not read the ledger: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if truncation:
        print(f"ledger BROKEN: {truncation}")
        return 1
    if report.ok:
        print(f"ledger OK: {report.entries} entries, head {report.head}")
        return 0
    print(f"ledger BROKEN at seq {report.broken_seq}: {report.problem} "
          f"(row id {report.broken_id}; the {report.entries} entries before it verify)")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.payments", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("verify-ledger", help="walk the ledger's hash chain; exit 1 naming the first row that does not match")
    sub.add_parser("checkpoint-ledger", help="write a signed checkpoint of the ledger's head now")
    args = parser.parse_args(argv)
    if args.command == "checkpoint-ledger":
        checkpoint = asyncio.run(write_checkpoint(get_settings().secret_key, utcnow()))
        print(f"checkpoint: {checkpoint.entries} entries, head {checkpoint.head_hash}" if checkpoint
              else "checkpoint: nothing new since the last one")
        return 0
    return verify_ledger()


if __name__ == "__main__":
    sys.exit(main())
