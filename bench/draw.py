"""Draw benchmark: E early arrivals drawn when the sale opens, on a real Valkey (embedded, a fresh one per run).

The early list, the profile -> number (0) and profile -> queue id hashes are filled as E joins would leave them
(pipelined, not timed); then one process draws, every profile counted as verified without asking a database (the
draw's database queries, one per 5,000 early arrivals, are not in these figures). Reports the draw's wall time and, from SLOWLOG, the longest single
Redis command during the draw (what another client could have waited behind).

    taskset -c 1 .venv/bin/python bench/draw.py --early 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis

from backend.catalog.facts import ShowFacts
from backend.launcher.embedded_valkey import start_valkey
from backend.timeutil import epoch_ms
from realtime.waiting_room import WaitingRoom
from realtime.waiting_room._keys import script_keys

FILL_CHUNK = 10_000


async def everyone(profile_ids: list[int]) -> set[int]:
    return set(profile_ids)


async def fill(redis: Redis, show_id: int, early: int) -> None:
    keys = script_keys(show_id)
    for start in range(1, early + 1, FILL_CHUNK):
        profiles = range(start, min(early + 1, start + FILL_CHUNK))
        async with redis.pipeline(transaction=False) as pipe:
            pipe.rpush(keys[2], *profiles)
            pipe.hset(keys[7], mapping=dict.fromkeys(profiles, 0))
            pipe.hset(keys[9], mapping={p: secrets.token_urlsafe(12) for p in profiles})
            await pipe.execute()


async def run(early: int, rounds: int) -> None:
    opens = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_valkey(Path(tmp))
        redis = Redis.from_url(url)
        try:
            await redis.config_set("slowlog-log-slower-than", 0)
            await redis.config_set("slowlog-max-len", 100_000)
            room = WaitingRoom(redis, active_shoppers=100, admission_ttl_s=600, verified=everyone)
            for round_ in range(rounds):
                show = ShowFacts(
                    id=1_000 + round_,
                    title="Bench",
                    venue_id=1,
                    currency="EUR",
                    starts_at=opens + timedelta(days=1),
                    sale_opens_at=opens,
                    queue_enabled=True,
                    seats_total=100,
                )
                await fill(redis, show.id, early)
                await redis.slowlog_reset()
                started = time.perf_counter()
                await room.draw_if_due(show, epoch_ms(opens) + 1)
                wall = time.perf_counter() - started
                slow = sorted(await redis.slowlog_get(100_000), key=lambda entry: -entry["duration"])
                longest = slow[0]["duration"] if slow else 0
                if os.environ.get("DRAW_BENCH_SLOWEST"):
                    print([(e["duration"], e["command"][:60]) for e in slow[:5]])
                assert await redis.exists(script_keys(show.id)[3])
                print(
                    f"draw of {early:,}: {wall:.2f} s wall, longest Redis command {longest / 1000:.1f} ms, "
                    f"load average {os.getloadavg()[0]:.2f}"
                )
        finally:
            await redis.aclose()
            process.terminate()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--early", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.early, args.rounds))


if __name__ == "__main__":
    main()
