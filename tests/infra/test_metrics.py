"""GET /metrics on a server of two worker processes (prometheus_client's multiprocess mode): after a purchase, a refused
hold, a best-available hold, an expired hold, a waiting room's admission and a watched live map, every counter moved
by exactly what happened, summed over both workers; live gauges follow the sockets; the waiting room's gauges name
the show. (Each worker writes what it tallied once per metrics.FLUSH_S: the test lets that pass before it reads.)
The server has a Valkey of its own: no other server's sweeper may release the expired hold, nor count it.

The counts are printed into the run's output (CI's log shows them)."""

from __future__ import annotations

import asyncio
import glob
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from backend.infra import metrics
from backend.settings import PROJECT_ROOT
from tests.conftest import ENV, STRONG_PASSWORD, unique_email
from tests.payments.helpers import Standin, eventually, hold, order_status_becomes
from tests.seats.test_store import plant_expired_hold
from tests.support.ci_output import say
from tests.support.data import create_show
from tests.support.fixtures import private_valkey
from tests.support.servers import ServerProcess

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

HOLDS = "/api/v1/shows/{show_id}/holds"
CHECKOUT = "/api/v1/shows/{show_id}/checkout"
WEBHOOK = "/api/v1/payments/stripe/webhook"
LIVEZ = "/livez"


@pytest.fixture(scope="module")
def private_redis_url() -> Iterator[str]:
    with private_valkey("metrics-valkey") as url:
        yield url


@pytest.fixture(scope="module")
def two_workers(private_redis_url: str) -> Iterator[ServerProcess]:
    var_dir = ENV.var_dir / "metrics-two-workers"
    var_dir.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(var_dir=var_dir, env={"REDIS_URL": private_redis_url, "REDIS_CLUSTER_NODES": ""},
                           name="metrics-two-workers", workers=2).start()
    try:
        yield server
    finally:
        server.stop()




async def scrape(server: ServerProcess) -> Samples:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value (0 when the series does not exist yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str) -> float:
    """Every series of a metric, summed."""
    return sum(found for (sample, _), found in samples.items() if sample == name)


def requests(samples: Samples, method: str, path: str, status: int) -> float:
    return value(samples, "litestar_requests_total", method=method, path=path, status_code=str(status),
                 app_name="showtime")


def _per_worker(var_dir: Path, path: str) -> dict[str, float]:
    """GET `path` as each worker's own file counts it: pid -> requests."""
    counts = {}
    for file in glob.glob(str(var_dir / "prometheus" / "counter_*.db")):
        pid = Path(file).stem.removeprefix("counter_")
        counts[pid] = sum(sample.value for metric in MultiProcessCollector.merge([file])
                          for sample in metric.samples
                          if sample.name == "litestar_requests_total" and sample.labels["path"] == path
                          and sample.labels["method"] == "GET")
    return counts


async def _fan(server: ServerProcess) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.url, timeout=60)
    response = await client.post("/api/v1/auth/register",
                                 json={"email": unique_email("metrics"), "password": STRONG_PASSWORD, "name": "M"})
    assert response.status_code == 201, response.text
    return client


async def test_metrics_add_up_over_two_workers(two_workers: ServerProcess, private_redis_url: str,
                                               pytestconfig: pytest.Config) -> None:
    server = two_workers
    show = await create_show()
    queued = await create_show(queue_enabled=True)
    buyer, rival = await _fan(server), await _fan(server)
    await asyncio.sleep(2 * metrics.FLUSH_S)
    before = await scrape(server)
    try:
        async with websockets.connect(f"{server.ws_url}/api/v1/shows/{show.id}/live") as watcher:
            await watcher.recv()  # the snapshot
            [open_sockets] = await eventually(lambda: _sockets_open(server, expected=1), timeout=10)
            # A purchase: hold two seats, a rival refused on one of them, checkout, the card paid at the stand-in,
            # the webhook settles it.
            seats = show.rows["Front/A"][:2]
            held = await hold(buyer, show.id, seats)
            refused = await rival.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": seats[1:]})
            assert refused.status_code == 409 and refused.json()["error"] == "seats_unavailable"
            best = await rival.post(f"/api/v1/shows/{show.id}/holds", json={"best_available": {"count": 2}})
            assert best.status_code == 201, best.text
            # A hold whose time is up: the server's sweeper releases it (and the watcher sees its seat free).
            redis = Redis.from_url(private_redis_url)
            try:
                await plant_expired_hold(redis, show.id, profile_id=999_999, seats=show.rows["Back/D"][:1])
            finally:
                await redis.aclose()
            response = await buyer.post(f"/api/v1/shows/{show.id}/checkout", json={"hold_id": held["hold_id"]})
            assert response.status_code == 201, response.text
            order = response.json()
            await Standin(server).pay(order["payment"]["client_secret"])
            await order_status_becomes(buyer, order["order_id"], "paid")
            await watcher.recv()  # at least one diff reached the socket
        # The waiting room: the buyer joins the queue of a show that has one, and is admitted at once.
        joined = await buyer.post(f"/api/v1/shows/{queued.id}/queue")
        assert joined.status_code == 201 and joined.json()["admitted"], joined.text
        # Liveness on fresh connections until both workers have answered some (the kernel picks the worker).
        livez = 0
        async with asyncio.timeout(60):
            while livez < 20 or len([n for n in _per_worker(server.var_dir, LIVEZ).values() if n]) < 2:
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as fresh:
                    assert (await fresh.get(LIVEZ)).status_code == 200
                livez += 1
        # The checkout's payment_intent.created and the payment's succeeded event: two webhooks.
        await eventually(lambda: _when(server, lambda s: requests(s, "POST", WEBHOOK, 200)
                                       - requests(before, "POST", WEBHOOK, 200) >= 2), timeout=15)
        [closed] = await eventually(lambda: _sockets_open(server, expected=0), timeout=10)
        await asyncio.sleep(2 * metrics.FLUSH_S)  # every worker has written what it tallied
        after = await scrape(server)
    finally:
        await buyer.aclose()
        await rival.aclose()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    def served(method: str, path: str, status: int) -> float:
        return requests(after, method, path, status) - requests(before, method, path, status)

    counts = {
        "holds placed (seats)": (moved("showtime_holds_placed_total", how="seats"), 1),
        "holds placed (best available)": (moved("showtime_holds_placed_total", how="best_available"), 1),
        "holds refused (seats_unavailable)": (moved("showtime_holds_refused_total", reason="seats_unavailable"), 1),
        "holds expired": (moved("showtime_holds_expired_total"), 1),
        "best-available timings": (moved("showtime_best_available_seconds_count"), 1),
        "checkouts (ok)": (moved("showtime_checkout_seconds_count", outcome="ok"), 1),
        "settlements (paid)": (moved("showtime_settlement_seconds_count", outcome="paid"), 1),
        "payment → paid timings": (moved("showtime_payment_to_paid_seconds_count"), 1),
        "webhook lag timings (succeeded)": (moved("showtime_webhook_lag_seconds_count",
                                                 event="payment_intent.succeeded"), 1),
        "POST holds 201": (served("POST", HOLDS, 201), 2),
        "POST holds 409": (served("POST", HOLDS, 409), 1),
        "POST checkout 201": (served("POST", CHECKOUT, 201), 1),
        "POST webhook 200": (served("POST", WEBHOOK, 200), 2),
        "GET /livez 200": (served("GET", LIVEZ, 200), livez),
        "5xx answers": (total(after, "litestar_requests_error_total") - total(before, "litestar_requests_error_total"),
                        0),
        "live-map sockets open, while watching": (open_sockets, 1),
        "live-map sockets open, after": (closed, 0),
    }
    per_worker = _per_worker(server.var_dir, LIVEZ)
    lines = [f"[metrics] two workers, /metrics deltas (measured / expected): pids {sorted(per_worker)} served "
             f"GET /livez {sorted(per_worker.values())}"]
    lines += [f"[metrics]   {label}: {got:g} / {want:g}" for label, (got, want) in counts.items()]
    broadcasts = moved("showtime_broadcast_seconds_count", feed="live_map")
    round_trips = moved("showtime_redis_round_trip_seconds_count")
    lines.append(f"[metrics]   live-map broadcasts: {broadcasts:g}; Redis round trips: {round_trips:g}")
    say(pytestconfig, "\n".join(lines))

    assert {label: got for label, (got, _) in counts.items()} == {label: want for label, (_, want) in counts.items()}
    assert len([n for n in per_worker.values() if n]) == 2 and sum(per_worker.values()) == value(
        after, "litestar_requests_total", method="GET", path=LIVEZ, status_code="200", app_name="showtime")
    assert broadcasts >= 1 and round_trips > 0
    # The waiting room's line, read from Redis at the scrape: the buyer was admitted, nobody waits.
    assert value(after, "showtime_waiting_room_serving", show=str(queued.id)) == 1
    assert value(after, "showtime_waiting_room_waiting", show=str(queued.id)) == 0
    assert value(after, "showtime_waiting_room_lines") >= 1
    # The jobs ran at startup: a reconciler pass and a checkpoint, in this minute.
    assert time.time() - 120 < value(after, "showtime_reconciler_last_pass_timestamp_seconds") <= time.time()
    assert time.time() - 120 < value(after, "showtime_ledger_checkpoint_timestamp_seconds") <= time.time()
    if ENV.database_url.startswith("postgres"):
        assert value(after, "showtime_db_pool_connections", state="open") >= 2 * 2  # min_size 2, two workers


async def _sockets_open(server: ServerProcess, expected: int) -> float:
    """The live-map sockets open over both workers, once they are `expected` (polled by `eventually`)."""
    found = value(await scrape(server), "showtime_sockets_open", feed="live_map")
    return [found] if found == expected else None  # type: ignore[return-value]  # a list: 0 is an answer too


async def _when(server: ServerProcess, check) -> Samples | None:
    samples = await scrape(server)
    return samples if check(samples) else None


async def test_a_killed_worker_stops_counting_its_sockets(two_workers: ServerProcess) -> None:
    """A worker SIGKILLed with a socket open: the next scrape drops its live gauges (it could not say it was going);
    its counters stay, so totals never go back. uvicorn starts another worker in its place."""
    server = two_workers
    show = await create_show()
    async with websockets.connect(f"{server.ws_url}/api/v1/shows/{show.id}/live") as watcher:
        await watcher.recv()
        await eventually(lambda: _sockets_open(server, expected=1), timeout=10)
        holder = next(pid for pid, sockets in _live_sockets(server.var_dir).items() if sockets == 1)
        counted = total(await scrape(server), "litestar_requests_total")
        os.kill(int(holder), signal.SIGKILL)
        await eventually(lambda: _sockets_open(server, expected=0), timeout=30)
    assert not (server.var_dir / "prometheus" / f"gauge_livesum_{holder}.db").exists()
    assert total(await scrape(server), "litestar_requests_total") >= counted


def _live_sockets(var_dir: Path) -> dict[str, float]:
    """Live-map sockets open as each worker's own file has them: pid -> sockets."""
    found = {}
    for file in glob.glob(str(var_dir / "prometheus" / "gauge_livesum_*.db")):
        pid = Path(file).stem.removeprefix("gauge_livesum_")
        found[pid] = sum(sample.value for metric in MultiProcessCollector.merge([file]) for sample in metric.samples
                         if sample.name == "showtime_sockets_open" and sample.labels.get("feed") == "live_map")
    return found


def test_a_tally_writes_what_one_by_one_observations_would() -> None:
    """Tally (backend.infra.metrics) adds into prometheus_client's values directly: the result must be the one the
    library's own calls give, bucket by bucket (a change inside prometheus_client would show here)."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    buckets = (0.001, 0.01, 0.1, 1.0)
    direct, tallied = (Histogram(f"t_{name}_seconds", "t", ["kind"], buckets=buckets, registry=registry)
                       for name in ("direct", "tallied"))
    direct_count, tallied_count = (Counter(f"t_{name}", "t", registry=registry) for name in ("direct", "tallied"))
    tally = metrics.Tally()
    values = [0.0005, 0.001, 0.0011, 0.05, 0.1, 0.5, 1.0, 7.0, 0.0]
    for v in values:
        direct.labels("a").observe(v)
        direct_count.inc(2)
        tally.observe(tallied.labels("a"), v)
        tally.inc(tallied_count, 2)
    tally.flush()

    def samples(name: str) -> list[tuple[str, dict[str, str], float]]:
        return [(s.name.replace(name, ""), s.labels, s.value) for metric in registry.collect()
                for s in metric.samples if s.name.startswith(name) and not s.name.endswith("_created")]

    assert samples("t_tallied_seconds") == samples("t_direct_seconds")
    assert samples("t_tallied_total") == samples("t_direct_total") == [("", {}, 18.0)]
    tally.flush()  # nothing twice
    assert samples("t_tallied_seconds") == samples("t_direct_seconds")


# A worker that opens a socket and counts two expired holds, then dies: said (process_exiting) or not (os._exit).
WORKER = """
import os, sys
from backend.infra import metrics
metrics.socket_opened("live_map")
metrics.holds_expired(2)
if sys.argv[1] == "says-goodbye":
    metrics.process_exiting()
os._exit(0)
"""


def test_live_gauges_of_workers_that_are_gone_are_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for how in ("says-goodbye", "is-killed"):
        subprocess.run([sys.executable, "-c", WORKER, how], env=env, check=True, cwd=PROJECT_ROOT)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    def collected() -> Samples:
        return {(sample.name, frozenset(sample.labels.items())): sample.value
                for metric in MultiProcessCollector(None, path=str(tmp_path)).collect() for sample in metric.samples}

    # The one that said goodbye left no live gauge; the killed one's socket still counts until a scrape reaps it.
    assert value(collected(), "showtime_sockets_open", feed="live_map") == 1
    assert len(metrics.reap_dead_processes()) == 1
    assert value(collected(), "showtime_sockets_open", feed="live_map") == 0
    assert value(collected(), "showtime_holds_expired_total") == 4  # counters of the dead still count
