"""Clients for the realtime tests: a live-map watcher that checks the protocol as it goes, and Redis helpers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field

import httpx
import websockets
from redis.asyncio import Redis

from backend.seats import _keys as keys
from backend.seats import ensure_built
from tests.support.reconnect import Backoff, live_map_url

# INCR version + state change + SPUBLISH in one atomic step, exactly as the holds scripts do it.
_PUBLISH_CHANGES = """
local version = redis.call('INCR', KEYS[1])
local parts = {}
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == 'available' then redis.call('HDEL', KEYS[2], ARGV[i])
  else redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1] == 'sold' and 'sold' or 'test-hold') end
  parts[#parts + 1] = '[' .. cjson.encode(ARGV[i]) .. ',"' .. ARGV[i + 1] .. '"]'
end
redis.call('SPUBLISH', KEYS[3], '{"v":' .. string.format('%d', version) .. ',"c":[' .. table.concat(parts, ',') .. ']}')
return version
"""


async def publish_changes(redis: Redis, show_id: int, changes: list[tuple[str, str]]) -> int:
    """Change seats the way the holds scripts do (one version bump, one message, on a built state); returns the
    new version."""
    await ensure_built(redis, show_id)
    args = [part for change in changes for part in change]
    return int(await redis.eval(_PUBLISH_CHANGES, 3, keys.version(show_id), keys.state(show_id),
                                keys.changes_channel(show_id), *args))


async def server_map(client: httpx.AsyncClient, show_id: int) -> tuple[int, dict[str, str]]:
    """(version, {seat_id: status}) of the seats that are not available, as GET /map shows them."""
    response = await client.get(f"/api/v1/shows/{show_id}/map")
    assert response.status_code == 200, response.text
    body = response.json()
    return body["version"], {s["id"]: s["status"] for s in body["seats"] if s["status"] != "available"}


@dataclass(frozen=True)
class Resumption:
    """A reconnection that asked to resume (`?since`): what its first message was."""

    since: int
    kind: str  # "diff" (from `since`) or "snapshot"
    changes: int  # how many seat changes that diff carried (0 for a snapshot)


@dataclass
class MapWatcher:
    """A live-map client that applies what it receives and records every breach of the protocol.

    On a closed connection it reconnects after a jittered back-off, to the next URL in turn (that is how a fan's
    browser fails over), and, with `resume`, asks to resume from the version it has: the first message must then be
    a diff from that version or a snapshot.
    """

    ws_urls: list[str]
    show_id: int
    resume: bool = True
    version: int | None = None
    seats: dict[str, str] = field(default_factory=dict)
    snapshots: int = 0
    diffs: int = 0
    connects: int = 0
    problems: list[str] = field(default_factory=list)
    close_codes: list[int | None] = field(default_factory=list)
    resumptions: list[Resumption] = field(default_factory=list)
    backoff: Backoff = field(default_factory=Backoff)
    _stop: bool = False
    _url_index: int = 0
    _connected: asyncio.Event = field(default_factory=asyncio.Event)

    def apply(self, raw: str | bytes) -> None:
        message = json.loads(raw)
        if message["type"] == "snapshot":
            assert set(message) == {"type", "version", "seats"}, message.keys()
            self.version = message["version"]
            self.seats = dict(message["seats"])
            self.snapshots += 1
        elif message["type"] == "diff":
            assert set(message) == {"type", "from_version", "version", "changes"}, message.keys()
            if self.version is None:
                self.problems.append(f"diff before any snapshot: {message['from_version']}")
            elif message["from_version"] != self.version:
                self.problems.append(f"diff from {message['from_version']} after version {self.version}")
            if message["version"] < message["from_version"] or (
                    message["version"] == message["from_version"] and message["changes"]):
                self.problems.append(f"diff does not move forward: {message}")
            for seat_id, status in message["changes"]:
                if status == "available":
                    self.seats.pop(seat_id, None)
                else:
                    self.seats[seat_id] = status
            self.version = message["version"]
            self.diffs += 1
        else:
            self.problems.append(f"unexpected message {message}")

    def _check_first(self, message: dict, since: int | None) -> None:
        """A new connection starts from a snapshot, or (asked to resume) from a diff that starts at `since`.
        An empty diff (from == to) only ever comes first, to a client that has the latest version."""
        if since is None:
            if message["type"] != "snapshot":
                self.problems.append("first message is not a snapshot")
            return
        if message["type"] == "diff" and message["from_version"] != since:
            self.problems.append(f"resumed from {since} with a diff from {message['from_version']}")
        self.resumptions.append(Resumption(since, message["type"], len(message.get("changes", ()))))

    async def run(self) -> None:
        while not self._stop:
            since = self.version if self.resume else None
            if not self.resume:
                self.version = None  # a new connection starts from its own snapshot: nothing carries over
            url = live_map_url(self.ws_urls[self._url_index % len(self.ws_urls)], self.show_id, since)
            connection = None
            try:
                async with websockets.connect(url, compression=None, open_timeout=10) as connection:
                    self.connects += 1
                    first = True
                    async for raw in connection:
                        if first:
                            self._check_first(json.loads(raw), since)
                            first = False
                        self.apply(raw)
                        self.backoff.reset()
                        self._connected.set()
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                pass
            finally:
                if connection is not None:
                    self.close_codes.append(connection.close_code)
            if not self._stop:
                self._url_index += 1  # fail over to the next server
                await asyncio.sleep(self.backoff.next_delay())

    async def connected(self, timeout: float = 20) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    def stop(self) -> None:
        self._stop = True


@contextlib.asynccontextmanager
async def running(watchers: list[MapWatcher]):
    tasks = [asyncio.create_task(w.run()) for w in watchers]
    try:
        await asyncio.gather(*(w.connected() for w in watchers))
        yield watchers
    finally:
        for watcher in watchers:
            watcher.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def converged(watchers: list[MapWatcher], client: httpx.AsyncClient, show_id: int,
                    timeout: float = 10) -> tuple[int, dict[str, str]]:
    """Wait until every watcher's map equals the server's; returns the server's (version, seats)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        version, seats = await server_map(client, show_id)
        behind = [w for w in watchers if w.version != version or w.seats != seats]
        if not behind or asyncio.get_running_loop().time() > deadline:
            return version, seats
        await asyncio.sleep(0.2)


@dataclass
class QueueWatcher:
    """A waiting-room socket client: records every broadcast and checks that `serving` never goes back on one
    connection. It reconnects after a jittered back-off when its connection is lost (a restart's 1012)."""

    ws_url: str
    show_id: int
    messages: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    serving: int = 0
    connects: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    backoff: Backoff = field(default_factory=Backoff)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        url = f"{self.ws_url}/api/v1/shows/{self.show_id}/queue/live"
        while True:
            connection = None
            try:
                async with websockets.connect(url, compression=None, open_timeout=10) as connection:
                    self.connects += 1
                    serving = 0
                    async for raw in connection:
                        message = json.loads(raw)
                        if (set(message) != {"type", "serving", "waiting", "rate_per_s", "open", "paused"}
                                or message["type"] != "queue"):
                            self.problems.append(f"unexpected message {message}")
                            continue
                        if message["serving"] < serving:
                            self.problems.append(f"serving went back from {serving} to {message['serving']}")
                        serving = message["serving"]
                        self.messages.append(message)
                        self.serving = max(self.serving, serving)
                        self.backoff.reset()
                        self._changed.set()
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException):
                pass
            finally:
                if connection is not None:
                    self.close_codes.append(connection.close_code)
            await asyncio.sleep(self.backoff.next_delay())

    async def wait_until_serving(self, number: int, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while self.serving < number:
            self._changed.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"serving stayed at {self.serving}, below {number}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
