"""The feed machinery on its own, in-process: a hub hands out one feed per show while it is open, a feed nobody
watches retires after its linger and is forgotten (a later watcher gets a fresh one), and a broadcast's pause
widens with the number of watchers as documented. Written for the mutation audit (docs/mutation.md, feeds)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from prometheus_client import REGISTRY

from realtime import feeds
from realtime.feeds import Feed, FeedHub, widening_window
from realtime.frames import Outgoing
from realtime.watchers import WS_TRY_AGAIN_LATER


class _Subscription:
    async def iter_events(self) -> AsyncIterator[bytes]:
        await asyncio.Event().wait()  # nothing is ever published
        yield b""


class _Channels:
    @asynccontextmanager
    async def start_subscription(self, channels: list[str]) -> AsyncIterator[_Subscription]:
        yield _Subscription()


class _IdleFeed(Feed):
    def welcome(self, watcher: Any, since: int | None) -> None:
        pass

    def receive(self, payload: bytes) -> None:
        pass

    async def loop(self) -> None:
        while not self.lingered():  # noqa: ASYNC110 (a poll, as the real feeds' loops look between broadcasts)
            await asyncio.sleep(0.01)


def _hub() -> FeedHub[_IdleFeed]:
    return FeedHub(lambda show_id: _IdleFeed(show_id, f"show:{show_id}", _Channels()), asyncio.Event())  # type: ignore[arg-type]


async def test_a_feed_nobody_watches_retires_after_its_linger_and_the_hub_forgets_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "LINGER_S", 0.05)
    hub = _hub()
    first = hub.feed(7)
    assert hub.feed(7) is first and hub.feeds == {7: first}  # one feed per show while it is open
    await asyncio.wait_for(asyncio.shield(first.task), 5)  # type: ignore[arg-type]
    assert first.closed and hub.feeds == {}
    second = hub.feed(7)
    assert second is not first and hub.feeds == {7: second}
    second.watchers.add(object())  # type: ignore[arg-type]  # watched: it runs until the hub closes it
    # A feed that retired late says so to the hub: the hub keeps the show's current feed.
    hub._forget(first)
    assert hub.feeds == {7: second}
    await asyncio.wait_for(hub.close(), 5)  # ends the feeds still running
    assert second.task is not None and second.task.done()


async def test_a_watched_feed_does_not_retire_and_its_linger_starts_when_the_last_watcher_leaves(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "LINGER_S", 1.0)
    hub = _hub()
    feed = hub.feed(8)
    watcher: Any = object()
    feed.watchers.add(watcher)
    await asyncio.sleep(1.5)  # watched for longer than the linger
    assert not feed.closed and not feed.lingered() and hub.feeds == {8: feed}
    feed.remove(watcher)  # the last one left: the linger starts now, not when the feed was made
    await asyncio.sleep(0.2)
    assert not feed.closed and hub.feeds == {8: feed}
    await asyncio.wait_for(asyncio.shield(feed.task), 5)  # type: ignore[arg-type]
    assert feed.closed and hub.feeds == {}


def test_the_pause_between_broadcasts_widens_linearly_between_its_bounds() -> None:
    narrow, wide = 0.05, 1.0
    assert widening_window(0, narrow, wide, 100, 1100) == narrow
    assert widening_window(100, narrow, wide, 100, 1100) == narrow
    assert widening_window(600, narrow, wide, 100, 1100) == pytest.approx(0.525)
    assert widening_window(1100, narrow, wide, 100, 1100) == wide
    assert widening_window(50_000, narrow, wide, 100, 1100) == wide


async def test_a_broadcast_records_how_long_its_pass_took() -> None:
    """The metric is the pass's own duration (perf_counter after minus before), a few milliseconds here."""
    feed = _IdleFeed(9, "show:9", _Channels())  # type: ignore[arg-type]
    def recorded() -> float:
        return REGISTRY.get_sample_value("showtime_broadcast_seconds_sum", {"feed": _IdleFeed.kind}) or 0.0

    before = recorded()
    assert await feed.broadcast(lambda have: (Outgoing('{"type": "noop"}'), False), target=1)
    took = recorded() - before
    assert 0 <= took < 5, took


class _Watcher:
    """What a broadcast needs of a socket's watcher: its version, and a queue that takes what is offered (or, for
    one too far behind, refuses it: the feed drops that watcher)."""

    def __init__(self, version: int | None, full: bool = False) -> None:
        self.version = version
        self.quiet_transport = None
        self.dropped = full
        self.full = full
        self.got: list[Outgoing] = []

    def offer(self, message: Outgoing) -> bool:
        if self.full:
            return False
        self.got.append(message)
        return True

    def replace_all(self, message: Outgoing) -> bool:
        self.got = [message]
        return True


async def test_a_broadcast_reaches_every_watcher_behind_and_skips_those_up_to_date() -> None:
    feed = _IdleFeed(10, "show:10", _Channels())  # type: ignore[arg-type]
    current = [_Watcher(5) for _ in range(20)]
    behind = [_Watcher(4) for _ in range(20)] + [_Watcher(None) for _ in range(5)]
    too_slow = [_Watcher(3, full=True) for _ in range(10)]
    feed.watchers.update(current + behind + too_slow)  # type: ignore[arg-type]
    message = Outgoing('{"type": "diff"}')
    assert await feed.broadcast(lambda have: (message, False), target=5)
    assert all(w.got == [] for w in current) and all(w.got == [message] and w.version == 5 for w in behind)
    assert feed.watchers == set(current + behind)  # the slow ones are dropped, and nobody after them missed out


async def test_a_broadcast_stopped_between_slices_says_so_and_sends_no_further(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`refresh` answering None (the caller starts over with a snapshot): the pass ends after its first slice."""
    monkeypatch.setattr(feeds, "FAN_OUT_SLICE", 3)
    feed = _IdleFeed(11, "show:11", _Channels())  # type: ignore[arg-type]
    watchers = [_Watcher(1) for _ in range(7)]
    feed.watchers.update(watchers)  # type: ignore[arg-type]
    answers = iter([None, 2, 2])  # None is the end of the pass, whatever refresh would answer after it
    completed = await feed.broadcast(lambda have: (Outgoing('{"type": "diff"}'), False), target=2,
                                     refresh=lambda: next(answers))
    assert completed is False
    assert sorted(len(w.got) for w in watchers) == [0, 0, 0, 0, 1, 1, 1]


class _FailingFeed(_IdleFeed):
    async def loop(self) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("the channel went away")


class _Socket:
    def __init__(self) -> None:
        self.closed_with: tuple[int, str] | None = None

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)


class _SocketWatcher:
    def __init__(self) -> None:
        self.socket = _Socket()


async def test_a_feed_that_fails_closes_its_sockets_with_try_again_later_and_the_hub_forgets_it(
        caplog: pytest.LogCaptureFixture) -> None:
    hub = FeedHub(lambda show_id: _FailingFeed(show_id, f"show:{show_id}", _Channels()), asyncio.Event())  # type: ignore[arg-type]
    feed = hub.feed(12)
    watchers = [_SocketWatcher() for _ in range(3)]
    feed.watchers.update(watchers)  # type: ignore[arg-type]
    await asyncio.wait_for(asyncio.shield(feed.task), 5)  # type: ignore[arg-type]  # the failure stays in the feed
    assert feed.closed and hub.feeds == {}
    assert [w.socket.closed_with for w in watchers] == [(WS_TRY_AGAIN_LATER, "feed restarting")] * 3
    assert "_FailingFeed of show 12 failed; its clients will reconnect" in caplog.text
