"""Rolling restarts behind a real proxy (issue 24, item 5): HAProxy running deploy/haproxy.cfg in front of two API
processes and one socket process, each started as `just serve` starts it (backend.launcher.serve, whose supervisor
starts uvicorn again after it exits), while signed-in fans drive a sale through the proxy over real HTTP: show,
map, a best-available hold, checkout, payment (to the Stripe stand-in, as Stripe.js confirms it), the order settled.
Each process in turn is restarted as a deploy restarts it (SIGTERM: uvicorn stops accepting, finishes what is in
flight, closes its sockets with 1012, exits), with a burst of requests through the proxy right after the signal.

What must hold:
- no fan request fails: every answer is one the sale expects (a hold is 201 or 409, everything else its success);
- sign-ins sent straight to the process, whose bodies arrive only after its SIGTERM, are answered, not dropped
  (the drain finishes what is in flight);
- only the socket process's restart touches the sockets: each live-map client is closed once, with 1012, comes
  back after a jittered back-off asking to resume from its version, and ends with the server's map; the waiting
  room's client is closed with 1012 once too.
The counts are printed into CI's output.

Budget: ROLLING_FANS (default 8) fans and ROLLING_WATCHERS (default 8) live-map clients, marked `ops`. Its time is
three process starts and three restarts (uvicorn's start-up, then two health checks): 200 s measured here with the
machine at load average ~25, where each restart took ~20 s; about a minute where it is not that loaded."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from redis.asyncio import Redis

from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY, STANDIN_SECRET_KEY, standin_webhook_secret
from tests.booking.helpers import eventually
from tests.conftest import ENV, STRONG_PASSWORD, unique_email
from tests.payments.helpers import Standin
from tests.realtime.fans import signed_in
from tests.realtime.support import MapWatcher, QueueWatcher, converged, running
from tests.support.ci_output import say
from tests.support.data import create_show
from tests.support.haproxy import HAProxy, haproxy_binary
from tests.support.reconnect import SERVICE_RESTART
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.ops

FANS = int(os.environ.get("ROLLING_FANS", "8"))
WATCHERS = int(os.environ.get("ROLLING_WATCHERS", "8"))
# Config names of deploy/haproxy.cfg's servers (the environment variables that give their addresses).
API_1, API_2, SOCKET_1 = "API_1", "API_2", "SOCKET_1"
BACKEND_OF = {API_1: "api/api-1", API_2: "api/api-2", SOCKET_1: "sockets/socket-1"}
# Sign-ins sent straight to a process before its SIGTERM, their bodies completed only after it
# (`sign_in_across`); HEADERS_READ_S gives the process time to read their headers first, however loaded the machine.
IN_FLIGHT_SIGN_INS, HEADERS_READ_S = 3, 3.0
# Requests sent through the proxy at once, BURST_AFTER_S after the SIGTERM (uvicorn closes its listener within a
# tenth of a second; the health checks take up to about a second more to notice).
BURST, BURST_AFTER_S = 24, 0.3


@dataclass
class Topology:
    proxy: HAProxy
    processes: dict[str, ServerProcess]


def _process(name: str, redis_url: str, **env: str) -> ServerProcess:
    var_dir = ENV.var_dir / f"ops-{name}"
    var_dir.mkdir(parents=True, exist_ok=True)
    return ServerProcess(var_dir=var_dir, name=name, env={"REDIS_URL": redis_url, **env})


@pytest.fixture(scope="module")
def topology(redis_url: str) -> Iterator[Topology]:
    haproxy_binary()  # skips (or fails in CI) before three servers are started for nothing
    # The first migrates the database and runs the Stripe stand-in that all three use, as one deployment's
    # processes share one Stripe account: an order made through one process is settled through another.
    first = _process("api-1", redis_url).start()
    shared_stripe = {"STRIPE_SECRET_KEY": STANDIN_SECRET_KEY, "STRIPE_PUBLISHABLE_KEY": STANDIN_PUBLISHABLE_KEY,
                     "STRIPE_WEBHOOK_SECRET": standin_webhook_secret(os.environ["SECRET_KEY"]),
                     "STRIPE_API_BASE": first.standin_url}
    processes = {API_1: first}
    others = {API_2: _process("api-2", redis_url, **shared_stripe),
              SOCKET_1: _process("socket-1", redis_url, **shared_stripe)}
    try:
        for name, process in others.items():  # both start at once (from this thread: see ServerProcess.launch)
            processes[name] = process.launch()
        for process in others.values():
            process.ready()
        proxy = HAProxy({name: p.port for name, p in processes.items()}, ENV.var_dir / "ops-haproxy").start()
        try:
            yield Topology(proxy, processes)
        finally:
            proxy.stop()
    finally:
        for process in processes.values():
            process.stop()


@dataclass
class Ledger:
    """Every fan request through the proxy: its step and answer, and the ones that failed."""

    answers: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    bought: int = 0  # orders paid

    async def call(self, step: str, request: Awaitable[httpx.Response], expected: set[int]) -> httpx.Response | None:
        try:
            response = await request
        except httpx.HTTPError as exc:
            self.answers[f"{step} {type(exc).__name__}"] += 1
            self.failures.append(f"{step}: {exc!r}")
            return None
        self.answers[f"{step} {response.status_code}"] += 1
        if response.status_code not in expected:
            self.failures.append(f"{step}: {response.status_code} {response.text[:300]}")
            return None
        return response

    @property
    def total(self) -> int:
        return sum(self.answers.values())


async def shop(client: httpx.AsyncClient, standin: Standin, show_id: int, ledger: Ledger,
               stop: asyncio.Event) -> None:
    """One fan's purchases, again and again: browse, hold two seats, check out, pay (Stripe.js's confirmation, to
    the stand-in), report it (the order answers paid with its tickets)."""
    while not stop.is_set():
        await ledger.call("show", client.get(f"/api/v1/shows/{show_id}"), {200})
        await ledger.call("map", client.get(f"/api/v1/shows/{show_id}/map"), {200})
        held = await ledger.call("hold", client.post(f"/api/v1/shows/{show_id}/holds",
                                                     json={"best_available": {"count": 2}}), {201, 409})
        if held is None or held.status_code != 201:
            await asyncio.sleep(0.05)
            continue
        hold_id = held.json()["hold_id"]
        await ledger.call("get hold", client.get(f"/api/v1/holds/{hold_id}"), {200})
        order = await ledger.call("checkout", client.post(
            f"/api/v1/shows/{show_id}/checkout", json={"hold_id": hold_id},
            headers={"Idempotency-Key": uuid.uuid4().hex}), {201})
        if order is None:
            continue
        body = order.json()
        await standin.pay(body["payment"]["client_secret"])
        settled = await ledger.call("settle", client.post(f"/api/v1/orders/{body['order_id']}/settle"), {200})
        if settled is None:
            continue
        if settled.json()["status"] == "paid":
            ledger.bought += 1
        else:
            ledger.failures.append(f"settle: the order is {settled.json()['status']}, not paid")


@contextlib.asynccontextmanager
async def sale(clients: list[httpx.AsyncClient], standin: Standin, show_id: int,
               ledger: Ledger) -> AsyncIterator[None]:
    stop = asyncio.Event()
    fans = [asyncio.create_task(shop(client, standin, show_id, ledger, stop)) for client in clients]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*fans)


async def until(condition: Callable[[], bool], timeout: float) -> None:
    await eventually(lambda: asyncio.sleep(0, condition()), timeout, interval=0.1)


async def sign_in_across(port: int, sign_in: dict[str, str], signalled: asyncio.Event) -> int:
    """A sign-in whose body is still arriving when the process gets its SIGTERM: the headers go first, the rest
    only after the signal, so the request is in flight at that moment whatever the machine's load. Its status, or
    0 when the connection ended without an answer."""
    body = json.dumps(sign_in).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
        await writer.drain()
        await signalled.wait()
        await asyncio.sleep(0.2)  # the process is draining now
        writer.write(body[5:])
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 60)
        return int(status_line.split()[1]) if status_line else 0
    except (OSError, TimeoutError, IndexError, ValueError):
        return 0
    finally:
        writer.close()


async def restart(topology: Topology, name: str, sign_in: dict[str, str], ledger: Ledger) -> tuple[float, list[int]]:
    """SIGTERM one process as a deploy does, with sign-ins in flight on it and a burst of fan requests through the
    proxy right after (some reach the process after it stopped accepting, before the health checks notice);
    returns how long until HAProxy had it back in the rotation, and the answers of those sign-ins."""
    process, proxy = topology.processes[name], topology.proxy
    signalled = asyncio.Event()
    in_flight = [asyncio.create_task(sign_in_across(process.port, sign_in, signalled))
                 for _ in range(IN_FLIGHT_SIGN_INS)]
    await asyncio.sleep(HEADERS_READ_S)
    started = time.monotonic()
    old = process.terminate_web()
    signalled.set()
    async with httpx.AsyncClient(base_url=proxy.url, timeout=30) as burst:
        await asyncio.sleep(BURST_AFTER_S)
        await asyncio.gather(*(ledger.call("burst", burst.get("/api/v1/shows"), {200}) for _ in range(BURST)))
    await asyncio.to_thread(process.wait_restarted, old)
    answers = list(await asyncio.gather(*in_flight))
    await until(lambda: proxy.server_states()[BACKEND_OF[name]] == "UP", 60)
    return time.monotonic() - started, answers


async def test_every_process_restarts_in_turn_during_a_sale_and_no_fan_request_fails(
        topology: Topology, redis: Redis, pytestconfig: pytest.Config) -> None:
    proxy = topology.proxy
    await until(lambda: set(proxy.server_states().values()) == {"UP"}, 30)
    show = await create_show(rows=40, seats_per_row=20)  # 1,600 seats: never sold out here
    line = await create_show(rows=1, seats_per_row=2, queue_enabled=True)
    fans = await signed_in(redis, FANS, proxy.url)
    async with httpx.AsyncClient(base_url=proxy.url, timeout=30) as client:
        email = unique_email("rolling")
        registered = await client.post("/api/v1/auth/register",
                                       json={"email": email, "password": STRONG_PASSWORD, "name": "Rolling"})
        assert registered.status_code == 201, registered.text
    sign_in = {"email": email, "password": STRONG_PASSWORD}
    clients = [fan.client(proxy.url) for fan in fans]
    watchers = [MapWatcher([proxy.ws_url], show.id) for _ in range(WATCHERS)]
    queue = QueueWatcher(proxy.ws_url, line.id)
    queue_task = asyncio.create_task(queue.run())
    ledger = Ledger()
    took: dict[str, float] = {}
    drained: dict[str, list[int]] = {}
    try:
        async with running(watchers):
            async with sale(clients, Standin(topology.processes[API_1]), show.id, ledger):
                await until(lambda: queue.connects == 1, 20)
                await until(lambda: ledger.bought >= FANS, 60)  # the sale is under way
                for name in (API_1, API_2, SOCKET_1):
                    took[name], drained[name] = await restart(topology, name, sign_in, ledger)
                    await asyncio.sleep(1)  # the whole pool serves for a moment between restarts
                await until(lambda: all(w.connects == 2 for w in watchers) and queue.connects == 2, 30)
                await asyncio.sleep(1)  # the sale goes on with everyone back
            # Compared while the watchers still read: the sale's last change may still be on its way to them
            # (stopped first, a watcher would stay one version behind for good).
            async with httpx.AsyncClient(base_url=proxy.url, timeout=30) as client:
                version, seats = await converged(watchers, client, show.id, timeout=30)
        queue_closes = list(queue.close_codes)
    finally:
        queue_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await queue_task
        await asyncio.gather(*(c.aclose() for c in clients))

    say(pytestconfig, f"[rolling restart] {ledger.total} fan requests through HAProxy during 3 restarts, "
                      f"{len(ledger.failures)} failed, {ledger.bought} orders paid; answers: {dict(sorted(ledger.answers.items()))}")
    say(pytestconfig, "[rolling restart] back in HAProxy's rotation after SIGTERM: "
        + ", ".join(f"{BACKEND_OF[n]} {s:.1f} s" for n, s in took.items())
        + f"; sign-ins in flight at SIGTERM answered: {drained}")
    say(pytestconfig, f"[rolling restart] {len(watchers)} live-map clients: close codes "
        f"{sorted({c for w in watchers for c in w.close_codes[:1]})}, resumed "
        f"{Counter(r.kind for w in watchers for r in w.resumptions)}; converged at version {version}")
    assert ledger.failures == [], ledger.failures[:20]
    assert ledger.bought > 3 * FANS  # the sale went on throughout
    assert drained == {name: [200] * IN_FLIGHT_SIGN_INS for name in took}
    for watcher in watchers:
        assert watcher.problems == [], watcher.problems
        # Closed once, by the socket process's restart (API processes hold no socket), with 1012...
        assert watcher.connects == 2 and watcher.close_codes[0] == SERVICE_RESTART, watcher.close_codes
        # ...and back asking to resume from its version: the restarted process's new feed answers a snapshot.
        (resumed,) = watcher.resumptions
        assert resumed.since > 0 and resumed.kind == "snapshot"
        assert (watcher.version, watcher.seats) == (version, seats)
    assert queue_closes == [SERVICE_RESTART] and queue.problems == []
