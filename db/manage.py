"""Database chores: `python -m db.manage migrate | seed [--if-empty] | reset`.

Run from the project root so Piccolo finds piccolo_conf.py (the engine comes from DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path


async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards("showtime")
    if not result.success:
        raise SystemExit(f"migrations failed: {result.message}")


async def seed(if_empty: bool) -> None:
    from db.demo_data import database_is_empty
    from db.demo_data import seed as load_demo

    if if_empty and not await database_is_empty():
        print("demo data: database already has data, left as it is")
        return
    started = time.perf_counter()
    counts = await load_demo()
    seats = ", ".join(f"{name} {count:,} seats" for name, count in counts.items())
    print(f"demo data loaded in {time.perf_counter() - started:.1f} s: {seats}")


async def reset() -> None:
    from piccolo.engine import engine_finder
    from piccolo.engine.sqlite import SQLiteEngine

    engine = engine_finder()
    assert engine is not None, "piccolo_conf.py not found: run from the project root"
    if isinstance(engine, SQLiteEngine):
        path = Path(engine.path)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    else:
        await engine.run_ddl("DROP SCHEMA public CASCADE")
        await engine.run_ddl("CREATE SCHEMA public")
    print("database emptied")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m db.manage")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    seed_parser = sub.add_parser("seed")
    seed_parser.add_argument("--if-empty", action="store_true")
    sub.add_parser("reset")
    args = parser.parse_args(argv)
    sys.path.insert(0, ".")
    if args.command == "migrate":
        asyncio.run(migrate())
    elif args.command == "seed":
        asyncio.run(seed(args.if_empty))
    else:
        asyncio.run(reset())


if __name__ == "__main__":
    main()
