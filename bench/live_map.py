"""Live map benchmark: thousands of WebSocket watchers of one show across server processes, under a steady stream
of holds. Measures the time from a hold's commit to the LAST watcher's receipt (p50/p99/max), the messages each
server process sends per second, and its CPU cost per message per connection; then the same fan-out cost with
permessage-deflate switched on, which the launcher leaves off.

Set-up: a fresh database (SQLite, or DATABASE_URL=postgresql://...), Redis from REDIS_URL or the embedded Valkey,
a show of 5,000 seats, --processes server processes started here (one uvicorn worker each, as `just serve` starts
them), and --clients client processes holding the sockets (one asyncio loop each; on a small machine the clients
cost as much CPU as the servers, hence a minimal WebSocket client). Holds go straight through the holds Lua script
(backend.seats.lock_seats), one new seat per hold, at each of --rates per second; a hold's clock starts just before the
script call, so the figures include at most one Redis round trip of the bench's own.
Then the fan-out cost against the bare ceilings of bench/fanout_ceiling.py (a minimal Litestar endpoint under the
same uvicorn, and `websockets.broadcast()`), one process each with --compare-watchers sockets, as a ratio.
Run: `.venv/bin/python bench/live_map.py [--watchers 10000] [--processes 1] [--clients 4] [--rates 20] [--rounds 3]
[--server-cpus 0 --client-cpus 1]`.
Writes the "Live map" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import send_floor
from bench.loadgen import cpu_seconds
from bench.report import bind_database, percentile, prepare_environment, publish
from realtime.messages import Diff, Snapshot
from tests.support.ws_frames import take_frames

_decode_map_message = msgspec.json.Decoder(Snapshot | Diff).decode

CONNECT_CONCURRENCY = 50
IDLE_S = 3.0  # how long each process's idle CPU is measured before a run
SHOW_ROWS, SEATS_PER_ROW = 50, 50  # x2 sections = 5,000 seats
GC_LOG_SITE = Path(__file__).resolve().parent / "gc_log"  # its sitecustomize logs a process's full collections




# ---------------------------------------------------------------- the client processes


@dataclass
class ClientReport:
    connected: int = 0
    received_at: dict[str, float] = field(default_factory=dict)  # seat -> when its "held" reached the last socket
    messages: Counter = field(default_factory=Counter)  # server url -> messages received (diffs and snapshots)
    problems: list[str] = field(default_factory=list)
    # While the clock runs each socket only notes which message it got: every socket of a show gets the same bytes,
    # so a message is decoded once, after the run (`settle`), and the sockets' chains are checked then.
    ids: dict[bytes, int] = field(default_factory=dict)  # a distinct message -> its index
    last_at: list[float] = field(default_factory=list)  # index -> when the last socket of this process got it

    def note(self, payload: bytes, at: float) -> int:
        index = self.ids.get(payload)
        if index is None:
            index = self.ids[payload] = len(self.last_at)
            self.last_at.append(at)
        else:
            self.last_at[index] = at  # one process's clock only moves forward: the last receipt so far
        return index

    def settle(self, watchers: list[RawWatcher]) -> None:
        """Decode each distinct message once: when each seat's "held" reached the last socket, and whether every
        socket's messages chain (each diff starting where the previous message ended)."""
        decoded: list[Snapshot | Diff] = [_decode_map_message(payload) for payload in self.ids]
        for message, at in zip(decoded, self.last_at, strict=True):
            if isinstance(message, Diff):
                for seat, status in message.changes:
                    if status == "held" and self.received_at.get(seat, 0.0) < at:
                        self.received_at[seat] = at
        for watcher in watchers:
            self.messages[watcher.base] += len(watcher.received)
            version = None
            for index in watcher.received:
                message = decoded[index]
                if isinstance(message, Diff) and watcher.chained and message.from_version != version:
                    self.problems.append(f"gap: {message.from_version} after {version}")
                version = message.version


class RawWatcher(asyncio.Protocol):
    """A bare-bones WebSocket client: handshake, unmasked server frames, pong, optional permessage-deflate.

    The websockets library costs ~70 µs of Python per received message; with thousands of sockets on two cores the
    clients, not the servers, would set the figures. This costs a fraction of that, so what is measured is the
    server. The live map is server-to-client only: the client sends nothing but pongs (and a close).
    """

    def __init__(self, host: str, path: str, report: ClientReport, deflate: bool, ready: asyncio.Future,
                 chained: bool = True) -> None:
        self.request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                        f"Sec-WebSocket-Version: 13\r\n"
                        + ("Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else "") + "\r\n")
        self.base = f"http://{host}"
        self.report = report
        self.ready = ready
        self.buffer = b""
        self.upgraded = False
        self.inflate: zlib._Decompress | None = None
        self.received: list[int] = []  # the messages this socket got, in order (ClientReport.note's indexes)
        self.chained = chained  # the bare ceilings send diffs without a first snapshot: no chain to check
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request.encode())  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed during the handshake: {exc}"))

    def data_received(self, data: bytes) -> None:
        at = time.time()
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(ConnectionError(head[:200].decode(errors="replace")))
                return
            if b"permessage-deflate" in head.lower():
                self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            self.upgraded, self.buffer = True, rest
            self.report.connected += 1
            self.ready.set_result(None)
        frames, self.buffer = take_frames(self.buffer)
        for first, payload in frames:
            self.frame(first, payload, at)

    def frame(self, first: int, payload: bytes, at: float) -> None:
        opcode = first & 0x0F
        if opcode == 0x9:  # ping: answer with a masked pong carrying the same payload
            mask = os.urandom(4)
            masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)  # type: ignore[union-attr]
            return
        if opcode == 0x8:
            self.report.problems.append(f"closed by the server: {payload[:2].hex()}")
            return
        if opcode != 0x1 or not first & 0x80:
            self.report.problems.append(f"unexpected frame opcode {opcode}")
            return
        if first & 0x40:  # RSV1: compressed
            assert self.inflate is not None
            payload = self.inflate.decompress(payload + b"\x00\x00\xff\xff")
        self.received.append(self.report.note(payload, at))


def _pin(pid: int, cpus: set[int] | None) -> None:
    if cpus:
        os.sched_setaffinity(pid, cpus)


def _client_main(urls: list[str], deflate: bool, chained: bool, conn, cpus: set[int] | None,
                 storm: bool = False) -> None:  # a child
    _pin(0, cpus)

    async def run() -> ClientReport:
        report = ClientReport()
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        transports, watchers = [], []

        async def connect(url: str) -> None:
            parts = urlsplit(url)
            assert parts.hostname and parts.port
            async with gate:
                ready = loop.create_future()
                transport, watcher = await loop.create_connection(
                    lambda: RawWatcher(parts.netloc, parts.path, report, deflate, ready, chained), parts.hostname, parts.port)
                transports.append(transport)
                watchers.append(watcher)
                await asyncio.wait_for(ready, 60)

        await asyncio.gather(*(connect(url) for url in urls))
        conn.send("ready")
        if storm:
            assert await loop.run_in_executor(None, conn.recv) == "storm"
            # Every socket drops its connection at once and comes back (a proxy or network blip, a failover).
            started = time.time()
            for transport in transports:
                transport.close()
            await asyncio.gather(*(connect(url) for url in urls))
            conn.send((started, time.time()))
        await loop.run_in_executor(None, conn.recv)  # "stop"
        for transport in transports:
            transport.close()
        report.settle(watchers)
        return report

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # the clients' loop costs CPU too
        report = runner.run(run())
    conn.send((report.connected, report.received_at, dict(report.messages), report.problems[:20]))


# ---------------------------------------------------------------- the run



def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _uvicorn_pid(launcher_pid: int) -> int:
    children = subprocess.run(["pgrep", "-P", str(launcher_pid)], capture_output=True, text=True).stdout.split()
    for pid in children:
        if "uvicorn" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
            return int(pid)
    raise RuntimeError(f"no uvicorn under {launcher_pid}")


@dataclass
class RunResult:
    latencies_ms: list[float]
    per_process: list[tuple[float, float, float, float]]  # (messages sent/s, CPU µs per message per connection,
    #                                                  memory per connection in KiB, the same CPU net of idle)
    holds: int
    missing: int
    problems: list[str]
    load: float  # the 1-minute load average when the run ended
    storm: tuple[float, float] | None = None  # when the reconnect storm began and when its last socket was back
    storm_latencies_ms: list[float] = field(default_factory=list)  # holds committed during the storm


async def _build_seat_state(redis_url: str, show_id: int) -> None:
    """Build the show's seat state in Redis before anything is measured, as a sale's first request would: otherwise
    the first hold builds it, and its seat reaches the watchers in a fresh snapshot instead of a diff."""
    from redis.asyncio import Redis

    from backend import seats as seat_state

    redis = Redis.from_url(redis_url.replace("valkey://", "redis://", 1))
    try:
        await seat_state.ensure_built(redis, show_id)
    finally:
        await redis.aclose()


async def _hold_stream(redis_url: str, show_id: int, seats: list[str], rate: float, seconds: float,
                       first_profile: int) -> dict[str, float]:
    """Place one-seat holds at `rate` per second; returns seat -> time just before its script call."""
    from redis.asyncio import Redis

    from backend import seats as seat_state
    from backend.booking.hold_ids import new_hold_id
    from backend.catalog.cache_keys import cancelled_key

    redis = Redis.from_url(redis_url.replace("valkey://", "redis://", 1))
    committed: dict[str, float] = {}
    started = time.monotonic()
    try:
        for i, seat in enumerate(seats[: int(rate * seconds)]):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            committed[seat] = time.time()
            placed = await seat_state.lock_seats(redis, show_id=show_id, profile_id=first_profile + i,
                                            new_hold_id=new_hold_id(show_id), seats=[(seat, 5000)],
                                            ttl_ms=600_000, max_seats=8, currency="EUR",
                                            closing_mark=cancelled_key(show_id))
            assert isinstance(placed, seat_state.Placed), placed
    finally:
        await redis.aclose()
    return committed


async def _measure(servers: list[tuple[str, int]], redis_url: str, show_id: int, seats: list[str], watchers: int,
                   clients: int, rate: float, seconds: float, first_profile: int, deflate: bool,
                   chained: bool = True, client_cpus: set[int] | None = None,
                   storm_after_s: float | None = None) -> RunResult:
    """servers: (base url, uvicorn pid). Connect the watchers, stream holds, collect what every socket saw. With
    `storm_after_s`, every watcher drops its connection that long into the stream and reconnects at once."""
    urls = [f"{servers[i % len(servers)][0]}/api/v1/shows/{show_id}/live" for i in range(watchers)]
    rss_before = [_rss_bytes(pid) for _, pid in servers]
    context = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    for c in range(clients):
        parent, child = context.Pipe()
        proc = context.Process(target=_client_main, args=(urls[c::clients], deflate, chained, child, client_cpus,
                                                          storm_after_s is not None), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    loop = asyncio.get_running_loop()
    for pipe in pipes:
        assert await loop.run_in_executor(None, pipe.recv) == "ready"
    await asyncio.sleep(1.0)  # let the snapshots go out before the clock starts
    rss_after = [_rss_bytes(pid) for _, pid in servers]
    # What each process spends with its sockets open and nothing to send (keepalive pings, the app's background
    # jobs): subtracted for the "net" figure, so a server that sends fewer, fuller messages is not charged its
    # idle cost per message.
    idle_before = [cpu_seconds(pid) for _, pid in servers]
    await asyncio.sleep(IDLE_S)
    idle_rate = [(cpu_seconds(pid) - before) / IDLE_S for (_, pid), before in zip(servers, idle_before, strict=True)]
    cpu_before = [cpu_seconds(pid) for _, pid in servers]
    started = time.monotonic()
    stream = asyncio.create_task(_hold_stream(redis_url, show_id, seats, rate, seconds, first_profile))
    storm = None
    if storm_after_s is not None:
        await asyncio.sleep(storm_after_s)
        for pipe in pipes:
            pipe.send("storm")
        windows = [await loop.run_in_executor(None, pipe.recv) for pipe in pipes]
        storm = (min(begun for begun, _ in windows), max(back for _, back in windows))
    committed = await stream
    await asyncio.sleep(3.0)  # the last holds' diffs (a flush to 10,000 sockets takes a third of a second)
    elapsed = time.monotonic() - started
    cpu = [cpu_seconds(pid) - before for (_, pid), before in zip(servers, cpu_before, strict=True)]
    for pipe in pipes:
        pipe.send("stop")
    received_at: dict[str, float] = {}
    messages: Counter = Counter()
    problems: list[str] = []
    for pipe, proc in zip(pipes, procs, strict=True):
        connected, seen, counts, trouble = await loop.run_in_executor(None, pipe.recv)
        proc.join(30)
        assert connected == len(urls[pipes.index(pipe)::clients]) * (2 if storm else 1)
        for seat, at in seen.items():
            received_at[seat] = max(at, received_at.get(seat, 0.0))
        messages.update(counts)
        problems += trouble
    latencies = [(received_at[seat] - at) * 1000 for seat, at in committed.items() if seat in received_at]
    per_process = []
    for i, ((url, _), cpu_s) in enumerate(zip(servers, cpu, strict=True)):
        sent = messages[url]
        sockets = len(urls[i::len(servers)])
        net_s = max(0.0, cpu_s - idle_rate[i] * elapsed)
        per_process.append((sent / elapsed, cpu_s / sent * 1e6 if sent else float("nan"),
                            (rss_after[i] - rss_before[i]) / sockets / 1024,
                            net_s / sent * 1e6 if sent else float("nan")))
    storm_latencies = [] if storm is None else [
        (received_at[seat] - at) * 1000 for seat, at in committed.items()
        if seat in received_at and storm[0] <= at <= storm[1]]
    return RunResult(latencies, per_process, len(committed), len(committed) - len(latencies), problems,
                     os.getloadavg()[0], storm, storm_latencies)


def _start_uvicorn(name: str, redis_url: str, deflate: bool, ws: str, app: str = "server.app:create_asgi_app",
                   env: dict[str, str] | None = None) -> tuple[str, subprocess.Popen, int]:
    """A bare uvicorn (no launcher): the app with a chosen `--ws` implementation and permessage-deflate on or off
    (`just serve` always has it off), or the bare Litestar ceiling of bench/fanout_ceiling.py."""
    from backend.launcher.processes import environ_with, free_port, python_module, spawn, wait_until

    port = free_port()
    proc = spawn(python_module("uvicorn", app, "--factory", "--port", str(port),
                               "--no-access-log", "--ws", ws, "--ws-per-message-deflate",
                               "true" if deflate else "false", "--log-level", "warning"),
                 env=environ_with(REDIS_URL=redis_url, STRIPE_SECRET_KEY="sk_test_bench", **(env or {})),
                 log_path=str(Path(os.environ["VAR_DIR"]) / f"{name}.log"))
    url = f"http://127.0.0.1:{port}"
    import httpx

    wait_until(lambda: httpx.get(f"{url}/healthz", timeout=1).status_code == 200, 60, name, proc)
    return url, proc, proc.pid


def _start_websockets_ceiling(redis_url: str, channel: str) -> tuple[str, subprocess.Popen, int]:
    from backend.launcher.processes import environ_with, free_port, port_open, python_module, spawn, wait_until

    port = free_port()
    proc = spawn(python_module("bench.fanout_ceiling", "--port", str(port)),
                 env=environ_with(BENCH_REDIS_URL=redis_url, BENCH_CHANNEL=channel),
                 log_path=str(Path(os.environ["VAR_DIR"]) / "bench-websockets-ceiling.log"))
    wait_until(lambda: port_open("127.0.0.1", port), 30, "websockets ceiling", proc)
    return f"http://127.0.0.1:{port}", proc, proc.pid


# The single-process comparison runs, in order.
COMPARED = ("app", "app, permessage-deflate on", "bare Litestar endpoint", "websockets.broadcast()")


async def _run(args: argparse.Namespace, floor: tuple[float, float] | None) -> str:
    from backend.launcher.embedded_valkey import start_valkey
    from backend.launcher.processes import stop
    from db.manage import migrate
    from tests.support.data import create_show
    from tests.support.servers import ServerProcess

    cleanup = []
    redis_url = os.environ.get("REDIS_URL")
    redis_label = "Redis at " + redis_url if redis_url else "embedded Valkey"
    try:
        await migrate()
        show = await create_show(rows=SHOW_ROWS, seats_per_row=SEATS_PER_ROW, title="Live Map Bench")
        if not redis_url:
            valkey, redis_url = start_valkey(Path(os.environ["VAR_DIR"]) / "valkey")
            cleanup.append(lambda: stop(valkey))
        await _build_seat_state(redis_url, show.id)
        unused = iter(show.seat_ids)  # every hold takes a seat nobody held before

        def next_seats(count: int) -> list[str]:
            return [next(unused) for _ in range(count)]

        if args.reconnect_storm:
            return await _reconnect_storm(args, redis_url, redis_label, show.id, next_seats)
        runs: dict[tuple[float, int], RunResult] = {}
        for i, (rate, round_) in enumerate((rate, r) for rate in args.rates for r in range(1, args.rounds + 1)):
            # Fresh server processes each round: a round's 10,000 closed sockets leave ~1M objects in reference
            # cycles (uvicorn's and websockets' protocol objects) for a full collection of the cyclic garbage
            # collector, a pause of about a second, which would land in whatever round comes next.
            started = []
            try:
                for n in range(args.processes):
                    server = ServerProcess(var_dir=Path(os.environ["VAR_DIR"]), name=f"bench-live-{n}",
                                           env={"REDIS_URL": redis_url, "STRIPE_SECRET_KEY": "sk_test_bench"}).start()
                    started.append(server)
                    assert server.process is not None
                servers = [(server.url, _uvicorn_pid(server.process.pid)) for server in started]  # type: ignore[union-attr]
                for _, pid in servers:
                    _pin(pid, args.server_cpus)
                runs[rate, round_] = await _measure(servers, redis_url, show.id, next_seats(int(rate * args.seconds)),
                                                    args.watchers, args.clients, rate, args.seconds,
                                                    1_000_000 * (i + 1), deflate=False, client_cpus=args.client_cpus)
            finally:
                for server in started:
                    server.stop()
        # The same watchers and stream against one process each: the app (deflate off, then on), and the bare
        # ceilings; the ceilings send one message per hold, the app coalesces, so costs compare per message.
        from backend.seats import changes_channel

        ceiling_env = {"BENCH_REDIS_URL": redis_url, "BENCH_CHANNEL": changes_channel(show.id)}
        starters = {
            COMPARED[0]: lambda: _start_uvicorn("bench-app", redis_url, False, args.ws),
            COMPARED[1]: lambda: _start_uvicorn("bench-app-deflate", redis_url, True, args.ws),
            COMPARED[2]: lambda: _start_uvicorn("bench-litestar-ceiling", redis_url, False, args.ws,
                                                app="bench.fanout_ceiling:litestar_app", env=ceiling_env),
            COMPARED[3]: lambda: _start_websockets_ceiling(redis_url, changes_channel(show.id)),
        }
        compare = {}
        for i, label in enumerate(COMPARED):
            if label not in args.compare:
                continue
            url, proc, pid = starters[label]()
            _pin(pid, args.server_cpus)
            try:
                compare[label] = await _measure(
                    [(url, pid)], redis_url, show.id, next_seats(args.compare_holds), args.compare_watchers,
                    args.clients, args.compare_rate, args.compare_holds / args.compare_rate,
                    10_000_000 * (2 + i), deflate=label == COMPARED[1], chained=label in COMPARED[:2],
                    client_cpus=args.client_cpus)
            finally:
                stop(proc)
    finally:
        for step in reversed(cleanup):
            step()
    return _report(args, redis_label, runs, compare, floor)


async def _reconnect_storm(args: argparse.Namespace, redis_url: str, redis_label: str, show_id: int,
                           next_seats: Callable[[int], list[str]]) -> str:
    """One server process as `just serve` starts it, every watcher connected, a steady stream of holds; a few
    seconds in, every watcher drops its connection and reconnects at once, while the holds go on."""
    from tests.support.servers import ServerProcess

    rate = args.rates[0]
    gc_logs = Path(os.environ["VAR_DIR"]) / "gc-logs"
    gc_logs.mkdir(exist_ok=True)
    # The server's full collections, logged by bench/gc_log/sitecustomize.py.
    server = ServerProcess(var_dir=Path(os.environ["VAR_DIR"]), name="bench-storm",
                           env={"REDIS_URL": redis_url, "STRIPE_SECRET_KEY": "sk_test_bench",
                                "PYTHONPATH": str(GC_LOG_SITE),
                                "BENCH_GC_LOG_DIR": str(gc_logs)}).start()
    try:
        assert server.process is not None
        pid = _uvicorn_pid(server.process.pid)
        _pin(pid, args.server_cpus)
        load_before = os.getloadavg()[0]
        run = await _measure([(server.url, pid)], redis_url, show_id, next_seats(int(rate * args.seconds)),
                             args.watchers, args.clients, rate, args.seconds, 1_000_000, deflate=False,
                             client_cpus=args.client_cpus, storm_after_s=args.storm_after)
    finally:
        server.stop()
    assert run.storm is not None
    log = gc_logs / f"gc-{pid}.log"
    collections = [(float(at), float(ms)) for at, ms, _ in
                   (line.split() for line in (log.read_text().splitlines() if log.exists() else []))]
    in_storm = [ms for at, ms in collections if run.storm[0] <= at <= run.storm[1] + 1]
    storm, everything = run.storm_latencies_ms, run.latencies_ms
    lines = [
        "## Live map: a reconnect storm",
        "",
        f"`bench/live_map.py --reconnect-storm`: {args.watchers:,} WebSocket watchers of one show (5,000 seats) on "
        f"one server process as `just serve` starts it (uvicorn `--ws {_launcher_ws()}`), held by {args.clients} "
        f"client processes (a raw asyncio WebSocket client); holds at {rate:g}/s for {args.seconds:g} s straight "
        f"through the holds Lua script, one new seat each; {redis_label}. {args.storm_after:g} s in, every watcher "
        f"drops its connection at once and connects again ({CONNECT_CONCURRENCY} handshakes at a time per client "
        f"process), while the holds go on: the storm lasted {run.storm[1] - run.storm[0]:.1f} s. "
        f"{_pinning(args)} The latency of a hold is from its commit to the last watcher that received it in a "
        "diff (a watcher that reconnected after it got it in its snapshot instead).",
        "",
        "| holds | committed during the storm | p50 ms | p99 ms | max ms | never seen | load avg before → after |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| during the storm | {len(storm)} | {statistics.median(storm):.1f} | {percentile(storm, 99):.1f} | "
        f"{max(storm):.1f} | | {load_before:.1f} → {run.load:.1f} |" if storm else "| during the storm | 0 | | | | | |",
        f"| the whole run | {run.holds} | {statistics.median(everything):.1f} | {percentile(everything, 99):.1f} | "
        f"{max(everything):.1f} | {run.missing} | {load_before:.1f} → {run.load:.1f} |",
        "",
        f"**During the storm: p99 {percentile(storm, 99):.1f} ms from a change to the last watcher** (goal: "
        "under 500 ms).",
        "",
        f"Full garbage collections in the server process during the storm: **{len(in_storm)}**"
        + (f", {max(in_storm):.0f} ms the longest, {sum(in_storm):.0f} ms in all" if in_storm else "")
        + f" ({len(collections)} in the whole run; logged by bench/gc_log/sitecustomize.py).",
        "",
        f"Protocol problems seen by the watchers (gaps, unchained diffs, closes): {len(run.problems)}.",
    ]
    return "\n".join(lines)


def _report(args: argparse.Namespace, redis_label: str, runs: dict[tuple[float, int], RunResult],
            compare: dict[str, RunResult], floor: tuple[float, float] | None = None) -> str:
    lines = ["## Live map", ""]
    if runs:
        lines += [
            f"{args.watchers:,} WebSocket watchers of one show (5,000 seats), split evenly over {args.processes} "
            f"server process(es) (uvicorn, 1 worker each, `--ws {_launcher_ws()}`, permessage-deflate off as "
            f"`just serve` runs it), held by {args.clients} client processes (a raw asyncio WebSocket client); a "
            f"steady stream of holds for {args.seconds:g} s at each rate, {args.rounds} round(s), straight through "
            f"the holds Lua script, one new seat each; {redis_label}. {_pinning(args)} Clients, servers and Redis "
            "share the machine, so a CPU-bound run measures the machine as much as the code: see the load averages.",
            "",
            "| holds/s | round | commit → last watcher's receipt p50 ms | p99 ms | max ms | holds | never seen "
            "| load avg |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for (rate, round_), run in runs.items():
            lat = run.latencies_ms
            lines.append(f"| {rate:g} | {round_} | {statistics.median(lat):.1f} | {percentile(lat, 99):.1f} | "
                         f"{max(lat):.1f} | {run.holds} | {run.missing} | {run.load:.1f} |")
        for rate in args.rates:
            p99s = [percentile(run.latencies_ms, 99) for (r, _), run in runs.items() if r == rate]
            lines += ["", f"**{rate:g} holds/s: p99 {statistics.median(p99s):.1f} ms, the median of the rounds' "
                      f"({', '.join(f'{p:.1f}' for p in p99s)}; worst {max(p99s):.1f} ms).**"]
        lines += [
            "",
            "| holds/s | round | server process | messages sent/s | CPU µs per message per connection "
            "| net of idle |",
            "|---:|---:|---|---:|---:|---:|",
        ]
        for (rate, round_), run in runs.items():
            lines += [f"| {rate:g} | {round_} | #{i + 1} | {sent:,.0f} | {cost:.1f} | {net:.1f} |"
                      for i, (sent, cost, _, net) in enumerate(run.per_process)]
        if floor is not None:
            lines += ["", f"The floor in the same run (bench/send_floor.py): a bare `socket.send` loop over "
                      f"{args.watchers:,} loopback sockets, sender and receiver pinned to a core each, costs "
                      f"**{floor[0]:.1f} µs** of CPU per send and **{floor[1]:.0f} ms** per pass over every socket. "
                      "A change that arrives during a broadcast reaches the sockets that broadcast has not come to "
                      "yet; the others get it after the pause (30 ms, or a quarter of the broadcast if that is "
                      "longer: realtime/live_map.py) at the start of the next: so even at the floor the last "
                      "watcher's worst case is about that pass + 30 ms."]
        first = next(iter(runs.values()))
        lines += ["", "Memory per connection (server RSS growth while the first run's sockets connected): "
                  + ", ".join(f"{kib:.0f} KiB" for _, _, kib, _ in first.per_process) + "."]
    if compare:
        lines += [
            "",
            f"Fan-out cost against the bare ceilings: one process each, {args.compare_watchers:,} watchers, "
            f"{args.compare_holds} holds at {args.compare_rate:g}/s, uvicorn `--ws {args.ws}`. The bare Litestar "
            "endpoint and `websockets.broadcast()` (bench/fanout_ceiling.py) send one prepared frame per hold to "
            "every socket and nothing else; the app coalesces, so the costs compare per message sent.",
            "",
            "| sender | CPU µs per message per connection | ratio to bare Litestar | net of idle µs | ratio "
            "| messages sent/s | p50 ms | p99 ms | load avg |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        bare = compare.get(COMPARED[2])
        bare_cost, bare_net = (bare.per_process[0][1], bare.per_process[0][3]) if bare else (float("nan"),) * 2
        for label, result in compare.items():
            sent, cost, _, net = result.per_process[0]
            lines.append(f"| {label} | {cost:.1f} | {cost / bare_cost:.2f} | {net:.1f} | {net / bare_net:.2f} | "
                         f"{sent:,.0f} | {statistics.median(result.latencies_ms):.1f} | "
                         f"{percentile(result.latencies_ms, 99):.1f} | {result.load:.1f} |")
        if COMPARED[0] in compare and bare:
            app = compare[COMPARED[0]].per_process[0]
            lines += ["", f"**The app's fan-out costs {app[1] / bare_cost:.2f}x the bare Litestar endpoint's CPU per "
                      f"message per connection, {app[3] / bare_net:.2f}x net of each process's idle CPU** (goal: "
                      "within 1.5x). Net of idle leaves out what a process spends with nothing to send (the app's "
                      "background jobs, keepalive pings): the app sends fewer, coalesced messages, so its idle cost "
                      "weighs more per message. The ceilings' latency is their clients' backlog: they send every "
                      "hold as its own message to every socket."]
    problems = [p for run in (*runs.values(), *compare.values()) for p in run.problems]
    lines += ["", f"Protocol problems seen by the watchers (gaps, unchained diffs, closes): {len(problems)}.",
              "", f"Load average when the run ended: {os.getloadavg()[0]:.1f}."]
    return "\n".join(lines)


def _pinning(args: argparse.Namespace) -> str:
    if not (args.server_cpus or args.client_cpus):
        return "Nothing pinned."
    cpus = lambda chosen: ",".join(map(str, sorted(chosen))) if chosen else "any"  # noqa: E731
    return f"Server processes pinned to CPU {cpus(args.server_cpus)}, clients to CPU {cpus(args.client_cpus)}."


def _launcher_ws() -> str:
    """The `--ws` implementation `python -m backend.launcher.serve` gives uvicorn (what the multi-process runs use)."""
    source = (Path(__file__).resolve().parent.parent / "backend" / "launcher" / "serve.py").read_text()
    return source.split('"--ws", "', 1)[1].split('"', 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watchers", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rates", type=lambda text: [float(r) for r in text.split(",") if r], default=[20.0],
                        help="holds per second, one multi-process run each (comma-separated; empty: none)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs at each rate, each with new seats")
    parser.add_argument("--compare-watchers", type=int, default=1_000)
    parser.add_argument("--compare-holds", type=int, default=200)
    parser.add_argument("--compare-rate", type=float, default=20.0)
    parser.add_argument("--compare", type=lambda text: [c for c in COMPARED if c in text.split(",")],
                        default=list(COMPARED), help=f"single-process runs to do, comma-separated among {COMPARED}")
    parser.add_argument("--ws", default=_launcher_ws(), help="uvicorn --ws for the single-process runs")
    cpus = lambda text: {int(c) for c in text.split(",")} if text else None  # noqa: E731
    parser.add_argument("--server-cpus", type=cpus, default=None, help="pin server processes to these CPUs (0,1)")
    parser.add_argument("--client-cpus", type=cpus, default=None, help="pin client processes to these CPUs")
    parser.add_argument("--no-publish", action="store_true", help="print only; leave docs/performance.md alone")
    parser.add_argument("--reconnect-storm", action="store_true",
                        help="instead of the runs above: every watcher reconnects at once during the holds "
                             "(one server process, the first of --rates)")
    parser.add_argument("--storm-after", type=float, default=5.0,
                        help="seconds into the holds when the storm begins (--reconnect-storm)")
    args = parser.parse_args()
    prepare_environment()
    bind_database()
    if args.reconnect_storm:
        publish("live-map-storm", asyncio.run(_run(args, None)), dry_run=args.no_publish)
        return

    # Before any event loop or server exists: it forks, and it wants the machine to itself.
    floor = send_floor.measure(args.watchers, 10, sender_cpu=0, receiver_cpu=1) if args.rates else None
    body = asyncio.run(_run(args, floor))
    publish("live-map", body, dry_run=args.no_publish)


if __name__ == "__main__":
    main()
