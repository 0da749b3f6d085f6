"""The live map's fold and catch-up on one feed, without a server: the messages a flush absorbs become one step of
the feed's map, and a watcher at any version kept gets one diff that brings its map to the feed's.

The server tests (test_live_map.py, test_broadcast_catch_up.py) see the same through sockets; these pin the cases
a socket seldom meets: messages already in the snapshot ahead of new ones in one inbox, and versions inside a step.
"""

from __future__ import annotations

import json

from realtime.live_map import STEPS_KEPT, ShowFeed
from realtime.messages import SeatChanges


def _feed(version: int, seats: dict[str, str]) -> ShowFeed:
    """A feed that loaded its snapshot at `version` (no Redis, no channels: only the fold runs)."""
    feed = ShowFeed(7, redis=None, channels=None)  # type: ignore[arg-type]
    feed.version, feed.seats, feed.stale = version, dict(seats), False  # type: ignore[arg-type]
    return feed


def _diff(feed: ShowFeed, have: int) -> dict | None:
    """What a watcher at version `have` is sent: a diff's (from, to, changes), or None for the snapshot."""
    outgoing, replaces = feed._catch_up(have)
    message = json.loads(outgoing.event["text"])  # type: ignore[arg-type]
    if replaces:
        assert message["type"] == "snapshot" and message["version"] == feed.version
        return None
    assert message["type"] == "diff" and message["version"] == feed.version
    return {"from": message["from_version"], "changes": dict(message["changes"])}


def _applied(seats: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    out = dict(seats)
    for seat, status in changes.items():
        if status == "available":
            out.pop(seat, None)
        else:
            out[seat] = status
    return out


def test_messages_already_in_the_snapshot_are_skipped_and_those_after_them_folded_in() -> None:
    feed = _feed(10, {"1": "held", "4": "held"})
    feed._absorb([SeatChanges(v=9, c=[("4", "held")]), SeatChanges(v=10, c=[("1", "held")]),
                  SeatChanges(v=11, c=[("2", "sold")]), SeatChanges(v=12, c=[("1", "available"), ("3", "held")])])
    assert not feed.stale and feed.version == 12
    assert feed.seats == {"2": "sold", "3": "held", "4": "held"}
    assert _diff(feed, 10) == {"from": 10, "changes": {"1": "available", "2": "sold", "3": "held"}}


def test_every_version_kept_catches_up_to_the_feeds_map() -> None:
    """Three flushes (three steps); a watcher at any version since the snapshot, applying its one diff, has the
    feed's map; a later change to a seat wins over an earlier one."""
    start = {"9": "sold"}
    feed = _feed(20, start)
    maps = {20: dict(start)}
    batches = [
        [SeatChanges(v=21, c=[("1", "held"), ("2", "held")])],
        [SeatChanges(v=22, c=[("1", "sold")]), SeatChanges(v=23, c=[("2", "available"), ("3", "held")])],
        [SeatChanges(v=24, c=[("3", "available")]), SeatChanges(v=25, c=[("4", "held"), ("1", "sold")])],
    ]
    for batch in batches:
        for message in batch:  # the map a watcher holding exactly that version has
            maps[message.v] = _applied(maps[message.v - 1], dict(message.c))
        feed._absorb(batch)
    assert feed.version == 25 and feed.seats == maps[25] == {"9": "sold", "1": "sold", "4": "held"}
    for have in range(20, 25):
        diff = _diff(feed, have)
        assert diff is not None and diff["from"] == have
        assert _applied(maps[have], diff["changes"]) == feed.seats, have


def test_a_version_older_than_the_steps_kept_or_unknown_gets_the_snapshot() -> None:
    feed = _feed(100, {})
    for v in range(101, 101 + STEPS_KEPT + 1):
        feed._absorb([SeatChanges(v=v, c=[(str(v), "held")])])
    assert _diff(feed, 100) is None  # its step fell out of the deque
    assert _diff(feed, 101) is not None
    assert _diff(feed, 99) is None and _diff(feed, 10_000) is None
    assert feed._catch_up(None)[1] is True  # a watcher without a version


def test_a_gap_a_reset_or_a_resubscription_marks_the_feed_stale() -> None:
    for inbox in ([SeatChanges(v=12, c=[("1", "held")])], [SeatChanges(v=11, reset=True)], [None],
                  [SeatChanges(v=11, c=[("1", "held")]), SeatChanges(v=13, c=[("2", "held")])]):
        feed = _feed(10, {})
        feed._absorb(inbox)  # type: ignore[arg-type]
        assert feed.stale, inbox


def test_a_resuming_client_gets_one_diff_from_its_version_or_the_snapshot() -> None:
    feed = _feed(30, {"5": "held"})
    feed._absorb([SeatChanges(v=31, c=[("5", "available"), ("6", "sold")])])
    resumed = feed._resumption(30)
    assert resumed is not None
    message = json.loads(resumed.event["text"])  # type: ignore[arg-type]
    assert (message["from_version"], message["version"], dict(message["changes"])) == (
        30, 31, {"5": "available", "6": "sold"})
    assert feed._resumption(30) is resumed  # prepared once per version
    current = json.loads(feed._resumption(31).event["text"])  # type: ignore[union-attr, arg-type]
    assert current["changes"] == [] and current["from_version"] == 31
    assert feed._resumption(29) is None
    feed._absorb([SeatChanges(v=32, c=[("7", "held")])])  # the feed moves on: what was prepared for 31 is not sent
    again = json.loads(feed._resumption(30).event["text"])  # type: ignore[union-attr, arg-type]
    assert (again["from_version"], again["version"], dict(again["changes"])) == (
        30, 32, {"5": "available", "6": "sold", "7": "held"})
