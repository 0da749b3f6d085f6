"""Payments chores: `python -m backend.payments verify-ledger` (what `just verify-ledger` runs), `checkpoint-ledger`,
and `run-cancellations` (the cancellation job of cancellation.py as a process of its own; every server process runs
it too).

Run from the project root, like `python -m db.manage`: Piccolo finds piccolo_conf.py there, and the database
comes from DATABASE_URL (or VAR_DIR's SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import cast

from backend.payments.checkpoints import Requirements, requirements, write_checkpoint
from backend.payments.ledger import ChainReport, verify_chain
from backend.settings import get_settings
from backend.timeutil import utcnow


async def _verify() -> tuple[Requirements, ChainReport | None]:
    required = await requirements(get_settings().secret_key)
    if required.problem:
        return required, None
    return required, await verify_chain(required.points)


async def ledger_verdict() -> tuple[int, str]:
    """`verify-ledger`'s exit code and the line it prints: walk every chain and check it against the signed
    checkpoints; 1 naming the chain and the first row (seq) that does not match, or the checkpoint the ledger
    contradicts, 2 when it cannot be read."""
    try:
        required, report = await _verify()
    except Exception as exc:
        return 2, f"ledger: could not read the ledger: {type(exc).__name__}: {exc}"
    if report is None:
        return 1, f"ledger BROKEN: {required.problem}"
    if report.ok:
        return 0, (f"ledger OK: {report.entries} entries in {report.chains} chains, each through every head "
                   f"{required.checkpoints} signed checkpoints saw")
    row = f"row id {report.broken_id}; " if report.broken_id is not None else ""
    return 1, (f"ledger BROKEN in chain {report.broken_chain} at seq {report.broken_seq}: {report.problem} "
               f"({row}the {report.entries} entries walked before it verify)")


def verify_ledger() -> int:
    code, line = asyncio.run(ledger_verdict())
    print(line, file=sys.stderr if code == 2 else sys.stdout)
    return code


async def checkpoint_ledger() -> str:
    """`checkpoint-ledger`: a signed checkpoint of every chain's head now, and the line it prints."""
    checkpoint = await write_checkpoint(get_settings().secret_key, utcnow())
    if checkpoint is None:
        return "checkpoint: nothing new since the last one"
    return f"checkpoint: {checkpoint.entries} entries in {checkpoint.chains} chains, root {checkpoint.root}"


async def _run_cancellations(until_done: bool, show: int | None, owner: str | None) -> None:
    from redis.asyncio import Redis

    from backend.infra.redis_client import build_redis
    from backend.payments.cancellation import CancellationJob
    from backend.payments.gateway import StripeGateway
    from backend.payments.refunds import Refunds

    settings = get_settings()
    redis = cast(Redis, build_redis(settings))
    refunds = Refunds(redis, settings)
    gateway = StripeGateway.from_settings(settings)
    refunds.connect(gateway)
    try:
        await CancellationJob(redis, refunds, only_show=show, owner=owner).run(until_done=until_done)
    finally:
        await gateway.close()
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.payments", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("verify-ledger", help="walk every chain of the ledger against the signed checkpoints; exit 1 naming the "
                       "first row that does not match")
    sub.add_parser("checkpoint-ledger", help="write a signed checkpoint of every chain's head now")
    cancellations = sub.add_parser("run-cancellations", help="refund every paid order of cancelled shows")
    cancellations.add_argument("--until-done", action="store_true",
                               help="exit once no cancelled show has a paid order or an owed refund left")
    cancellations.add_argument("--show", type=int, help="only this show")
    cancellations.add_argument("--owner", help="the lease holder's name (default: one per process); a worker "
                                               "restarted under the same name takes its leases back at once")
    args = parser.parse_args(argv)
    if args.command == "run-cancellations":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        asyncio.run(_run_cancellations(args.until_done, args.show, args.owner))
        return 0
    if args.command == "checkpoint-ledger":
        print(asyncio.run(checkpoint_ledger()))
        return 0
    return verify_ledger()


if __name__ == "__main__":
    sys.exit(main())
