"""Metrics overhead: the CPU that Prometheus metrics add to a request, measured in one process, alternating variants.

In prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set, as `just serve` runs), a hold route on a bare
Litestar app behind the edge middleware (backend/edge/middleware.py) is called through ASGI, no network: the edge
alone, the edge with Litestar's Prometheus plugin middleware as a layer of its own (PrometheusConfig(group_path=True)),
and the edge recording the same metrics itself (backend/edge/metrics.py, RequestMetrics). Rounds alternate the
variants so drift on a shared machine hits all; CPU time (process_time) per request, medians. Then the one-line calls
the domains make, per call: a Redis round trip (every command or pipeline), a hold attempt. (The tally's writes, once
a second, are not in these figures: a few dozen writes a second, whatever the request rate.)
Compare with the app's CPU per request in bench/holds.py ("Holds": ~200-320 µs).
Run: `.venv/bin/python bench/metrics_overhead.py [--rounds 9] [--requests 3000]`. Writes the "Metrics overhead" section
of docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="showtime-bench-metrics-")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar import Litestar, post
from litestar.plugins.prometheus import PrometheusConfig

from backend.edge.metrics import PROMETHEUS, RequestMetrics
from backend.edge.middleware import EdgeMiddleware
from backend.infra import metrics
from bench.report import publish

BODY = b'{"seat_ids":["1","2"]}'


@post("/api/v1/shows/{show_id:str}/holds", status_code=201)
async def place_hold(show_id: str, data: dict[str, Any]) -> dict[str, str]:
    return {"hold_id": "h", "show_id": show_id}


def _app(middleware: list[Any], requests: RequestMetrics | None = None) -> Any:
    return EdgeMiddleware(Litestar([place_hold], middleware=middleware, debug=False), requests=requests)


VARIANTS = {
    "the edge alone (no metrics)": lambda: _app([]),
    "the edge + the plugin's middleware as a layer": lambda: _app(
        [PrometheusConfig(app_name="bench", prefix="plugin", group_path=True).middleware]),
    "the edge recording the plugin's metrics (this app)": lambda: _app([], RequestMetrics(PROMETHEUS)),
}


async def _call(app: Any) -> None:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/shows/12/holds", "raw_path": b"/api/v1/shows/12/holds", "query_string": b"",
             "root_path": "", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {},
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(_: Any) -> None:
        return None

    await app(scope, receive, send)


async def _per_request(app: Any, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        await _call(app)
    return (time.process_time() - started) / n * 1e6


def _per_call(work: Any, n: int = 50_000) -> float:
    started = time.process_time()
    for _ in range(n):
        work()
    return (time.process_time() - started) / n * 1e6


def _hold_attempt() -> None:
    with metrics.placing_hold(best_available=False):
        pass


async def _run(rounds: int, requests: int) -> str:
    apps = {label: make() for label, make in VARIANTS.items()}
    for app in apps.values():
        await _per_request(app, 500)  # warm: routes, label children, mapped files
    results: dict[str, list[float]] = {label: [] for label in apps}
    for _ in range(rounds):
        for label, app in apps.items():
            results[label].append(await _per_request(app, requests))
    base = statistics.median(results["the edge alone (no metrics)"])
    recorded = statistics.median(results["the edge recording the plugin's metrics (this app)"]) - base
    round_trip, attempt, request = (_per_call(lambda: metrics.redis_round_trip(0.0004)), _per_call(_hold_attempt),
                                    _per_call(_record_request()))
    lines = [
        "## Metrics overhead",
        "",
        f"One process, multiprocess mode, POST to a hold route through the edge middleware and Litestar ({rounds} "
        f"rounds of {requests:,} requests, variants alternating; CPU µs per request, median):",
        "",
        "| variant | µs per request | added |",
        "|---|---:|---:|",
        *(f"| {label} | {statistics.median(values):.1f} | {statistics.median(values) - base:+.1f} |"
          for label, values in results.items()),
        "",
        f"One-line calls, in a loop (µs per call, 50,000 calls): a Redis round trip recorded {round_trip:.2f}; a hold "
        f"attempt counted {attempt:.2f}; an HTTP request recorded by the edge {request:.2f} (tallied in memory, written "
        "to the mapped files once a second: backend/infra/metrics.py, Tally). A hold request thus pays about "
        f"**{recorded + attempt + round_trip:.0f} µs** for its metrics (its HTTP metrics, the hold attempt, one Redis "
        "round trip), against ~200-400 µs of CPU for the request (bench/holds.py, \"Holds\").",
        "",
        f"Load average when the run ended: {os.getloadavg()[0]:.1f} (the machine is shared; compare the rows of one "
        "run, not runs).",
    ]
    return "\n".join(lines)


def _record_request() -> Any:
    recorder = RequestMetrics(PROMETHEUS)
    scope = {"path_template": "/api/v1/shows/{show_id}/holds", "path": "/api/v1/shows/12/holds"}
    return lambda: recorder.record("POST", scope, 201, 0.0004)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--dry-run", action="store_true", help="print the section, do not write docs/performance.md")
    args = parser.parse_args()
    logging.getLogger("showtime.access").setLevel(logging.WARNING)  # the access log's lines are not measured here
    publish("metrics-overhead", asyncio.run(_run(args.rounds, args.requests)), dry_run=args.dry_run)


if __name__ == "__main__":
    main()
