"""Reading seat state. Nothing here writes Redis or publishes.

When a show's state is not built (never yet, or Redis lost it) a read answers from the database instead: the
seats that have tickets are sold, nothing is held (holds live only in Redis, so none survive a loss), and the
version is NOT_BUILT (0). Only the write path rebuilds (rebuild.py), so a page view of a show nobody buys from
leaves Redis untouched, and the first rebuild's reset tells every watcher to reload.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from redis.asyncio import Redis

from backend.seats import _keys as keys
from backend.seats import scripts
from backend.seats.rebuild import sold_seat_ids
from backend.seats.records import HeldOrSold, HoldRecord

NOT_BUILT = 0  # the version of a show whose state is not in Redis; built versions come from the clock (ms)


class LiveState(NamedTuple):
    version: int
    seats: dict[bytes, bytes]  # seat id -> hold id (held) | b"sold"; absent seats are available


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def status_of(value: bytes) -> HeldOrSold:
    return "sold" if value == keys.SOLD_SENTINEL else "held"


async def _sold_from_database(show_id: int) -> dict[bytes, bytes]:
    return {seat_id.encode(): keys.SOLD_SENTINEL for seat_id in await sold_seat_ids(show_id)}


async def read_state(redis: Redis, show_id: int) -> LiveState:
    """(version, {seat_id: hold_id | b"sold"}) read atomically; from the database when Redis has no state."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.get(keys.version(show_id))
        pipe.hgetall(keys.state(show_id))
        version, state = await pipe.execute()
    if version is None:
        return LiveState(NOT_BUILT, await _sold_from_database(show_id))
    return LiveState(int(version), state)


async def version_of(redis: Redis, show_id: int) -> int | None:
    """The show's live-map version, None when its state is not built."""
    raw = await redis.get(keys.version(show_id))
    return int(raw) if raw is not None else None


def changes_channel(show_id: int) -> str:
    """The pub/sub channel of the show's seat changes (what a live-map feed subscribes to)."""
    return keys.changes_channel(show_id)


async def unavailable_counts(redis: Redis, show_ids: list[int]) -> dict[int, int | None]:
    """Held + sold seats per show from Redis; None where the state is not built (the caller asks the DB)."""
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


async def read_hold(redis: Redis, show_id: int, hold_id: str) -> HoldRecord | None:
    """The hold as stored, or None when it is unknown or expired (by Redis's clock)."""
    now_ms, fields = await scripts.read_hold(redis, [keys.hold(show_id, hold_id)])
    record = dict(zip(fields[::2], fields[1::2], strict=True))
    if not record or int(record[b"expires_at_ms"]) <= now_ms:
        return None
    return HoldRecord(
        hold_id=hold_id,
        show_id=show_id,
        profile_id=int(record[b"profile"]),
        seat_ids=json.loads(record[b"seats"]),
        expires_at_ms=int(record[b"expires_at_ms"]),
        amount_cents=int(record[b"amount_cents"]),
        currency=text(record[b"currency"]),
    )


async def hold_owner(redis: Redis, show_id: int, hold_id: str) -> int | None:
    """The profile on a hold's record, expired or not, until the sweeper clears it; None when there is none."""
    profile = await redis.hget(keys.hold(show_id, hold_id), "profile")
    return int(profile) if profile is not None else None


async def seats_free_for(redis: Redis, show_id: int, seat_ids: list[str], hold_id: str) -> bool:
    """True when none of the seats is sold or locked by another hold than `hold_id`."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.exists(keys.version(show_id))
        pipe.hmget(keys.state(show_id), seat_ids)
        for seat_id in seat_ids:
            pipe.get(keys.seat_lock(show_id, seat_id))
        built, states, *locks = await pipe.execute()
    if not built:  # sold seats come from the database; locks, if any survived, still count
        sold = await _sold_from_database(show_id)
        states = [sold.get(seat_id.encode()) for seat_id in seat_ids]
    mine = hold_id.encode()
    return all(
        state != keys.SOLD_SENTINEL and lock in (None, mine) for state, lock in zip(states, locks, strict=True)
    )


async def unsold_among(redis: Redis, show_id: int, seat_ids: list[str]) -> set[str] | None:
    """Which of the seats Redis does not show as sold; None when the show's state is not built."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.exists(keys.version(show_id))
        pipe.hmget(keys.state(show_id), seat_ids)
        built, states = await pipe.execute()
    if not built:
        return None
    return {seat for seat, state in zip(seat_ids, states, strict=True) if state != keys.SOLD_SENTINEL}
