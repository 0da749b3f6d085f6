"""The live seat map: one feed per show per process, fanned out to that process's watchers.

A change reaches a watcher like this: the seat-state Lua script (backend.seats) bumps `{show:N}:version` and publishes
`{"v": V, "c": [[seat, status], ...]}` on `{show:N}:changes`; every process with watchers of the show receives it
once (one Redis subscription per show per process, through the ChannelsPlugin); the show's feed collects changes
for a coalescing window, folds them into its map as one step (merged per seat), and broadcasts: each watcher gets
one diff from the version it has to the feed's, encoded once per distinct starting version (normally one for all).
Changes that arrive while a broadcast is under way are folded in between its slices of sockets, so the sockets it
has not reached yet get them in the same pass and only those it already passed wait for the next: a change waits
at worst about one broadcast and one window (D + window), not the rest of one broadcast, a window and another.

The feed keeps the map as the latest step leaves it (version + held/sold seats). It is loaded with `seats.read_state`
only after Redis confirmed the subscription, so no change can fall between the snapshot and the stream; messages the
snapshot already covers (v <= its version) are dropped. A watcher that joins gets that in-memory snapshot (encoded
once per version, however many join) and then every diff, each starting where the previous message ended.
Anything that breaks the chain - a version gap, a reset after Redis lost its data, a resubscription after a lost
connection, or an audit that finds Redis ahead of the stream - reloads the snapshot and sends it to every watcher
instead of a diff.

A client back from a lost connection (a server that restarted closes its sockets with 1012) may say which version it
has (`?since=V`): when the feed's recent steps reach back to V, its first message is one diff from V (empty when V is
the feed's version), encoded once per V and version however many come back; otherwise the snapshot. Versions are
Redis's, the same on every process, so a client can resume on any process whose feed holds the steps. V may fall
inside a step (another process folded other windows): the diff then starts at that step, and the changes it repeats
set seats to the status the client already has.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque

from litestar.channels import ChannelsPlugin
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend import seats
from realtime.channels import SUBSCRIBED
from realtime.feeds import Feed, FeedHub
from realtime.frames import Outgoing
from realtime.messages import Diff, SeatChanges, Snapshot, decode_seat_changes, encode
from realtime.watchers import Watcher

logger = logging.getLogger("showtime.realtime.live_map")

# Coalescing: after a broadcast the feed collects changes for WINDOW_MIN_S, or for PAUSE_PER_BROADCAST of the time
# that broadcast took if that is longer. A broadcast costs one send per watcher, so its length D measures what the
# next one will cost on this machine with these watchers: broadcasting never takes more than 1 / (1 + 0.25), four
# fifths, of the process, however many watch or however loaded the machine is, and the rest is left for requests
# (a process that serves thousands of watchers is a socket process first: docs/capacity.md, section 5). With the
# fold between slices (see the module's docstring) a change waits at worst about D + the pause.
WINDOW_MIN_S = 0.03
PAUSE_PER_BROADCAST = 0.25
# When earlier diffs still wait to be sent to more than BACKLOG_SHARE of a show's many watchers, the process is
# behind (CPU or network): the next diff waits, up to MAX_DEFER_S after the previous one, so it carries more
# changes in one message instead of adding messages to queues that are already late. Only at scale: with few
# watchers, one stuck client is a large share, and stuck clients are dropped, not waited for.
DEFER_FROM_WATCHERS = 200
BACKLOG_SHARE = 0.25
MAX_DEFER_S = 1.0
DEFER_STEP_S = 0.01
# After an idle spell the first change goes out (almost) at once; this short gather lets a burst that arrives
# together (one hold of several seats, many holds in the same millisecond) share the message.
FIRST_GATHER_S = 0.005
# The feed's recent steps (one per fold of arrived changes): a watcher that has any of their starting versions
# catches up by one diff; one further behind (it cannot be, short of a pass folding in more than this many times)
# gets the snapshot. A pass folds in what arrived at most once per slice of sockets.
STEPS_KEPT = 64
AUDIT_INTERVAL_S = 2.0
SUBSCRIBE_CONFIRM_TIMEOUT_S = 3.0
RETRY_DELAY_S = 0.5


def pause_after(broadcast_s: float) -> float:
    """How long a feed collects changes after a broadcast that took `broadcast_s`."""
    return max(WINDOW_MIN_S, PAUSE_PER_BROADCAST * broadcast_s)


class ShowFeed(Feed):
    kind = "live_map"

    def __init__(self, show_id: int, redis: Redis, channels: ChannelsPlugin) -> None:
        super().__init__(show_id, seats.changes_channel(show_id), channels)
        self.redis = redis
        # The map exactly as every watcher has it: the last snapshot plus every diff sent since.
        self.version: int | None = None
        self.seats: dict[str, seats.HeldOrSold] = {}
        self.stale = True  # the next flush must reload the snapshot instead of sending a diff
        self._snapshot_event: tuple[int, Outgoing] | None = None
        self._resumptions: dict[int, Outgoing] = {}  # first messages of resuming clients, by their `since`...
        self._resumptions_at: int | None = None  # ...for this version of the map
        self._steps: deque[tuple[int, int, dict[str, seats.SeatStatus]]] = deque(maxlen=STEPS_KEPT)  # (from, to, ..)
        self._inbox: list[SeatChanges | None] = []  # None: the subscription was (re)confirmed
        self._arrived = asyncio.Event()
        self._subscribed = asyncio.Event()

    def welcome(self, watcher: Watcher, since: int | None = None) -> None:
        if self.version is not None and not self.stale:
            watcher.offer((self._resumption(since) if since is not None else None) or self._snapshot())
            watcher.version = self.version
        # Otherwise the snapshot that the feed is about to load goes to every watcher, this one included.

    def _resumption(self, since: int) -> Outgoing | None:
        """The first message for a client that has version `since`: a diff from it to the feed's version, or None
        (it gets the snapshot) when the steps kept do not reach back to it. Version 0 (a show not built in Redis,
        read from the database) is never resumed: two reads of an unbuilt show may differ."""
        assert self.version is not None
        if self._resumptions_at != self.version:
            self._resumptions, self._resumptions_at = {}, self.version
        message = self._resumptions.get(since)
        if message is None:
            changes = {} if since == self.version != seats.NOT_BUILT else self._changes_since(since)
            if changes is None:
                return None
            diff = Diff(from_version=since, version=self.version, changes=list(changes.items()))
            message = self._resumptions[since] = Outgoing(encode(diff).decode())
        return message

    def _snapshot(self) -> Outgoing:
        assert self.version is not None
        if self._snapshot_event is None or self._snapshot_event[0] != self.version:
            text = encode(Snapshot(version=self.version, seats=self.seats)).decode()
            self._snapshot_event = (self.version, Outgoing(text))
        return self._snapshot_event[1]

    def receive(self, payload: bytes) -> None:
        if payload == SUBSCRIBED:
            self._inbox.append(None)
            self._subscribed.set()
        else:
            try:
                self._inbox.append(decode_seat_changes(payload))
            except ValueError:  # msgspec.DecodeError and ValidationError are ValueErrors
                logger.error("ignoring a malformed change message on show %s: %.200r", self.show_id, payload)
                return
        self._arrived.set()

    async def loop(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), SUBSCRIBE_CONFIRM_TIMEOUT_S)
        self._arrived.set()  # load the first snapshot now, whether or not anything changed
        last_flush = 0.0
        window = WINDOW_MIN_S
        last_audit: int | None = None
        next_audit = time.monotonic() + AUDIT_INTERVAL_S
        while True:
            if self.lingered():
                return
            now = time.monotonic()
            if now >= next_audit:
                last_audit = await self._audit(last_audit)
                next_audit = now + AUDIT_INTERVAL_S
                continue
            try:
                await asyncio.wait_for(self._arrived.wait(), max(0.0, next_audit - now))
            except TimeoutError:
                continue
            window_left = last_flush + window - time.monotonic()
            await asyncio.sleep(max(FIRST_GATHER_S, window_left))
            await self._let_sends_catch_up(until=last_flush + MAX_DEFER_S)
            self._arrived.clear()
            started = time.monotonic()
            await self._flush()
            last_flush = time.monotonic()
            window = pause_after(last_flush - started)

    async def _let_sends_catch_up(self, until: float) -> None:
        while time.monotonic() < until:
            watchers = len(self.watchers)
            if watchers < DEFER_FROM_WATCHERS or self.backlog.busy <= BACKLOG_SHARE * watchers:
                return
            await asyncio.sleep(DEFER_STEP_S)

    async def _flush(self) -> None:
        inbox, self._inbox = self._inbox, []
        if not self.stale:
            self._absorb(inbox)
            if not self.stale and await self.broadcast(self._catch_up, self.version, self._absorb_arrivals):
                return
        # Everything absorbed so far was published before the read below, so the snapshot covers it.
        try:
            version, state = await seats.read_state(self.redis, self.show_id)
        except (RedisError, RuntimeError, OSError) as exc:
            logger.warning("show %s: snapshot reload failed (%s); retrying", self.show_id, exc)
            await asyncio.sleep(RETRY_DELAY_S)
            self._arrived.set()
            return
        self.version = version
        self.seats = {seat_id.decode(): seats.status_of(value) for seat_id, value in state.items()}
        self.stale = False
        self._steps.clear()
        for watcher in self.watchers:
            watcher.version = None  # a reloaded map goes to every watcher, whatever version it had
        await self.broadcast(lambda have: (self._snapshot(), True), self.version)
        if self._inbox:  # arrived during the read; the next flush drops what the snapshot already covers
            self._arrived.set()

    def _absorb_arrivals(self) -> int | None:
        """Between slices of a broadcast: fold in what arrived meanwhile, so the rest of the pass carries it too.
        The version to bring the rest of the pass to, or None when the chain broke (the snapshot is reloaded)."""
        if self._inbox and not self.stale:
            inbox, self._inbox = self._inbox, []
            self._absorb(inbox)
        return None if self.stale else self.version

    def _catch_up(self, have: int | None) -> tuple[Outgoing, bool]:
        """What brings a watcher from version `have` to the feed's: one diff of the steps since, or the snapshot
        (which replaces anything queued) when `have` falls in none of the steps kept."""
        assert self.version is not None
        merged = None if have is None else self._changes_since(have)
        if merged is None or have is None:
            return self._snapshot(), True
        diff = Diff(from_version=have, version=self.version, changes=list(merged.items()))
        return Outgoing(encode(diff).decode()), False

    def _changes_since(self, have: int) -> dict[str, seats.SeatStatus] | None:
        """Every seat changed after version `have`, with its status now: the steps from the one that `have` falls
        in (start <= have < end) merged, a later change to a seat winning; None when no step kept holds `have`.
        Where `have` is inside a step, the changes made before it in that step come along too: they set those
        seats to what the client already has (nothing changed them since, or a later step says so)."""
        merged: dict[str, seats.SeatStatus] = {}
        found = False
        for start, end, changes in self._steps:
            found = found or start <= have < end
            if found:
                merged.update(changes)
        return merged if found else None

    def _absorb(self, inbox: list[SeatChanges | None]) -> None:
        """Fold messages into the feed's map as one step; on anything that breaks the chain, mark the feed stale."""
        assert self.version is not None
        start = self.version
        merged: dict[str, seats.SeatStatus] = {}
        for message in inbox:
            if message is None or message.reset:
                self.stale = True
                return
            if message.v <= self.version:
                continue  # already in the snapshot
            if message.v != self.version + 1:
                logger.info("show %s: version gap %s -> %s; reloading the snapshot", self.show_id,
                            self.version, message.v)
                self.stale = True
                return
            for seat_id, status in message.c:
                merged[str(seat_id)] = status  # a later change to the same seat in the window wins
            self.version = message.v
        if self.version == start:
            return
        for seat_id, status in merged.items():
            if status == "available":
                self.seats.pop(seat_id, None)
            else:
                self.seats[seat_id] = status
        self._steps.append((start, self.version, merged))

    async def _audit(self, previous: int | None) -> int | None:
        """Catch what pub/sub cannot tell: a message lost in transit, or Redis losing the show's state.

        A version Redis had at the previous audit must have arrived by now (two seconds later); if the feed is
        still behind it, or Redis now has no version or an older one, the snapshot is reloaded.
        """
        try:
            current = await seats.version_of(self.redis, self.show_id)
        except (RedisError, OSError):
            return previous
        lost = current is None and self.version != seats.NOT_BUILT  # a feed of an unbuilt show has nothing to lose
        if not self.stale and self.version is not None and (
            lost or (current is not None and current < self.version)
            or (previous is not None and self.version < previous)
        ):
            logger.warning("show %s: audit found the feed at %s, Redis at %s; reloading", self.show_id,
                           self.version, current)
            self.stale = True
            self._arrived.set()
        return current


def live_map_hub(redis: Redis, channels: ChannelsPlugin, ready: asyncio.Event) -> FeedHub[ShowFeed]:
    return FeedHub(lambda show_id: ShowFeed(show_id, redis, channels), ready)
