"""The live state of a show's seats in Redis, and its rebuild from the database.

Redis may lose everything. A show's `version` key doubles as the marker that its state was built: when it is
missing, the sold seats are loaded from the database (the truth) before anything reads or locks seats again.
A rebuilt show starts at a version taken from the clock, so versions never repeat across a flush and every
watcher sees a gap and reloads its snapshot.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from backend.booking import keys
from db.tables import Ticket

_INIT_STATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 2, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], 'sold') end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[3], '{"v":' .. ARGV[1] .. ',"reset":true}')
return 1
"""


async def sold_seat_ids(show_id: int) -> list[str]:
    rows = await Ticket.select(Ticket.seat).where(Ticket.show == show_id).output(as_list=True)
    return [str(seat_id) for seat_id in rows]


async def ensure_state(redis: Redis, show_id: int) -> None:
    """Build the show's state from the database unless it is already there."""
    if await redis.exists(keys.version(show_id)):
        return
    sold = await sold_seat_ids(show_id)
    initial_version = int(time.time() * 1000)
    await redis.eval(
        _INIT_STATE, 3, keys.version(show_id), keys.state(show_id), keys.changes_channel(show_id),
        initial_version, *sold,
    )


async def read_state(redis: Redis, show_id: int) -> tuple[int, dict[bytes, bytes]]:
    """(version, {seat_id: hold_id | b"sold"}) read atomically."""
    for _ in range(3):
        async with redis.pipeline(transaction=True) as pipe:
            pipe.get(keys.version(show_id))
            pipe.hgetall(keys.state(show_id))
            version, state = await pipe.execute()
        if version is not None:
            return int(version), state
        await ensure_state(redis, show_id)
    raise RuntimeError(f"live state of show {show_id} could not be built")


def status_of(value: bytes) -> str:
    return "sold" if value == keys.SOLD_SENTINEL else "held"


async def unavailable_counts(redis: Redis, show_ids: list[int]) -> dict[int, int | None]:
    """Held + sold seats per show from Redis; None where the state was never built (caller asks the DB)."""
    if not show_ids:
        return {}
    async with redis.pipeline(transaction=False) as pipe:
        for show_id in show_ids:
            pipe.exists(keys.version(show_id))
            pipe.hlen(keys.state(show_id))
        replies = await pipe.execute()
    return {
        show_id: (int(replies[2 * i + 1]) if replies[2 * i] else None) for i, show_id in enumerate(show_ids)
    }
