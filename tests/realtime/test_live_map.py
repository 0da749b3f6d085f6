"""The live seat map socket on one server: snapshot first, chained coalesced diffs, resyncs, refusals, slow clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket as socketlib
import time
from datetime import UTC, datetime

import httpx
import pytest
import websockets
from redis.asyncio import Redis
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from backend.seats import _keys as keys
from backend.seats import ensure_built
from tests.realtime.support import MapWatcher, converged, publish_changes, running, server_map
from tests.support.data import create_show
from tests.support.servers import ServerProcess

# How long the stalled client goes on not reading after the server dropped it, and how soon after the drop its
# close frame (1013) must have reached it.
STALLED_FOR_S = 2.0
CLOSE_BOUND_S = 5.0


def live_url(server: ServerProcess, show_id: int | str) -> str:
    return f"{server.ws_url}/api/v1/shows/{show_id}/live"


async def test_snapshot_then_diffs_that_chain(server: ServerProcess, anon: httpx.AsyncClient, redis: Redis) -> None:
    show = await create_show()
    a, b, c = show.seat_ids[:3]
    await ensure_built(redis, show.id)  # as the first hold would; reading the map does not build it
    version, _ = await server_map(anon, show.id)
    await publish_changes(redis, show.id, [(a, "sold")])
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        assert snapshot == {"type": "snapshot", "version": version + 1, "seats": {a: "sold"}}
        await publish_changes(redis, show.id, [(b, "held")])
        await publish_changes(redis, show.id, [(c, "held")])
        await publish_changes(redis, show.id, [(b, "available")])
        seen = {a: "sold"}
        last = snapshot["version"]
        while last < version + 4:
            diff = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert diff["type"] == "diff" and diff["from_version"] == last and diff["version"] > last
            for seat_id, status in diff["changes"]:
                seen[seat_id] = status
            last = diff["version"]
        assert {k: v for k, v in seen.items() if v != "available"} == {a: "sold", c: "held"}


async def test_changes_in_one_window_share_one_diff(
    server: ServerProcess, anon: httpx.AsyncClient, redis: Redis
) -> None:
    show = await create_show()
    await ensure_built(redis, show.id)
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        # 40 version bumps inside a few milliseconds (a loaded machine: tens): far fewer messages than versions reach
        # the client, at most one per 30 ms window.
        await asyncio.gather(*(publish_changes(redis, show.id, [(seat, "held")]) for seat in show.seat_ids[:40]))
        messages, version = 0, snapshot["version"]
        while version < snapshot["version"] + 40:
            diff = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert diff["from_version"] == version
            version = diff["version"]
            messages += 1
        assert messages <= 8, messages


async def test_a_gap_or_a_reset_brings_a_fresh_snapshot(
    server: ServerProcess, anon: httpx.AsyncClient, redis: Redis
) -> None:
    show = await create_show()
    await ensure_built(redis, show.id)
    first, second = show.seat_ids[:2]
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        # A version bump whose message never arrives (as if pub/sub lost it), then a normal change: a gap.
        await redis.incr(keys.version(show.id))
        await redis.hset(keys.state(show.id), first, "sold")
        await publish_changes(redis, show.id, [(second, "held")])
        fresh = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert fresh == {
            "type": "snapshot",
            "version": snapshot["version"] + 2,
            "seats": {first: "sold", second: "held"},
        }
        # A rebuild after Redis lost the show's state publishes a reset with a version jump.
        await redis.set(keys.version(show.id), fresh["version"] + 1000)
        await redis.hdel(keys.state(show.id), second)
        await redis.spublish(keys.changes_channel(show.id), json.dumps({"v": fresh["version"] + 1000, "reset": True}))
        again = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert again == {"type": "snapshot", "version": fresh["version"] + 1000, "seats": {first: "sold"}}


async def test_a_lost_message_with_nothing_after_it_is_caught_by_the_audit(
    server: ServerProcess, anon: httpx.AsyncClient, redis: Redis
) -> None:
    show = await create_show()
    await ensure_built(redis, show.id)
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        await redis.incr(keys.version(show.id))  # changed, but the message was lost and nothing else follows
        await redis.hset(keys.state(show.id), show.seat_ids[0], "sold")
        fresh = json.loads(await asyncio.wait_for(ws.recv(), 8))
        assert fresh == {"type": "snapshot", "version": snapshot["version"] + 1, "seats": {show.seat_ids[0]: "sold"}}


async def test_a_client_resumes_from_its_version_with_one_diff_or_else_a_snapshot(
    server: ServerProcess, anon: httpx.AsyncClient, redis: Redis
) -> None:
    """`?since=V` (a client back after a lost connection): a diff from V that brings its map to the server's, from
    any V the feed's recent steps hold (a step's start or a version inside one); an empty diff when V is the
    latest; the snapshot when V is out of reach, malformed or 0; and then the usual chain."""
    show = await create_show()
    await ensure_built(redis, show.id)
    seats = show.seat_ids
    states: dict[int, dict[str, str]] = {}  # the map at each version, as a client that had it would have it
    async with websockets.connect(live_url(server, show.id), compression=None) as keeper:  # keeps the feed
        snapshot = json.loads(await keeper.recv())
        first = snapshot["version"]
        states[first] = dict(snapshot["seats"])
        # Some changes apart (a step each) and some together (one step spanning several versions).
        plan = [[(seats[0], "held")], [(seats[1], "held")], [(seats[0], "available")],
                [(seats[2], "sold")], [(seats[3], "held")], [(seats[2], "sold"), (seats[1], "available")]]
        for index, changes in enumerate(plan):
            version = await publish_changes(redis, show.id, changes)
            state = dict(states[version - 1])
            for seat, status in changes:
                if status == "available":
                    state.pop(seat, None)
                else:
                    state[seat] = status
            states[version] = state
            if index < 3:
                await asyncio.sleep(0.15)
        latest = first + len(plan)
        while snapshot["version"] < latest:  # the keeper's chain: the feed has folded everything
            snapshot["version"] = json.loads(await asyncio.wait_for(keeper.recv(), 5))["version"]

        for since in range(first, latest):
            async with websockets.connect(f"{live_url(server, show.id)}?since={since}", compression=None) as ws:
                diff = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert (diff["type"], diff.get("from_version"), diff["version"]) == ("diff", since, latest), (since, diff)
            resumed = dict(states[since])
            for seat, status in diff["changes"]:
                if status == "available":
                    resumed.pop(seat, None)
                else:
                    resumed[seat] = status
            assert resumed == states[latest], since
        async with websockets.connect(f"{live_url(server, show.id)}?since={latest}", compression=None) as ws:
            assert json.loads(await ws.recv()) == {"type": "diff", "from_version": latest, "version": latest,
                                                   "changes": []}
            await publish_changes(redis, show.id, [(seats[4], "held")])  # then the chain goes on from there
            assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {
                "type": "diff", "from_version": latest, "version": latest + 1, "changes": [[seats[4], "held"]]}
        for since in (str(first - 1), str(latest + 5), "0", "-3", "abc", "1e3", "9" * 30, ""):
            async with websockets.connect(f"{live_url(server, show.id)}?since={since}", compression=None) as ws:
                answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert answer == {"type": "snapshot", "version": latest + 1, "seats": {**states[latest], seats[4]: "held"}}


async def test_unknown_show_gets_an_error_and_a_policy_close(server: ServerProcess) -> None:
    for show_id in ("999999999", "not-a-show"):
        async with websockets.connect(live_url(server, show_id), compression=None) as ws:
            message = json.loads(await ws.recv())
            assert message["type"] == "error" and message["error"] == "show_not_found"
            assert "Traceback" not in message["detail"]
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await ws.recv()
        assert ws.close_code == 1008


async def test_no_per_message_compression_even_when_offered(server: ServerProcess) -> None:
    show = await create_show()
    async with websockets.connect(live_url(server, show.id)) as ws:  # the client offers permessage-deflate
        assert ws.response is not None
        assert "permessage-deflate" not in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")
        assert json.loads(await ws.recv())["type"] == "snapshot"


async def test_many_watchers_get_the_same_chain(server: ServerProcess, anon: httpx.AsyncClient, redis: Redis) -> None:
    show = await create_show()
    watchers = [MapWatcher([server.ws_url], show.id) for _ in range(30)]
    async with running(watchers):
        for i, seat in enumerate(show.seat_ids[:30]):
            await publish_changes(redis, show.id, [(seat, "held" if i % 3 else "sold")])
        version, seats = await converged(watchers, anon, show.id)
    assert len(seats) == 30
    for watcher in watchers:
        assert watcher.problems == []
        assert (watcher.version, watcher.seats) == (version, seats)


async def _open_stalled_watcher(server: ServerProcess, show_id: int) -> tuple[socketlib.socket, ClientProtocol]:
    """A live-map client on a plain socket with a tiny receive buffer, which does the handshake and then reads
    nothing until told to: the server's sends really back up (kernel buffers, then the transport's)."""
    sock = socketlib.socket(socketlib.AF_INET, socketlib.SOCK_STREAM)
    sock.setsockopt(socketlib.SOL_SOCKET, socketlib.SO_RCVBUF, 4096)  # before connect: the window it advertises
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", server.port))
    protocol = ClientProtocol(parse_uri(live_url(server, show_id)), max_size=None)
    protocol.send_request(protocol.connect())
    await loop.sock_sendall(sock, b"".join(protocol.data_to_send()))
    # Only the handshake's answer is read (a few frames may come with it: they stay in the protocol's buffer).
    while protocol.handshake_exc is None and protocol.state is State.CONNECTING:
        protocol.receive_data(await asyncio.wait_for(loop.sock_recv(sock, 1024), 10))
    assert protocol.state is State.OPEN, protocol.handshake_exc
    return sock, protocol


async def _read_until_close_frame(sock: socketlib.socket, protocol: ClientProtocol, timeout: float) -> list[dict]:
    """Read what the server sent (the backlog, then its close frame) until the close frame or the end of the
    connection; answers a close frame as a client must."""
    loop = asyncio.get_running_loop()
    messages: list[dict] = []
    deadline = loop.time() + timeout
    while protocol.close_rcvd is None and loop.time() < deadline:
        try:
            data = await asyncio.wait_for(loop.sock_recv(sock, 65536), max(0.0, deadline - loop.time()))
        except (TimeoutError, ConnectionError):
            break
        if data:
            protocol.receive_data(data)
        else:
            protocol.receive_eof()
        for event in protocol.events_received():
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                messages.append(json.loads(event.data))
        if not data:
            break
    with contextlib.suppress(OSError):
        await loop.sock_sendall(sock, b"".join(protocol.data_to_send()))
    return messages


def _logged_at(server: ServerProcess, offset: int, message: str) -> float | None:
    """When (epoch seconds, from the line's own timestamp) the server logged `message` after byte `offset`."""
    with server.log_path.open("rb") as log:
        log.seek(offset)
        for line in log:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if entry.get("msg") == message:
                    stamp = datetime.strptime(entry["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                    return stamp.timestamp()
    return None


async def test_a_client_that_stops_reading_is_closed_with_1013_and_others_carry_on(
    server: ServerProcess, anon: httpx.AsyncClient, redis: Redis
) -> None:
    # A big venue: each hold or release of a whole section is a diff of ~40 KB.
    show = await create_show(rows=40, seats_per_row=50)
    await ensure_built(redis, show.id)
    front = [seat for row, seats in show.rows.items() if row.startswith("Front/") for seat in seats]
    healthy = [MapWatcher([server.ws_url], show.id) for _ in range(3)]
    log_offset = server.log_path.stat().st_size
    drop_line = f"ShowFeed of show {show.id} dropped 1 slow client(s)"
    async with running(healthy):
        stalled, protocol = await _open_stalled_watcher(server, show.id)
        try:
            dropped_at = None
            status = "held"
            for _ in range(400):  # ~64 messages past a full buffer: a few seconds
                await publish_changes(redis, show.id, [(seat, status) for seat in front])
                status = "available" if status == "held" else "held"
                await asyncio.sleep(0.06)  # about one coalescing window: roughly one diff per change
                dropped_at = _logged_at(server, log_offset, drop_line)
                if dropped_at is not None:
                    break
            assert dropped_at is not None, "the server never dropped the client that stopped reading"
            for round_ in range(5):  # after the drop, changes go on, to the healthy watchers only
                await publish_changes(redis, show.id, [(show.seat_ids[-1 - round_], "sold")])
            # The stalled client stays stuck a little longer (a phone in a tunnel), then reads what it was sent.
            await asyncio.sleep(max(0.0, dropped_at + STALLED_FOR_S - time.time()))
            received = await _read_until_close_frame(stalled, protocol, timeout=10)
            closed_at = time.time()
            assert protocol.close_rcvd is not None, "no close frame: the connection just ended"
            assert protocol.close_rcvd.code == 1013, protocol.close_rcvd
            assert closed_at - dropped_at < CLOSE_BOUND_S, f"closed {closed_at - dropped_at:.2f} s after the drop"
        finally:
            stalled.close()
        version, seats = await converged(healthy, anon, show.id)
    # What the stalled client got before its close is the chain up to the drop, never the changes after it.
    assert received and received[0]["type"] == "snapshot"
    for previous, message in itertools.pairwise(received):
        assert message["type"] == "diff" and message["from_version"] == previous["version"]
    assert received[-1]["version"] < version
    for watcher in healthy:  # every diff, in order, on the one connection, during and after the drop
        assert watcher.problems == []
        assert (watcher.connects, watcher.snapshots) == (1, 1)
        assert (watcher.version, watcher.seats) == (version, seats)
        assert watcher.diffs >= len(received)  # it got at least as many diffs as the stalled client was sent


async def test_broadcasts_reach_sockets_as_prepared_frames_written_to_the_transport(
    server: ServerProcess, anon: httpx.AsyncClient, redis: Redis
) -> None:
    """The server runs as `just serve` runs it (uvicorn, websockets-sansio), so each broadcast is framed once and
    written to every transport (realtime.frames); the other tests here check what those frames say."""
    show = await create_show()
    await ensure_built(redis, show.id)
    log_offset = server.log_path.stat().st_size
    async with websockets.connect(live_url(server, show.id), compression=None) as ws:
        snapshot = json.loads(await ws.recv())
        await publish_changes(redis, show.id, [(show.seat_ids[0], "held")])
        diff = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert diff["from_version"] == snapshot["version"] and diff["changes"] == [[show.seat_ids[0], "held"]]
    line = f"ShowFeed of show {show.id} sends prepared frames to the transport"
    assert _logged_at(server, log_offset, line) is not None, "broadcasts went through the ASGI send"
