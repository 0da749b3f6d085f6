"""The waiting room of a queue-enabled show: a FIFO line with a fair draw for those who came before the sale.

As in AWS's Virtual Waiting Room, a line is two counters: `issued` (INCR per newcomer) and `serving`. Serving
moves with free shopping capacity, not a timer: whenever fewer than `queue_active_shoppers` admitted shoppers are
active (admission.py), the next numbers are let in and granted admission for ADMISSION_TTL_SECONDS; a line may also
have an outflow valve, at most `queue_admissions_per_minute` let in a minute (0, the default: capacity alone), so
that what reaches checkout is what settlement and the show's Redis shard sustain. Those
who pay, release or expire leave the admitted set, which is what makes room. Every step is one Lua script
(_scripts.py), so any number of processes may advance the same line at the same time.

Who joins before `sale_opens_at` is put on a list without a number; anyone signed in may. When the sale opens, one
process (SET NX lock, and the scripts refuse a second draw) closes that list and asks the database, in chunks,
which of those profiles are verified (their e-mail address confirmed, backend.accounts.verification) by then: one
entry per verified account is what the draw counts. Those D entries are ordered from the seed the line committed to
when it was formed (draw.py: anyone can recompute it once the seed is revealed) and get numbers 1..D in
the drawn order; the unverified early arrivals follow, D+1..E, in the order they joined (_scripts.py: SEAL,
chunks, FINISH_DRAW). Later joiners get E+1, E+2, ... in order of arrival. Reading the flag at the draw rather than
at each join costs the flash crowd before an opening no database query at all, and a fan who confirms the address
after joining is still drawn. A line's capacity, admission ttl and outflow are fixed by its first joiner (the `config`
hash), so processes whose settings differ during a rolling deploy still advance it alike. Until the draw such an entry
has no number and no position (null): showing a provisional one could only be followed by a larger one, and a
place in line must never move backwards.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric
from redis.asyncio import Redis

from backend import timeutil
from backend.accounts.service import verified_among
from backend.catalog.facts import ShowFacts
from backend.errors import Conflict, NotFound, Unavailable
from backend.infra import metrics
from backend.infra.leases import UNFENCED, Fenced
from backend.timeutil import epoch_ms, from_epoch_ms, rfc3339
from realtime.messages import QueueStatus, decode_queue_status
from realtime.waiting_room import _scripts as queue_scripts
from realtime.waiting_room import admission, draw
from realtime.waiting_room._keys import QUEUE_SHOWS, draw_lock, script_keys

DRAW_LOCK_MS = 15_000  # a draw of 100,000 takes about a second; a dead drawer's lock frees within this
DRAW_WAIT_S = 10.0
DRAW_POLL_S = 0.05
DRAW_CHUNK = 5_000  # numbers written per command: each keeps Redis busy for a few milliseconds only


def _sale_refusal(show: ShowFacts) -> Conflict:
    if show.sale == "closed":
        return Conflict("The organizer has closed this sale.", code="sale_closed")
    return Conflict("The organizer has paused this sale; try again shortly.", code="sale_paused")


class QueueNotEnabled(Conflict):
    code = "queue_not_enabled"


class NotInQueue(NotFound):
    code = "not_in_queue"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def new_seed() -> str:
    return secrets.token_hex(draw.SEED_BYTES)


@dataclass(frozen=True)
class PublishedDraw:
    """The draw as shown to anyone: before it the commitment only; after it the seed and the frozen entries."""

    commitment: str | None  # sha256(seed), hex; None only for a line formed after its sale opened with no seed yet
    entries_closed_at_ms: int  # when the early list closes (the sale's opening), or closed (the draw)
    seed: bytes | None = None
    entries_hash: str | None = None
    entries: list[str] | None = None  # sorted queue ids; entry k of draw.order(seed, entries) has number k + 1
    # early arrivals not drawn (no verified e-mail when the draw ran): numbers len(entries) + 1 onwards, in join order
    placed_after_count: int | None = None

    @property
    def drawn(self) -> bool:
        return self.seed is not None and self.entries is not None


@dataclass(frozen=True)
class Place:
    """A profile's entry in a show's line, as of one read of Redis."""

    queue_id: str
    number: int | None  # None until the draw, for those who joined before the sale opened
    serving: int
    rate_per_s: float
    admitted_until_ms: int | None

    @property
    def admitted(self) -> bool:
        return self.admitted_until_ms is not None

    @property
    def position(self) -> int | None:
        return None if self.number is None else max(0, self.number - self.serving)

    @property
    def estimated_wait_s(self) -> int | None:
        position = self.position
        if position is None:
            return None
        if position == 0:
            return 0
        return math.ceil(position / self.rate_per_s) if self.rate_per_s > 0 else None

    @property
    def admitted_until(self) -> str | None:
        if self.admitted_until_ms is None:
            return None
        return rfc3339(from_epoch_ms(self.admitted_until_ms))


class WaitingRoom:
    def __init__(
        self,
        redis: Redis,
        active_shoppers: int,
        admission_ttl_s: int,
        verified: Callable[[list[int]], Awaitable[set[int]]] = verified_among,
        admissions_per_minute: int = 0,
    ) -> None:
        self.redis = redis
        self.capacity = active_shoppers
        self.admission_ttl_ms = admission_ttl_s * 1000
        self.admissions_per_minute = admissions_per_minute  # the outflow valve for new lines; 0: capacity alone
        self.verified = verified  # which profiles the draw counts (the database's answer; a stand-in in benchmarks)

    async def join(self, show: ShowFacts, profile_id: int, now_ms: int | None = None) -> tuple[Place, bool]:
        """Take a place in the show's line, or find the one this profile has: (place, created)."""
        if not show.queue_enabled:
            raise QueueNotEnabled("This show has no waiting room: hold seats directly.")
        now_ms = now_ms or timeutil.now_ms()
        if show.sale != "open":
            # Paused or closed by the organizer: who is in line keeps their place (and sees `paused`), nobody new
            # joins.
            try:
                return await self.place(show, profile_id, now_ms), False
            except NotInQueue:
                raise _sale_refusal(show) from None
        opens_ms = epoch_ms(show.sale_opens_at)
        deadline = time.monotonic() + DRAW_WAIT_S
        while True:
            number, _, created = await queue_scripts.join(
                self.redis,
                script_keys(show.id),
                [
                    profile_id,
                    secrets.token_urlsafe(12),
                    now_ms,
                    opens_ms,
                    show.queue_capacity or self.capacity,
                    self.admission_ttl_ms,
                    new_seed(),
                    self._outflow(show),
                    "1" if show.sale != "open" else "0",
                ],
            )
            if number != -1:
                break
            # The sale opened (by the line's own account, whatever this process's clock says) and the draw is not
            # done: draw, or wait for the process drawing, then join after the early arrivals.
            await self.draw_if_due(show, max(now_ms, opens_ms))
            if time.monotonic() > deadline:
                raise Unavailable("The waiting room is opening; try again in a moment.")
        await self.redis.sadd(QUEUE_SHOWS, show.id)
        await self.advance(show.id, now_ms)  # free places let the newcomer in at once
        return await self.place(show, profile_id, now_ms), bool(created)

    async def place(self, show: ShowFacts, profile_id: int, now_ms: int | None = None) -> Place:
        if not show.queue_enabled:
            raise QueueNotEnabled("This show has no waiting room: hold seats directly.")
        now_ms = now_ms or timeutil.now_ms()
        number, queue_id, status_json = await queue_scripts.entry(
            self.redis, script_keys(show.id), [now_ms, profile_id]
        )
        if number == -2:
            raise NotInQueue("You have not joined this show's waiting room.")
        if number == 0 and now_ms >= epoch_ms(show.sale_opens_at):
            # An early arrival asking after the opening: make sure the draw happened (the job may lag by a tick).
            await self.draw_if_due(show, now_ms)
            await self.advance(show.id, now_ms)
            number, queue_id, status_json = await queue_scripts.entry(
                self.redis, script_keys(show.id), [now_ms, profile_id]
            )
        status = decode_queue_status(status_json)
        return Place(
            queue_id=queue_id.decode(),
            number=number or None,
            serving=status.serving,
            rate_per_s=status.rate_per_s,
            admitted_until_ms=await admission.admitted_until(self.redis, show.id, profile_id, now_ms),
        )

    async def draw_if_due(self, show: ShowFacts, now_ms: int) -> None:
        """Once the sale is open, give the early arrivals their numbers in a random order, exactly once."""
        if now_ms < epoch_ms(show.sale_opens_at):
            return
        deadline = time.monotonic() + DRAW_WAIT_S
        while time.monotonic() < deadline:
            token = secrets.token_hex(8)
            keys = script_keys(show.id, draw_id=token)
            if await self.redis.exists(keys[3]):
                return
            if not await self.redis.set(draw_lock(show.id), token, nx=True, px=DRAW_LOCK_MS):
                await asyncio.sleep(DRAW_POLL_S)  # another process is drawing
                continue
            try:
                await self.redis.set(keys[16], new_seed(), nx=True)  # a line formed before seeds existed
                early = await queue_scripts.seal(self.redis, keys)
                if early is None:
                    return  # opened meanwhile
                seed = bytes.fromhex(_text(await self.redis.get(keys[16]) or ""))
                verified = await self.verified([int(profile) for profile in early])
                in_draw = [profile for profile in early if int(profile) in verified]
                after = [profile for profile in early if int(profile) not in verified]  # still in join order
                profile_of = dict(zip(await self._queue_ids(keys, in_draw), in_draw, strict=True))
                entries = draw.canonical_entries(list(profile_of))
                numbered = [profile_of[queue_id] for queue_id in draw.order(seed, entries)] + after
                for start in range(0, len(numbered), DRAW_CHUNK):
                    chunk = numbered[start : start + DRAW_CHUNK]
                    numbers = range(start + 1, start + len(chunk) + 1)
                    listed = entries[start : start + DRAW_CHUNK]
                    async with self.redis.pipeline(transaction=False) as pipe:
                        pipe.hset(keys[13], mapping=dict(zip(chunk, numbers, strict=True)))
                        pipe.hset(keys[14], mapping=dict(zip(numbers, chunk, strict=True)))
                        if listed:
                            pipe.append(keys[19], "".join(f"{e}\n" for e in listed))
                        for key in (keys[13], keys[14], keys[19]):
                            pipe.pexpire(key, DRAW_LOCK_MS * 2)
                        await pipe.execute()
                finished = await queue_scripts.finish_draw(
                    self.redis, keys, [now_ms, token, draw.entries_hash(entries), len(entries)]
                )
                if finished != -1:
                    return
            finally:
                await queue_scripts.release_lock(self.redis, [draw_lock(show.id)], [token])
        raise Unavailable("The waiting room is opening; try again in a moment.")

    async def _queue_ids(self, keys: list[str], profiles: list[bytes]) -> list[str]:
        """The early arrivals' queue ids, read in chunks (one HMGET of 100,000 fields would hold Redis up)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for start in range(0, len(profiles), DRAW_CHUNK):
                pipe.hmget(keys[9], profiles[start : start + DRAW_CHUNK])
            chunks = await pipe.execute()
        return [queue_id.decode() for chunk in chunks for queue_id in chunk]

    async def draw_record(self, show: ShowFacts) -> PublishedDraw:
        """What may be shown of the draw now: the commitment before it, the seed and the entries after it."""
        if not show.queue_enabled:
            raise QueueNotEnabled("This show has no waiting room.")
        keys = script_keys(show.id)
        seed_hex, record = await queue_scripts.draw_state(self.redis, keys)
        if not seed_hex and timeutil.now_ms() < epoch_ms(show.sale_opens_at):
            # Nobody has joined yet: commit now, so the commitment is public before anyone can enter.
            await self.redis.set(keys[16], new_seed(), nx=True)
            seed_hex, record = await queue_scripts.draw_state(self.redis, keys)
        seed = bytes.fromhex(seed_hex.decode()) if seed_hex else None
        fields = {record[i].decode(): record[i + 1].decode() for i in range(0, len(record), 2)}
        if not fields:
            return PublishedDraw(
                commitment=draw.commitment(seed) if seed else None, entries_closed_at_ms=epoch_ms(show.sale_opens_at)
            )
        text = _text(await self.redis.get(keys[18]) or "")
        return PublishedDraw(
            commitment=draw.commitment(seed) if seed else None,
            entries_closed_at_ms=int(fields["closed_at"]),
            seed=seed,
            entries_hash=fields["entries_hash"],
            entries=text.splitlines(),
            placed_after_count=int(fields.get("placed_after_count", "0")),  # absent: drawn before the rule, all in it
        )

    async def advance(self, show_id: int, now_ms: int | None = None, token: str = UNFENCED) -> int:
        """Let in as many as there are free shopping places; returns how many. `token`: the advancing job's
        lease token (raises Fenced once the lease has passed to another process)."""
        let_in = int(
            await queue_scripts.advance(
                self.redis,
                script_keys(show_id),
                [now_ms or timeutil.now_ms(), self.capacity, self.admission_ttl_ms, token,
                 self.admissions_per_minute],
            )
        )
        if let_in < 0:
            raise Fenced(f"the advancing lease of show {show_id} has moved on")
        return let_in

    def _outflow(self, show: ShowFacts) -> int:
        return self.admissions_per_minute if show.queue_outflow_per_minute is None else show.queue_outflow_per_minute

    async def configure(self, show_id: int, *, active_shoppers: int | None = None,
                        admissions_per_minute: int | None = None, paused: bool | None = None) -> None:
        """Change a show's line mid-sale: its capacity, its outflow valve (admissions per minute, 0 for none), or
        its pause (the organizer's: nobody let in, `paused` in the broadcast), for every process at once (they read
        the line's config, not their settings); the status is published with it."""
        pairs: list[str | int] = []
        for name, value in (("capacity", active_shoppers), ("admissions_per_minute", admissions_per_minute),
                            ("paused", None if paused is None else int(paused))):
            if value is not None:
                pairs += [name, value]
        if pairs:
            await queue_scripts.configure(self.redis, script_keys(show_id), [timeutil.now_ms(), *pairs])

    async def status(self, show_id: int, now_ms: int | None = None) -> QueueStatus:
        reply = await queue_scripts.status(self.redis, script_keys(show_id), [now_ms or timeutil.now_ms()])
        return decode_queue_status(reply)

    async def lines(self) -> list[int]:
        """Shows whose waiting room has entries (what the advancing job walks)."""
        return sorted(int(raw) for raw in await self.redis.smembers(QUEUE_SHOWS))

    async def gauges(self) -> list[Metric]:
        """For a scrape of /metrics: each line's waiting, serving and admissions per minute, as Redis has them now
        (a line that ended is gone from the answer), for at most metrics.WAITING_ROOM_SHOWS lines."""
        lines = await self.lines()
        shown = lines[: metrics.WAITING_ROOM_SHOWS]
        statuses = await asyncio.gather(*(self.status(show_id) for show_id in shown))
        return metrics.waiting_room_families(len(lines), [
            (show_id, status.waiting, status.serving, status.rate_per_s)
            for show_id, status in zip(shown, statuses, strict=True)])

    async def forget(self, show_id: int) -> None:
        await self.redis.srem(QUEUE_SHOWS, show_id)
