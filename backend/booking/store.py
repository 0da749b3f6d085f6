"""Holds in Redis: typed calls over the Lua scripts, and rebuild-then-retry when a show's state was lost.

Knows Redis keys and scripts, nothing of HTTP, layouts or the rules of a sale (service.py has those).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis

from backend.booking import keys, scripts
from backend.booking.live_state import ensure_state

# A rebuild races only with another rebuild or a flush; two tries suffice unless Redis keeps being flushed.
INIT_ATTEMPTS = 3


class StateUnavailable(RuntimeError):
    """The show's live state could not be built (Redis is being flushed over and over)."""


@dataclass(frozen=True)
class HoldRecord:
    hold_id: str
    show_id: int
    profile_id: int
    seat_ids: list[str]
    expires_at_ms: int
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class Placed:
    record: HoldRecord


@dataclass(frozen=True)
class SeatsTaken:
    seat_ids: list[str]


@dataclass(frozen=True)
class TooManySeats:
    total: int


def prefix(show_id: int) -> str:
    """What every key of the show starts with; scripts build the keys they discover from it."""
    return f"{keys.tag(show_id)}:"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def _with_state(redis: Redis, show_id: int, run):
    """Run a script that answers `needs_init` when the show's state is missing; rebuild it and run again."""
    for _ in range(INIT_ATTEMPTS):
        reply = await run()
        if not (isinstance(reply, list) and reply and reply[0] == b"needs_init"):
            return reply
        await ensure_state(redis, show_id)
    raise StateUnavailable(f"live state of show {show_id} could not be built")


async def lock_seats(
    redis: Redis, *, show_id: int, profile_id: int, new_hold_id: str, seats: list[tuple[str, int]],
    ttl_ms: int, max_seats: int, currency: str,
) -> Placed | SeatsTaken | TooManySeats:
    """Lock (seat id, price) pairs for the profile's hold on the show, all or none."""
    script_keys = [
        keys.state(show_id), keys.version(show_id), keys.expiries(show_id), keys.changes_channel(show_id),
        keys.holder(show_id, profile_id), keys.hold(show_id, new_hold_id),
        *(keys.seat_lock(show_id, seat_id) for seat_id, _ in seats),
    ]
    args: list[str | int] = [prefix(show_id), new_hold_id, profile_id, ttl_ms, max_seats, currency]
    for seat_id, price in seats:
        args += [seat_id, price]
    reply = await _with_state(redis, show_id, lambda: scripts.place_hold(redis, script_keys, args))
    outcome = reply[0]
    if outcome == b"taken":
        return SeatsTaken([_text(seat) for seat in reply[1:]])
    if outcome == b"too_many":
        return TooManySeats(int(reply[1]))
    # The script only ever creates or joins a hold of this profile and show.
    _, hold_id, seats_json, expires_at_ms, amount = reply
    # Registered after the script: see sweeper.py for why this order cannot lose a hold to a concurrent sweep.
    await redis.sadd(keys.ACTIVE_SHOWS, show_id)
    return Placed(HoldRecord(_text(hold_id), show_id, profile_id, json.loads(seats_json), int(expires_at_ms),
                             int(amount), currency))


async def read_hold(redis: Redis, show_id: int, hold_id: str) -> HoldRecord | None:
    """The hold as stored, or None when it is unknown or expired (by Redis's clock)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hgetall(keys.hold(show_id, hold_id))
        pipe.time()
        record, (seconds, micros) = await pipe.execute()
    if not record or int(record[b"expires_at_ms"]) <= seconds * 1000 + micros // 1000:
        return None
    return HoldRecord(
        hold_id=hold_id,
        show_id=show_id,
        profile_id=int(record[b"profile"]),
        seat_ids=json.loads(record[b"seats"]),
        expires_at_ms=int(record[b"expires_at_ms"]),
        amount_cents=int(record[b"amount_cents"]),
        currency=_text(record[b"currency"]),
    )


def _show_keys(show_id: int) -> list[str]:
    return [keys.state(show_id), keys.version(show_id), keys.expiries(show_id), keys.changes_channel(show_id)]


async def release_seat(
    redis: Redis, *, show_id: int, hold_id: str, profile_id: int, seat_id: str, price: int, currency: str
) -> HoldRecord | str:
    """The hold without that seat, or "released" (it was the last), "no_hold" or "no_seat"."""
    reply = await scripts.release_seat(
        redis,
        [*_show_keys(show_id), keys.hold(show_id, hold_id), keys.seat_lock(show_id, seat_id)],
        [prefix(show_id), hold_id, profile_id, seat_id, price],
    )
    if reply[0] != b"ok":
        return _text(reply[0])
    _, _, seats_json, expires_at_ms, amount = reply
    return HoldRecord(hold_id, show_id, profile_id, json.loads(seats_json), int(expires_at_ms), int(amount),
                      currency)


async def release_hold(redis: Redis, *, show_id: int, hold_id: str, profile_id: int) -> bool:
    """Release every seat of the profile's hold; False when the profile has no such hold."""
    reply = await scripts.release_hold(
        redis, [*_show_keys(show_id), keys.hold(show_id, hold_id)], [prefix(show_id), hold_id, profile_id]
    )
    return reply[0] == b"released"


async def sweep_show(redis: Redis, show_id: int, batch: int) -> tuple[int, int]:
    """Release up to `batch` expired holds of the show: (released, still live)."""
    released, remaining = await scripts.sweep_expired(redis, _show_keys(show_id), [prefix(show_id), batch])
    return int(released), int(remaining)


async def mark_sold(redis: Redis, show_id: int, seat_ids: list[str], hold_id: str | None) -> int:
    """Seats become sold (and the hold, if named, is finished); returns how many seats changed status."""
    hold_key = keys.hold(show_id, hold_id or "none")
    reply = await _with_state(
        redis, show_id,
        lambda: scripts.mark_sold(redis, [*_show_keys(show_id), hold_key], [prefix(show_id), hold_id or "",
                                                                            *seat_ids]),
    )
    return int(reply)


async def seats_free_for(redis: Redis, show_id: int, seat_ids: list[str], hold_id: str) -> bool:
    """True when none of the seats is sold or locked by another hold."""
    for _ in range(INIT_ATTEMPTS):
        async with redis.pipeline(transaction=True) as pipe:
            pipe.exists(keys.version(show_id))
            pipe.hmget(keys.state(show_id), seat_ids)
            for seat_id in seat_ids:
                pipe.get(keys.seat_lock(show_id, seat_id))
            built, states, *locks = await pipe.execute()
        if not built:
            await ensure_state(redis, show_id)  # sold seats must come back from the database before we answer
            continue
        mine = hold_id.encode()
        return all(
            state != keys.SOLD_SENTINEL and lock in (None, mine)
            for state, lock in zip(states, locks, strict=True)
        )
    raise StateUnavailable(f"live state of show {show_id} could not be built")
