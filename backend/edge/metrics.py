"""What Prometheus scrapes: `GET /metrics` (Litestar's Prometheus plugin, in prometheus_client's multiprocess mode),
and the HTTP metrics of every routed request.

The plugin's configuration (`PROMETHEUS`) groups paths by their route template (`group_path=True`: one series per
route, never per show or order id). Its metrics (`litestar_requests_total`, `litestar_request_duration_seconds`,
`litestar_requests_error_total`, by method, path template, status code and app name) are recorded by `RequestMetrics`,
a subclass of the plugin's middleware that the edge's own middleware calls, since that one already times every
request for the access log, and tallied in memory (backend.infra.metrics.TALLY, written once a second). The plugin's
middleware as a layer of its own added ~50 µs of CPU to a request (a Request object and its URL parsed, label
children found under prometheus_client's lock, an in-progress gauge, a send wrapper made with `functools.wraps`, and
five locked writes into the mapped files of multiprocess mode); recorded by the edge and tallied, ~4 µs
(bench/metrics_overhead.py, docs/performance.md "Metrics overhead"; a hold request costs ~200-400 µs). No in-progress
gauge: the access log and uvicorn already show concurrency.

The answer sums every worker's files (multiprocess mode, backend.infra.metrics), drops the live gauges of workers that
died unannounced, and adds what domains read at scrape time (`ScrapeHook`s, e.g. the waiting rooms' lines).
A process's sampler job keeps the PostgreSQL pool's gauges fresh, and marks the process dead when it stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from litestar import Response, get
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController, PrometheusMiddleware
from litestar.types import Receive, Scope, Send
from piccolo.engine import engine_finder
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest, multiprocess
from prometheus_client.metrics_core import Metric

from backend.infra import metrics
from backend.wiring import Contribution, Services

logger = logging.getLogger("showtime.metrics")

METRICS_PATH = "/metrics"
UNROUTED = "unrouted"  # the path label of requests that reached no route (refused at the edge, no such method)
POOL_SAMPLE_S = 5.0
# A scrape answers even when a hook's dependency does not (its series are missing from that one answer).
HOOK_TIMEOUT_S = 2.0


class RequestMetrics(PrometheusMiddleware):
    """The Prometheus plugin's HTTP metrics, recorded by the edge's one middleware (backend/edge/middleware.py), which
    already times every request and sees its status for the access log: no second layer, send wrapper or clock per
    request. The plugin's own names and labels, from its configuration (`PROMETHEUS`); requests the edge refuses
    before any route (cross-site, body screening) count too, under the path UNROUTED."""

    def __init__(self, config: PrometheusConfig) -> None:
        super().__init__(_never_mounted, config)
        self._bound: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)  # not a layer of its own: the edge calls `record`

    def record(self, method: str, scope: Scope, status: int, seconds: float) -> None:
        path = scope.get("path_template", UNROUTED) if self._config.group_path else scope["path"]
        key = (method, path, status)
        count, duration, errors = self._bound.get(key) or self._bind(key)
        metrics.TALLY.inc(count)
        metrics.TALLY.observe(duration, seconds)
        if status >= 500:
            metrics.TALLY.inc(errors)

    def _bind(self, key: tuple[str, str, int]) -> tuple[Any, Any, Any]:
        method, path, status = key
        labels: dict[str, str | int | float] = {"method": method, "path": path, "status_code": status,
                                                "app_name": self._config.app_name}
        values = [str(value) for value in labels.values()]
        bound = (self.request_count(labels).labels(*values), self.request_time(labels).labels(*values),
                 self.requests_error_count(labels).labels(*values))
        self._bound[key] = bound
        return bound


async def _never_mounted(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("RequestMetrics records for the edge middleware; it is not mounted as a layer")


PROMETHEUS = PrometheusConfig(
    app_name="showtime",
    group_path=True,  # one series per route template, never per show or order id
    scopes={ScopeType.HTTP},  # a socket's "duration" is its whole life: sockets have metrics of their own
    middleware_class=RequestMetrics,
    buckets=[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
)


class _Answer:
    """What one scrape reports: every process's metrics (or this process's) and the scrape hooks' families."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        metrics.TALLY.flush()  # this process's own counts, up to now; the other workers' are at most FLUSH_S late
        directory = metrics.multiprocess_dir()
        if directory:
            metrics.reap_dead_processes()
            yield from multiprocess.MultiProcessCollector(None, path=directory).collect()
        else:
            yield from REGISTRY.collect()
        yield from self.families


def exposition(families: Iterable[Metric] = ()) -> bytes:
    return generate_latest(_Answer(list(families)))  # type: ignore[arg-type]


def metrics_controller(hooks: Sequence[metrics.ScrapeHook]) -> type[PrometheusController]:
    class MetricsController(PrometheusController):
        """Prometheus' text format; not part of the JSON API (and left out of its OpenAPI document)."""

        path = METRICS_PATH
        include_in_schema = False

        @get(include_in_schema=False)
        async def get(self) -> Response:
            families: list[Metric] = []
            for hook in hooks:
                try:
                    families.extend(await asyncio.wait_for(hook(), HOOK_TIMEOUT_S))
                except Exception as exc:
                    logger.warning("metrics: a scrape hook failed (%s: %s); its series are left out",
                                   type(exc).__name__, exc)
            return Response(exposition(families), status_code=200, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return MetricsController


async def sample_process(interval_s: float = POOL_SAMPLE_S) -> None:
    """Background job: the PostgreSQL pool's connections every few seconds; the process marked dead when it stops."""
    try:
        while True:
            pool = getattr(engine_finder(), "pool", None)
            if pool is not None:
                size = pool.get_size()
                metrics.db_pool(size - pool.get_idle_size(), size)
            await asyncio.sleep(interval_s)
    finally:
        metrics.process_exiting()


def contribution(_: Services, *, hooks: Sequence[metrics.ScrapeHook] = ()) -> Contribution:
    return Contribution(route_handlers=[metrics_controller(hooks)], background=[sample_process])
