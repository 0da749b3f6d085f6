"""What the live map and the waiting room share: a per-show, per-process feed and the hub that hands them out.

A feed owns one plugin subscription to one show's channel and the set of this process's sockets watching that
show. It is made by the first watcher, outlives the last one by LINGER_S (a page reload should not cost a
resubscription), and on any failure closes its sockets with 1013 so the clients reconnect to a fresh feed.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from litestar import WebSocket
from litestar.channels import ChannelsPlugin

from backend.infra import metrics
from realtime.frames import Outgoing
from realtime.watchers import WS_TRY_AGAIN_LATER, Backlog, Watcher, close_quietly

logger = logging.getLogger("showtime.realtime.feeds")

LINGER_S = 30.0
READY_TIMEOUT_S = 10.0  # the ChannelsPlugin starts with the app; a socket waits this long for it at most
FAN_OUT_SLICE = 500  # sockets sent to between two yields to the event loop (~5 ms of sends)


def widening_window(watchers: int, narrow_s: float, wide_s: float, from_watchers: int, to_watchers: int) -> float:
    """A feed's pause between broadcasts: `narrow_s` up to `from_watchers`, then linearly wider to `wide_s`.

    Each broadcast costs one send per watcher, so the more watchers a process serves, the fewer (and fuller)
    messages it sends; few watchers get changes nearly as they happen.
    """
    share = (watchers - from_watchers) / (to_watchers - from_watchers)
    return narrow_s + (wide_s - narrow_s) * min(1.0, max(0.0, share))


class Feed(abc.ABC):
    kind: ClassVar[str] = "feed"  # what metrics call this kind of feed (a bounded label)

    def __init__(self, show_id: int, channel: str, channels: ChannelsPlugin) -> None:
        self.show_id = show_id
        self.channel = channel
        self.channels = channels
        self.watchers: set[Watcher] = set()
        self.backlog = Backlog()  # shared by this feed's watchers: how far behind their sends are, all together
        self.closed = False
        self.on_closed: Callable[[Feed], None] = lambda feed: None
        self.task: asyncio.Task[None] | None = None
        self._idle_since = time.monotonic()
        self._sends_path: bool | None = None  # logged when the first watcher comes, and if it ever changes

    # ------------------------------------------------------------ what each kind of feed defines

    @abc.abstractmethod
    def welcome(self, watcher: Watcher, since: int | None) -> None:
        """Give a newcomer what it needs before the next broadcast (or nothing, if that broadcast will do).
        `since`: the version a reconnecting client says it has, where the feed has versions (else None)."""

    @abc.abstractmethod
    def receive(self, payload: bytes) -> None:
        """Take one pub/sub payload (or realtime.channels.SUBSCRIBED) without awaiting anything."""

    @abc.abstractmethod
    async def loop(self) -> None:
        """Broadcast until `lingered()` says nobody is left; then return."""

    # ------------------------------------------------------------ shared machinery

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"{type(self).__name__}-{self.show_id}")

    def add(self, watcher: Watcher, since: int | None = None) -> None:
        watcher.backlog = self.backlog
        if self._sends_path != watcher.direct:
            self._sends_path = watcher.direct
            logger.info("%s of show %s sends %s", type(self).__name__, self.show_id,
                        "prepared frames to the transport" if watcher.direct else "through ASGI")
        self.watchers.add(watcher)
        self.welcome(watcher, since)

    def remove(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)
        if not self.watchers:
            self._idle_since = time.monotonic()

    def lingered(self) -> bool:
        """True (and the feed retired) once nobody has watched for LINGER_S."""
        if not self.watchers and time.monotonic() - self._idle_since > LINGER_S:
            self._retire()
        return self.closed

    async def fan_out(self, message: Outgoing, replace: bool = False) -> None:
        """Send one pre-built message to every watcher; drop those too far behind to take it."""
        await self.broadcast(lambda have: (message, replace))

    async def broadcast(self, message_for: Callable[[int | None], tuple[Outgoing, bool]], target: int | None = None,
                        refresh: Callable[[], int | None] | None = None) -> bool:
        """One pass over every watcher: each gets `message_for(the version it has)` (a message, and whether it
        replaces everything queued) unless it already has `target`, and then has `target`. Drops the watchers too
        far behind to take it.

        `message_for` is asked once per distinct version in a pass. `refresh`, asked between slices, returns the
        version to bring the rest of the pass to: changes that arrive during a pass reach the sockets not yet sent
        to in this same pass (those already sent to get them in the next), so a change waits for at most one
        broadcast, not the rest of one and then another. None from `refresh`: stop here (the caller starts over
        with a snapshot); the result is then False.

        Sends complete inside this call (see watchers.py), so the loop hands the event loop back every
        FAN_OUT_SLICE sockets: a broadcast to thousands must not hold up everything else for its whole length.
        A watcher with nothing in flight takes the prepared frame straight to its transport (realtime.frames'
        `write_if_idle`, inline), with no Python call at all: at 10,000 sockets each one costs the broadcast
        milliseconds.
        """
        started = time.perf_counter()
        messages: dict[int | None, tuple[Outgoing, bool]] = {}
        dropped = []
        watchers = list(self.watchers)
        completed = True
        for start in range(0, len(watchers), FAN_OUT_SLICE):
            if start:
                await asyncio.sleep(0)
                if refresh is not None:
                    latest = refresh()
                    if latest is None:
                        completed = False
                        break
                    if latest != target:
                        target, messages = latest, {}
            for watcher in watchers[start:start + FAN_OUT_SLICE]:
                have = watcher.version
                if have == target and have is not None:
                    continue
                chosen = messages.get(have)
                if chosen is None:
                    chosen = messages[have] = message_for(have)
                message, replace = chosen
                transport = watcher.quiet_transport  # nothing in flight: nothing queued for a snapshot to replace
                if transport is not None and not (transport.is_closing() or transport.get_write_buffer_size()):
                    transport.write(message.frame)
                elif not (watcher.replace_all(message) if replace else watcher.offer(message)):
                    dropped.append(watcher)
                    continue
                watcher.version = target
        for watcher in dropped:
            self.watchers.discard(watcher)
        slow = sum(1 for watcher in dropped if watcher.dropped)
        metrics.broadcast(self.kind, time.perf_counter() - started, slow)
        if slow:
            logger.info("%s of show %s dropped %d slow client(s)", type(self).__name__, self.show_id, slow)
        return completed

    def _retire(self) -> None:
        # Done before any await of the shutdown, so the hub never hands this feed to a newcomer again.
        if not self.closed:
            self.closed = True
            self.on_closed(self)

    async def _run(self) -> None:
        try:
            async with self.channels.start_subscription([self.channel]) as subscriber:
                pump = asyncio.create_task(self._pump(subscriber.iter_events()))
                try:
                    await self.loop()
                finally:
                    pump.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pump
        except Exception:
            logger.exception("%s of show %s failed; its clients will reconnect", type(self).__name__, self.show_id)
            self._retire()
            # Without a feed nothing reaches them; a reconnect builds a new feed and starts from a snapshot.
            await asyncio.gather(*(close_quietly(w.socket, WS_TRY_AGAIN_LATER, "feed restarting")
                                   for w in self.watchers))
        finally:
            self._retire()

    async def _pump(self, events: Any) -> None:
        async for payload in events:
            self.receive(payload)


FeedT = TypeVar("FeedT", bound=Feed)


class FeedHub(Generic[FeedT]):
    """One feed per watched show in this process, made on the first watcher."""

    def __init__(self, make_feed: Callable[[int], FeedT], ready: asyncio.Event) -> None:
        self.make_feed = make_feed
        self.ready = ready  # set once the ChannelsPlugin runs
        self.feeds: dict[int, FeedT] = {}

    def feed(self, show_id: int) -> FeedT:
        feed = self.feeds.get(show_id)
        if feed is None or feed.closed:
            feed = self.make_feed(show_id)
            feed.on_closed = self._forget
            self.feeds[show_id] = feed
            feed.start()
        return feed

    async def watch(self, socket: WebSocket, show_id: int, since: int | None = None) -> None:
        """Serve one accepted socket until it leaves."""
        await asyncio.wait_for(self.ready.wait(), READY_TIMEOUT_S)
        watcher = Watcher(socket)
        feed = self.feed(show_id)
        feed.add(watcher, since)
        metrics.socket_opened(feed.kind)
        try:
            await watcher.serve()
        finally:
            feed.remove(watcher)
            metrics.socket_closed(feed.kind)

    def _forget(self, feed: Feed) -> None:
        if self.feeds.get(feed.show_id) is feed:
            del self.feeds[feed.show_id]

    async def close(self) -> None:
        tasks = [feed.task for feed in self.feeds.values() if feed.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
