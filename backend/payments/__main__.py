"""Payments chores: `python -m backend.payments verify-ledger` (what `just verify-ledger` runs).

Run from the project root, like `python -m db.manage`: Piccolo finds piccolo_conf.py there, and the database
comes from DATABASE_URL (or VAR_DIR's SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from backend.payments.ledger import verify_chain


def verify_ledger() -> int:
    """Walk the hash chain; exit 1 naming the first row (seq) that does not match, 2 when it cannot be read."""
    try:
        report = asyncio.run(verify_chain())
    except Exception as exc:
        print(f"ledger: could not read the ledger: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
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
    parser.parse_args(argv)
    return verify_ledger()


if __name__ == "__main__":
    sys.exit(main())
