"""Every Prometheus metric the app exports, defined here once, and the one-line calls the domains make.

The HTTP metrics are Litestar's Prometheus plugin's (`litestar_requests_total` and friends, by method, grouped path
and status: backend/edge/metrics.py); what is here is what only the domains know. Labels are bounded: a refusal's
error code, an order status, an event type, a feed's kind, a Redis error's class. Never a show, a profile or an order
id, with one exception: the waiting room's gauges are per show, for at most WAITING_ROOM_SHOWS shows that have a
line, read from Redis at each scrape (so a line that ended leaves no stale series behind).

With several worker processes (`uvicorn --workers N`), prometheus_client's multiprocess mode is on whenever
PROMETHEUS_MULTIPROC_DIR is set (`just serve` sets it and empties it before the workers start): each process writes
its values to memory-mapped files there, and a scrape of any process sums them all. Gauges say how they combine:
`livesum` (sockets open, pool connections: the live processes' sum), `mostrecent` (what the last reconciler pass
saw, whichever process ran it), `max` (the newest checkpoint). A process that exits is marked dead (its live gauges
dropped); a scrape also drops those of processes that died without saying so (SIGKILL).

Costs. In multiprocess mode every counter increment, and each of the two writes of a histogram's observation, takes a
lock, asks the kernel for the process id and writes into a mapped file: ~2 µs. What runs on every request (the HTTP
metrics, Redis round trips, hold attempts) therefore goes through `TALLY`, which adds in process memory and writes
the sums once per FLUSH_S (and before this process answers a scrape, and when it stops): a scrape sees them at most
that late. Label children on hot paths are looked up once and kept (`_child`). bench/metrics_overhead.py measures it.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import re
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from prometheus_client import Counter, Gauge, Histogram, multiprocess
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from backend.errors import AppError

logger = logging.getLogger("showtime.metrics")

P = ParamSpec("P")
R = TypeVar("R")

# At most this many shows' waiting rooms get series of their own (lines are few: shows with a waiting room whose
# line has people in it); the number of lines is exported as well, so a cut is visible.
WAITING_ROOM_SHOWS = 50

# A scrape-time hook: reads what a domain knows at this moment (e.g. every waiting room's line from Redis) and
# returns metric families to add to the answer.
ScrapeHook = Callable[[], Awaitable[Iterable[Metric]]]

_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_REQUEST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Stripe dates events and charges in whole seconds: these durations are up to a second long, never short.
_STRIPE_CLOCK = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 21600.0)

# ------------------------------------------------------------------ holds (backend/booking)
HOLDS_PLACED = Counter("showtime_holds_placed", "Holds placed (seats locked), by how the seats were chosen",
                       ["how"])
HOLDS_REFUSED = Counter("showtime_holds_refused", "Hold requests refused, by reason (the answer's error code)",
                        ["reason"])
HOLDS_EXPIRED = Counter("showtime_holds_expired", "Holds released by the sweeper when they expired")
BEST_AVAILABLE_SECONDS = Histogram("showtime_best_available_seconds",
                                   "Time to place a best-available hold (choice and lock), refused or not",
                                   buckets=_FAST)

# ------------------------------------------------------------------ payments (backend/payments)
CHECKOUT_SECONDS = Histogram("showtime_checkout_seconds",
                             "Checkout (order written, PaymentIntent created), by outcome (ok or the error code)",
                             ["outcome"], buckets=_REQUEST)
SETTLEMENT_SECONDS = Histogram("showtime_settlement_seconds",
                               "Settling a PaymentIntent read back from Stripe, by the order's resulting status",
                               ["outcome"], buckets=_REQUEST)
PAYMENT_TO_PAID_SECONDS = Histogram("showtime_payment_to_paid_seconds",
                                    "From the payment's charge (Stripe's time) to the order committed as paid",
                                    buckets=_STRIPE_CLOCK)
WEBHOOK_LAG_SECONDS = Histogram("showtime_webhook_lag_seconds",
                                "From a Stripe event's creation (Stripe's time) to its settlement here, by type",
                                ["event"], buckets=_STRIPE_CLOCK)
RECONCILER_PENDING = Gauge("showtime_reconciler_pending_orders",
                           "Pending orders the last reconciler pass read back from Stripe",
                           multiprocess_mode="mostrecent")
RECONCILER_BACKLOG = Gauge("showtime_reconciler_backlog_orders",
                           "Orders past their hold's end that the last reconciler pass could not close "
                           "(Stripe unreachable, an error, a payment still processing)",
                           multiprocess_mode="mostrecent")
RECONCILER_PASS_TIME = Gauge("showtime_reconciler_last_pass_timestamp_seconds",
                             "When the last reconciler pass ended (Unix time)", multiprocess_mode="max")
LEDGER_CHECKPOINT_TIME = Gauge("showtime_ledger_checkpoint_timestamp_seconds",
                               "When a checkpoint last covered the payments ledger's head (Unix time): written, "
                               "or found unchanged", multiprocess_mode="max")

# ------------------------------------------------------------------ sockets (realtime)
SOCKETS_OPEN = Gauge("showtime_sockets_open", "WebSockets open, by feed", ["feed"], multiprocess_mode="livesum")
BROADCAST_SECONDS = Histogram("showtime_broadcast_seconds", "One broadcast's pass over a feed's sockets, by feed",
                              ["feed"], buckets=_FAST)
SLOW_CLIENTS_DROPPED = Counter("showtime_slow_clients_dropped",
                               "Sockets dropped (closed 1013) for falling too far behind, by feed", ["feed"])

# ------------------------------------------------------------------ infrastructure
REDIS_ROUND_TRIP_SECONDS = Histogram("showtime_redis_round_trip_seconds",
                                     "From a command's (or a pipeline's) write to Redis's first answer",
                                     buckets=_FAST)
REDIS_ERRORS = Counter("showtime_redis_errors",
                       "Redis commands that failed, by error (connection, timeout, or the server's error reply)",
                       ["error"])
DB_POOL_CONNECTIONS = Gauge("showtime_db_pool_connections",
                            "PostgreSQL pool connections, in use and open (sampled every few seconds)", ["state"],
                            multiprocess_mode="livesum")

_children: dict[tuple[Any, ...], Any] = {}

FLUSH_S = 1.0


class Tally:
    """Counts and observations kept in this process's memory, written to prometheus_client's values every FLUSH_S.

    An increment costs a dict lookup and an addition; an observation, that and a bisection into the histogram's
    buckets. `flush` adds them to the metrics as prometheus_client would have one by one: a counter by the sum, a
    histogram's `_sum` by the sum of the values and each bucket by its count (tests/infra/test_metrics.py checks the
    result is the same)."""

    def __init__(self) -> None:
        self._counts: dict[Any, float] = {}
        self._observed: dict[Any, list[float]] = {}  # histogram child -> [sum, count in bucket 0, 1, ...]
        self._scheduled = False

    def inc(self, child: Any, amount: float = 1.0) -> None:
        self._counts[child] = self._counts.get(child, 0.0) + amount
        if not self._scheduled:
            self._schedule()

    def observe(self, child: Any, value: float) -> None:
        pending = self._observed.get(child)
        if pending is None:
            pending = self._observed[child] = [0.0] * (len(child._upper_bounds) + 1)
        pending[0] += value
        pending[1 + bisect_left(child._upper_bounds, value)] += 1  # the first bucket whose bound is >= value
        if not self._scheduled:
            self._schedule()

    def flush(self) -> None:
        self._scheduled = False
        counts, self._counts = self._counts, {}
        observed, self._observed = self._observed, {}
        for child, amount in counts.items():
            child.inc(amount)
        for child, pending in observed.items():
            child._sum.inc(pending[0])
            for bucket, count in zip(child._buckets, pending[1:], strict=True):
                if count:
                    bucket.inc(count)

    def _schedule(self) -> None:
        try:
            asyncio.get_running_loop().call_later(FLUSH_S, self.flush)
            self._scheduled = True
        except RuntimeError:  # no event loop (a tool or a test calling in): write now
            self.flush()


TALLY = Tally()


def _child(metric: Any, *labels: str) -> Any:
    """A metric's child for these label values, found once: `labels()` takes a lock and builds a key every call."""
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def _reason(exc: BaseException) -> str:
    return exc.code if isinstance(exc, AppError) else "error"


# ------------------------------------------------------------------ one-line calls

class placing_hold:  # lower case: used as a function, `with metrics.placing_hold(...)`
    """`with metrics.placing_hold(best_available=...):` around placing a hold: placed, or refused by its error code;
    a best-available request's time when the server chose (placed, or no seats together)."""

    __slots__ = ("best_available", "started")

    def __init__(self, best_available: bool) -> None:
        self.best_available = best_available
        self.started = time.perf_counter()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        reason = None if exc is None else _reason(exc)
        if reason is None:
            TALLY.inc(_child(HOLDS_PLACED, "best_available" if self.best_available else "seats"))
        else:
            TALLY.inc(_child(HOLDS_REFUSED, reason))
        if self.best_available and reason in (None, "seats_unavailable"):
            TALLY.observe(BEST_AVAILABLE_SECONDS, time.perf_counter() - self.started)


class timed:  # lower case: used as a function, `with metrics.timed(CHECKOUT_SECONDS):`
    """Observe a block's duration in a histogram labelled by outcome: `ok`, or the error code that ended it."""

    __slots__ = ("histogram", "started")

    def __init__(self, histogram: Histogram) -> None:
        self.histogram = histogram
        self.started = time.perf_counter()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        _child(self.histogram, "ok" if exc is None else _reason(exc)).observe(time.perf_counter() - self.started)


def timed_settlement(settle: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Decorates the settlement of one PaymentIntent: its duration, by the order status it returns."""

    @wraps(settle)
    async def timed_settle(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await settle(*args, **kwargs)
            outcome = str(result) if result is not None else "not_ours"
            return result
        finally:
            _child(SETTLEMENT_SECONDS, outcome).observe(time.perf_counter() - started)

    return timed_settle


def holds_expired(count: int) -> int:
    """The sweeper released `count` expired holds; returns the count."""
    if count:
        HOLDS_EXPIRED.inc(count)
    return count


def order_paid(charged_at: int | None) -> None:
    """An order was just committed as paid; `charged_at`: its charge's time at Stripe (Unix seconds), if known."""
    if charged_at is not None:
        PAYMENT_TO_PAID_SECONDS.observe(max(0.0, time.time() - charged_at))


def webhook_settled(event_type: str, created: int | None) -> None:
    """A Stripe event was handled (not a duplicate); `created`: Stripe's time of the event (Unix seconds)."""
    if created is not None:
        _child(WEBHOOK_LAG_SECONDS, event_type).observe(max(0.0, time.time() - created))


def reconciler_pass(pending: int, backlog: int) -> None:
    RECONCILER_PENDING.set(pending)
    RECONCILER_BACKLOG.set(backlog)
    RECONCILER_PASS_TIME.set(time.time())


def checkpointed(write: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Decorates the ledger checkpoint: once it returns (head written, or unchanged), the head is covered now."""

    @wraps(write)
    async def write_and_mark(*args: P.args, **kwargs: P.kwargs) -> R:
        result = await write(*args, **kwargs)
        LEDGER_CHECKPOINT_TIME.set(time.time())
        return result

    return write_and_mark


def socket_opened(feed: str) -> None:
    _child(SOCKETS_OPEN, feed).inc()


def socket_closed(feed: str) -> None:
    _child(SOCKETS_OPEN, feed).dec()


def broadcast(feed: str, seconds: float, dropped: int) -> None:
    _child(BROADCAST_SECONDS, feed).observe(seconds)
    if dropped:
        _child(SLOW_CLIENTS_DROPPED, feed).inc(dropped)


def redis_round_trip(seconds: float) -> None:
    TALLY.observe(REDIS_ROUND_TRIP_SECONDS, seconds)


def redis_error(exc: BaseException) -> None:
    _child(REDIS_ERRORS, type(exc).__name__).inc()


def db_pool(in_use: int, size: int) -> None:
    _child(DB_POOL_CONNECTIONS, "in_use").set(in_use)
    _child(DB_POOL_CONNECTIONS, "open").set(size)


def waiting_room_families(lines: int, statuses: Iterable[tuple[int, int, int, float]]) -> list[Metric]:
    """The waiting rooms' gauges from (show id, waiting, serving, admitted per second) of up to WAITING_ROOM_SHOWS
    lines, and the number of lines there are."""
    waiting = GaugeMetricFamily("showtime_waiting_room_waiting", "People in a show's line not yet admitted",
                                labels=["show"])
    serving = GaugeMetricFamily("showtime_waiting_room_serving", "The line's serving number: everyone up to it "
                                "has been admitted", labels=["show"])
    admitted = GaugeMetricFamily("showtime_waiting_room_admitted_per_minute",
                                 "Admissions per minute, as the line measures its outflow", labels=["show"])
    for show_id, in_line, served, rate_per_s in statuses:
        waiting.add_metric([str(show_id)], in_line)
        serving.add_metric([str(show_id)], served)
        admitted.add_metric([str(show_id)], round(rate_per_s * 60, 2))
    total = GaugeMetricFamily("showtime_waiting_room_lines", "Shows whose waiting room has a line (series are "
                              f"exported for at most {WAITING_ROOM_SHOWS})", value=lines)
    return [waiting, serving, admitted, total]


# ------------------------------------------------------------------ multiprocess bookkeeping

_LIVE_FILE = re.compile(r"^gauge_live[a-z]+_(\d+)\.db$")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_exiting() -> None:
    """This process stops serving: what it tallied is written, and its live gauges (sockets, pool) no longer count."""
    TALLY.flush()
    directory = multiprocess_dir()
    if directory:
        multiprocess.mark_process_dead(os.getpid(), directory)


def reap_dead_processes() -> list[int]:
    """Drop the live gauges of processes that died without saying so (SIGKILL, OOM); returns their pids."""
    directory = multiprocess_dir()
    if not directory:
        return []
    dead = []
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        match = _LIVE_FILE.match(os.path.basename(path))
        if match is None:
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and not _alive(pid):
            dead.append(pid)
    for pid in set(dead):
        multiprocess.mark_process_dead(pid, directory)
        logger.info("metrics: worker %s is gone; its live gauges are dropped", pid)
    return sorted(set(dead))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
