"""Changing seat state: typed calls over the Lua scripts, and rebuild-then-retry when a show's state was lost.

Knows Redis keys and scripts, nothing of HTTP, layouts or the rules of a sale (booking has those).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from backend.infra.leases import UNFENCED, Fenced, Leases
from backend.seats import _keys as keys
from backend.seats import scripts
from backend.seats.free_runs import build_index
from backend.seats.reads import text
from backend.seats.rebuild import ensure_built
from backend.seats.records import (
    NO_HOLD,
    NO_SEAT,
    RELEASED,
    SALE_CLOSED,
    HoldRecord,
    InCheckout,
    NoBlock,
    NoHold,
    NoSeat,
    Placed,
    Released,
    SaleClosed,
    SeatsTaken,
    StateUnavailable,
    TooManySeats,
)
from backend.seats.single_flight import SingleFlight

# A rebuild races only with another rebuild or a flush; two tries suffice unless Redis keeps being flushed.
INIT_ATTEMPTS = 3
# Besides a show's first hold (see sweep_expired), a process registers it again at most this often.
REREGISTER_AFTER_S = 5.0
_registered_at: dict[int, float] = {}


# The requests of one process that find a show's state or index missing (a sale's first seconds, or after Redis
# lost it) wait for one rebuild instead of each reading the database and sending Redis the venue's layout.
_rebuilding: SingleFlight[tuple[int, int], bool] = SingleFlight()  # by (client, show id)
_indexing: SingleFlight[tuple[int, int, int], None] = SingleFlight()  # by (client, show id, block size limit)


async def _rebuild_state(redis: Redis, show_id: int) -> None:
    await _rebuilding.run((id(redis), show_id), lambda: ensure_built(redis, show_id))


async def _build_index(redis: Redis, show_id: int, max_seats: int) -> None:
    async def build() -> None:
        if await build_index(redis, show_id, max_seats) is None:  # no index without a state: build that first
            await _rebuild_state(redis, show_id)
            await build_index(redis, show_id, max_seats)

    await _indexing.run((id(redis), show_id, max_seats), build)


async def _with_state(redis: Redis, show_id: int, run: Callable[[], Awaitable[Any]]) -> Any:
    """Run a script that answers `needs_init` when the show's state is missing; rebuild it and run again."""
    for _ in range(INIT_ATTEMPTS):
        reply = await run()
        if not (isinstance(reply, list) and reply and reply[0] == b"needs_init"):
            return reply
        await _rebuild_state(redis, show_id)
    raise StateUnavailable(f"live state of show {show_id} could not be built")


def _cleared(checkout_cleared: bool) -> str:
    return "1" if checkout_cleared else "0"


async def lock_seats(
    redis: Redis, *, show_id: int, profile_id: int, new_hold_id: str, seats: list[tuple[str, int]],
    ttl_ms: int, max_seats: int, currency: str, closing_mark: str, checkout_cleared: bool = False,
) -> Placed | SeatsTaken | TooManySeats | InCheckout | SaleClosed:
    """Lock (seat id, price) pairs for the profile's hold on the show, all or none. InCheckout when the seats would
    join a hold that went to checkout and `checkout_cleared` does not say its open order was dealt with; SaleClosed
    when `closing_mark` (a key of the show's; booking passes its cancellation mark) is set."""
    script_keys = [
        *keys.show_keys(show_id), keys.holder(show_id, profile_id), keys.hold(show_id, new_hold_id), closing_mark,
        *(keys.seat_lock(show_id, seat_id) for seat_id, _ in seats),
    ]
    args: list[str | int] = [keys.prefix(show_id), new_hold_id, profile_id, ttl_ms, max_seats, currency,
                             _cleared(checkout_cleared)]
    for seat_id, price in seats:
        args += [seat_id, price]
    reply = await _with_state(redis, show_id, lambda: scripts.place_hold(redis, script_keys, args))
    outcome = await _placed(redis, reply, show_id, profile_id, currency)
    assert not isinstance(outcome, NoBlock)  # only best available answers that
    return outcome


Outcome = Placed | SeatsTaken | TooManySeats | InCheckout | NoBlock | SaleClosed


async def _placed(redis: Redis, reply: list, show_id: int, profile_id: int, currency: str) -> Outcome:
    """What a PLACE_HOLD or PLACE_BEST reply means; a new hold's show is registered for the sweeper first."""
    outcome = reply[0]
    if outcome == b"taken":
        return SeatsTaken([text(seat) for seat in reply[1:]])
    if outcome == b"too_many":
        return TooManySeats(int(reply[1]))
    if outcome == b"in_checkout":
        return InCheckout(text(reply[1]))
    if outcome == b"no_block":
        return NoBlock()
    if outcome == b"closed":
        return SALE_CLOSED
    # The script only ever creates or joins a hold of this profile and show.
    _, hold_id, seats_json, expires_at_ms, amount, first = reply
    if first or time.monotonic() - _registered_at.get(show_id, -REREGISTER_AFTER_S) >= REREGISTER_AFTER_S:
        # Registered after the script: see sweep_expired for why this order cannot lose a hold to a sweep.
        await redis.sadd(keys.ACTIVE_SHOWS, show_id)
        _registered_at[show_id] = time.monotonic()
    return Placed(HoldRecord(text(hold_id), show_id, profile_id, json.loads(seats_json), int(expires_at_ms),
                             int(amount), currency))


async def lock_best_available(
    redis: Redis, *, show_id: int, profile_id: int, new_hold_id: str, count: int, section_id: int | None,
    accessible: bool, prices: dict[int, int], ttl_ms: int, max_seats: int, currency: str, closing_mark: str,
    checkout_cleared: bool = False,
) -> Outcome:
    """Choose the best `count` adjacent seats (free_runs.py has the rules) and lock them for the profile's hold, in one
    script; `prices` maps section id to the price of one of its seats. NoBlock when no seats satisfy the request;
    the other outcomes as lock_seats has them. The show's free-run index is built on first use (and after Redis lost
    the show's state)."""
    script_keys = [*keys.show_keys(show_id), keys.holder(show_id, profile_id), keys.hold(show_id, new_hold_id),
                   closing_mark, keys.free_runs_meta(show_id)]
    args: list[str | int] = [keys.prefix(show_id), new_hold_id, profile_id, ttl_ms, max_seats, currency,
                             _cleared(checkout_cleared), count, "" if section_id is None else section_id,
                             "1" if accessible else "0", _price_list(prices)]
    for _ in range(INIT_ATTEMPTS):
        reply = await scripts.place_best(redis, script_keys, args)
        if reply[0] != b"needs_index":
            return await _placed(redis, reply, show_id, profile_id, currency)
        await _build_index(redis, show_id, max_seats)
    raise StateUnavailable(f"live state of show {show_id} could not be built")


def _price_list(prices: dict[int, int]) -> str:
    """Section prices as one argument, `,<section>:<price>,...,`: the script looks up one section in it, and one
    argument costs Redis less to read than a pair per section (a stadium has 24)."""
    return "," + "".join(f"{section}:{price}," for section, price in prices.items())


async def release_seat(
    redis: Redis, *, show_id: int, hold_id: str, profile_id: int, seat_id: str, price: int, currency: str,
    checkout_cleared: bool = False,
) -> HoldRecord | Released | NoHold | NoSeat | InCheckout:
    """The hold without that seat, or Released (it was the last), NoHold, NoSeat or InCheckout (the hold went to
    checkout and `checkout_cleared` does not say its open order was dealt with)."""
    reply = await scripts.release_seat(
        redis,
        [*keys.show_keys(show_id), keys.hold(show_id, hold_id), keys.seat_lock(show_id, seat_id)],
        [keys.prefix(show_id), hold_id, profile_id, seat_id, price, _cleared(checkout_cleared)],
    )
    if reply[0] != b"ok":
        return _release_outcome(reply[0], hold_id)
    _, _, seats_json, expires_at_ms, amount = reply
    return HoldRecord(hold_id, show_id, profile_id, json.loads(seats_json), int(expires_at_ms), int(amount),
                      currency)


async def release_hold(redis: Redis, *, show_id: int, hold_id: str, profile_id: int,
                       leave: str | None = None, checkout_cleared: bool = False) -> Released | NoHold | InCheckout:
    """Release every seat of the profile's hold: Released, NoHold when the profile has no such hold, or InCheckout
    (as for release_seat). `leave` names a sorted set of the show's (same hash tag) to take the profile out of in
    the same step once the hold is released."""
    reply = await scripts.release_hold(
        redis, [*keys.show_keys(show_id), keys.hold(show_id, hold_id), *([leave] if leave else [])],
        [keys.prefix(show_id), hold_id, profile_id, _cleared(checkout_cleared)],
    )
    outcome = _release_outcome(reply[0], hold_id)
    assert not isinstance(outcome, NoSeat)  # the whole hold names no seat
    return outcome


def _release_outcome(word: bytes, hold_id: str) -> Released | NoHold | NoSeat | InCheckout:
    if word == b"released":
        return RELEASED
    if word == b"no_hold":
        return NO_HOLD
    if word == b"no_seat":
        return NO_SEAT
    assert word == b"in_checkout", word
    return InCheckout(hold_id)


async def mark_checkout(redis: Redis, *, show_id: int, hold_id: str, profile_id: int) -> bool:
    """Checkout is about to write an order for the profile's live hold: from now on its seats change only after the
    payments lifecycle cleared that order. False when the hold is no longer live."""
    return bool(await scripts.mark_checkout(redis, [keys.hold(show_id, hold_id)], [profile_id]))


async def mark_sold(redis: Redis, show_id: int, seat_ids: list[str], hold_id: str | None, *, order_id: int) -> int:
    """After the database committed the tickets of order `order_id`: the seats show `sold` on every map (the order
    recorded as their buyer), the hold (if any) ends.

    Idempotent: seats already sold change nothing and publish nothing. If Redis lost the show's state, it is
    rebuilt from the database first (which already has these tickets). Returns how many seats changed status.
    """
    hold_key = keys.hold(show_id, hold_id or "none")
    reply = await _with_state(
        redis, show_id,
        lambda: scripts.mark_sold(redis, [*keys.show_keys(show_id), hold_key, keys.sold_by(show_id)],
                                  [keys.prefix(show_id), hold_id or "", order_id, *seat_ids]),
    )
    return int(reply)


async def release_sold(redis: Redis, show_id: int, seat_ids: list[str], *, order_id: int) -> int:
    """After the database committed a refund of order `order_id` (the seats' tickets revoked): the seats that order
    bought are `available` again on every map, in one diff. Idempotent, and safe however late: a seat that is not
    sold, or was sold since to another order, changes nothing. If Redis lost the show's state, it is rebuilt from the
    database first, which no longer counts these seats sold. Returns how many seats changed."""
    if not seat_ids:
        return 0
    reply = await _with_state(redis, show_id, lambda: scripts.release_sold(
        redis, [*keys.show_keys(show_id), keys.sold_by(show_id)], [keys.prefix(show_id), order_id, *seat_ids]))
    return int(reply)


async def sweep_show(redis: Redis, show_id: int, batch: int, fence: tuple[str, str] | None = None) -> tuple[int, int]:
    """Release up to `batch` expired holds of the show: (released, still live). With a fence (the sweeper lease's
    key and this holder's token), raise Fenced instead of writing once the lease has passed to another process."""
    lease, token = fence or (keys.prefix(show_id) + "lease:none", UNFENCED)
    released, remaining = await scripts.sweep_expired(
        redis, [*keys.show_keys(show_id), lease], [keys.prefix(show_id), batch, token])
    if int(released) < 0:
        raise Fenced(f"the sweeper lease of show {show_id} has moved on")
    return int(released), int(remaining)


async def sweep_expired(redis: Redis, batch: int, leases: Leases | None = None) -> int:
    """Release every hold that has expired, in every active show, `batch` holds per script call at most;
    returns how many holds were released. With `leases`, only the shows whose sweeper lease this process holds
    (one process per show across the fleet; the others skip it until the lease runs out).

    Which shows to sweep: ACTIVE_SHOWS, a set outside every show's slot, so it cannot be updated inside the
    scripts on Redis Cluster. A hold that makes the show's expiries set non-empty (the script says `first`)
    registers its show right after its script succeeds; a show is retired only when its expiries set is empty,
    then looked at again and registered back if a hold arrived meanwhile. Whatever the interleaving, a show with a
    live hold ends up registered: every empty-to-non-empty step is followed by a registration, and a retirement
    that comes later sees the hold. Each process also registers a show it holds seats in at least every
    REREGISTER_AFTER_S, so a registration lost to a dropped connection heals. After Redis lost everything the
    set is empty and so are the holds: nothing to sweep.
    """
    released_total = 0
    for member in await redis.smembers(keys.ACTIVE_SHOWS):
        show_id = int(member)
        fence = None
        if leases is not None:
            if await leases.hold(show_id) is None:
                continue
            fence = leases.fence(show_id)
        try:
            while True:
                released, remaining = await sweep_show(redis, show_id, batch, fence)
                released_total += released
                if released < batch:
                    break
        except Fenced:
            if leases is not None:
                leases.forget(show_id)
            continue
        if remaining == 0:
            await _retire_show(redis, show_id)
            if leases is not None:
                leases.forget(show_id)
    return released_total


async def _retire_show(redis: Redis, show_id: int) -> None:
    await redis.srem(keys.ACTIVE_SHOWS, show_id)
    # A hold placed after our sweep may have registered the show just before the SREM above: put it back.
    if await redis.zcard(keys.expiries(show_id)):
        await redis.sadd(keys.ACTIVE_SHOWS, show_id)


async def extend_hold(redis: Redis, *, show_id: int, hold_id: str, profile_id: int, grace_ms: int) -> int | None:
    """The fan is paying: the profile's live hold (its record, seat locks and expiry entry) lives `grace_ms` longer,
    once per hold. Its expiry (ms) after the call, or None when the hold is not live."""
    reply = await scripts.extend_hold(redis, [*keys.show_keys(show_id), keys.hold(show_id, hold_id)],
                                      [keys.prefix(show_id), hold_id, profile_id, grace_ms])
    return int(reply[1]) if reply[0] == b"ok" else None


async def claim_seats(redis: Redis, *, show_id: int, hold_id: str, profile_id: int, seat_ids: list[str],
                      claim_ms: int, amount_cents: int, currency: str) -> list[str]:
    """A payment arrived: its seats become its hold's again (for `claim_ms` at least), all or none, whether the hold
    is live or ended. Returns the seats someone else holds or bought (empty: claimed)."""
    reply = await _with_state(redis, show_id, lambda: scripts.claim_seats(
        redis, [*keys.show_keys(show_id), keys.hold(show_id, hold_id)],
        [keys.prefix(show_id), hold_id, profile_id, claim_ms, amount_cents, currency, *seat_ids]))
    if reply[0] == b"claimed":
        await redis.sadd(keys.ACTIVE_SHOWS, show_id)  # as after a hold: the sweeper cleans up an unfinished sale
        return []
    return [text(seat) for seat in reply[1:]]
