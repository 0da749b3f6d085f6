"""What the sale benches share (bench/sellout.py, bench/flash_sale.py): the fans' HTTP pools and call recorder, one
purchase as the web app makes it, the processes under the launcher, Redis, and the end checks in the database."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.report import percentile

PAYMENT_TO_PAID = "payment → paid"
STANDIN_CONFIRM = "stand-in confirm (Stripe.js)"


class Pool:
    """Keep-alive connections to one host, handed out one request at a time."""

    def __init__(self, host: str, port: int, size: int) -> None:
        from bench.raw_http import Connection

        self.free: asyncio.Queue = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait(Connection(host, port))

    async def request(self, method: str, path: str, **kwargs):
        connection = await self.free.get()
        try:
            return await connection.request(method, path, **kwargs)
        except BaseException:
            connection.close()
            raise
        finally:
            self.free.put_nowait(connection)


@dataclass
class Calls:
    """Each call's latency (ms) and answers, by name, while `recording`; picklable once `plain()` is called."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)  # "call status" -> count
    recording: bool = True

    async def call(self, pool: Pool, name: str, method: str, path: str, **kwargs):
        started = time.perf_counter()
        answer = await pool.request(method, path, **kwargs)
        if self.recording:
            self.latencies[name].append((time.perf_counter() - started) * 1000)
            self.statuses[f"{name} {answer.status}"] += 1
        return answer

    def plain(self) -> Calls:
        self.latencies = dict(self.latencies)  # type: ignore[assignment]  # a defaultdict's factory does not pickle
        return self


def merged(calls: list[Calls]) -> Calls:
    total = Calls()
    for part in calls:
        for name, values in part.latencies.items():
            total.latencies[name] += values
        total.statuses.update(part.statuses)
    return total


def call_rows(calls: Calls, skip: tuple[str, ...] = (PAYMENT_TO_PAID,)) -> list[str]:
    """The Markdown table of every call: requests, p50, p99, answers by status."""
    lines = ["| call | requests | p50 ms | p99 ms | answers |", "|---|---:|---:|---:|---|"]
    for name, values in sorted(calls.latencies.items()):
        if name in skip or not values:
            continue
        answers = ", ".join(f"{key.rsplit(' ', 1)[1]}: {count:,}" for key, count in sorted(calls.statuses.items())
                            if key.rsplit(" ", 1)[0] == name)
        lines.append(f"| {name} | {len(values):,} | {statistics.median(values):.1f} | {percentile(values, 99):.1f} "
                     f"| {answers} |")
    return lines


@dataclass(frozen=True)
class Shop:
    """Where the fans buy: the app, the stand-in, the show."""

    app: Pool
    stripe: Pool
    show_id: int
    publishable_key: str
    poll_s: float = 0.1
    paid_timeout_s: float = 30.0


@dataclass(frozen=True)
class Bought:
    """A purchase's end: `paid` (with its seats), or why not (`problem`)."""

    paid: bool
    seats: int = 0
    by_settle: bool = False
    problem: str | None = None


async def pay(shop: Shop, calls: Calls, cookie: str, hold_id: str) -> Bought:
    """Checkout → confirm at the stand-in as Stripe.js does → POST /orders/{id}/settle as the web app does → poll
    the order until paid when settle did not answer paid. Records payment → paid (from the stand-in's answer)."""
    answer = await calls.call(shop.app, "POST /checkout", "POST", f"/api/v1/shows/{shop.show_id}/checkout",
                              cookie=cookie, body=json.dumps({"hold_id": hold_id}).encode())
    if answer.status != 201:
        return Bought(False, problem=f"checkout answered {answer.status} {answer.body[:200]!r}")
    order = answer.json()
    secret = order["payment"]["client_secret"]
    form = urlencode({"key": shop.publishable_key, "client_secret": secret, "payment_method": "pm_card_visa"})
    answer = await calls.call(shop.stripe, STANDIN_CONFIRM, "POST",
                              f"/v1/payment_intents/{secret.split('_secret_')[0]}/confirm", body=form.encode(),
                              content_type="application/x-www-form-urlencoded")
    if answer.status != 200 or answer.json().get("status") != "succeeded":
        return Bought(False, problem=f"payment answered {answer.status} {answer.body[:200]!r}")
    confirmed = time.perf_counter()
    path = f"/api/v1/orders/{order['order_id']}"
    answer = await calls.call(shop.app, "POST /orders/{id}/settle", "POST", f"{path}/settle", cookie=cookie)
    by_settle = answer.status == 200 and answer.json()["status"] == "paid"
    deadline = time.monotonic() + shop.paid_timeout_s
    while not (answer.status == 200 and answer.json()["status"] == "paid"):
        if time.monotonic() > deadline:
            return Bought(False, problem=f"order {order['order_id']} not paid {shop.paid_timeout_s:g} s after "
                                         "payment")
        await asyncio.sleep(shop.poll_s)
        answer = await calls.call(shop.app, "GET /orders/{id}", "GET", path, cookie=cookie)
    if calls.recording:
        calls.latencies[PAYMENT_TO_PAID].append((time.perf_counter() - confirmed) * 1000)
    return Bought(True, seats=len(answer.json()["tickets"]), by_settle=by_settle)


# ---------------------------------------------------------------- the processes


def app_processes(launcher: int) -> list[int]:
    """The app processes under the launcher: uvicorn's supervisor and its workers, not the Stripe stand-in."""
    found: list[int] = []
    frontier = [str(launcher)]
    while frontier:
        kids = subprocess.run(["pgrep", "-P", ",".join(frontier)], capture_output=True, text=True).stdout.split()
        kids = [kid for kid in kids if not _is_standin(kid)]
        found += [int(kid) for kid in kids]
        frontier = kids
    return found


def standin_processes(launcher: int) -> list[int]:
    """The Stripe stand-in under the launcher (its CPU is reported beside the app's: it answers every payment)."""
    kids = subprocess.run(["pgrep", "-P", str(launcher)], capture_output=True, text=True).stdout.split()
    return [int(kid) for kid in kids if _is_standin(kid)]


def _is_standin(pid: str) -> bool:
    try:
        return "stripe_standin" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except FileNotFoundError:
        return False


def start_redis(kind: str, var_dir: Path, cleanup: list[Callable[[], Any]]) -> tuple[dict[str, str], Any, str,
                                                                                   list[int]]:
    """(the app's environment, a client for the bench's own writes, a label, the Redis processes' pids)."""
    from redis.asyncio import Redis
    from redis.asyncio.cluster import ClusterNode, RedisCluster

    from backend.launcher.processes import stop

    if kind == "cluster":
        from tests.support.cluster import ValkeyCluster

        cluster = ValkeyCluster(var_dir / "cluster").start()
        cleanup.append(cluster.stop)
        nodes = [ClusterNode(*address.split(":")) for address in cluster.startup_nodes.split(",")]
        return ({"REDIS_CLUSTER_NODES": cluster.startup_nodes}, RedisCluster(startup_nodes=nodes),
                f"a Valkey Cluster of {len(cluster.nodes)} nodes (3 masters + 3 replicas)",
                [node.process.pid for node in cluster.nodes if node.process is not None])
    from backend.launcher.embedded_valkey import start_valkey

    valkey, url = start_valkey(var_dir / "valkey")
    cleanup.append(lambda: stop(valkey))
    return ({"REDIS_URL": url}, Redis.from_url(url.replace("valkey://", "redis://", 1)), "one embedded Valkey",
            [valkey.pid])


async def seed_fans(redis: Any, count: int, server_url: str, batch: int = 1_000) -> list:
    """Signed-in fans, their profile rows and sessions written straight (the tests' helper, which checks one
    through GET /auth/me): registering them through the API would cost an argon2 hash each."""
    from tests.realtime.fans import signed_in

    return [fan for start in range(0, count, batch)
            for fan in await signed_in(redis, min(batch, count - start), server_url)]


def database_label() -> str:
    import os

    return "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"


# ---------------------------------------------------------------- the end checks


@dataclass
class Checks:
    tickets: int
    paid_seats: int
    seats_sold_twice: int
    paid_orders: int
    paid_orders_without_tickets: int
    ledger_entries: int
    ledger_chains: int
    ledger_ok: bool
    ledger_problem: str | None

    @property
    def passed(self) -> bool:
        return (self.tickets == self.paid_seats and self.seats_sold_twice == 0
                and self.paid_orders_without_tickets == 0 and self.ledger_ok)

    def sentence(self, problems: list[str]) -> str:
        verdict = "passed" if self.passed and not problems else "FAILED"
        return (f"End checks ({verdict}): tickets {self.tickets:,} == paid seats {self.paid_seats:,}; seats sold "
                f"twice: {self.seats_sold_twice}; paid orders without tickets: {self.paid_orders_without_tickets} "
                f"of {self.paid_orders:,}; ledger: {self.ledger_entries:,} entries in {self.ledger_chains} "
                "chain(s), " + ("every chain verifies." if self.ledger_ok else f"BROKEN ({self.ledger_problem}).")
                + (f" Problems seen by the fans: {len(problems)} (first: {problems[0]})." if problems else ""))


async def end_checks(show_id: int) -> Checks:
    """Tickets equal the paid orders' seats, no seat sold twice, every paid order ticketed, the ledger verifies."""
    from backend.payments.ledger import verify_chain
    from db.tables import Order, OrderItem, Ticket

    tickets = await Ticket.count().where(Ticket.show == show_id)
    paid_seats = await OrderItem.count().where((OrderItem.order.show == show_id)
                                               & (OrderItem.order.status == "paid"))
    twice = await Ticket.raw("SELECT seat FROM ticket WHERE show = {} GROUP BY seat HAVING COUNT(*) > 1", show_id)
    paid_orders = await Order.count().where((Order.show == show_id) & (Order.status == "paid"))
    bare = await Order.raw('SELECT id FROM orders WHERE show = {} AND status = {} AND id NOT IN '
                           '(SELECT "order" FROM ticket WHERE show = {})', show_id, "paid", show_id)
    ledger = await verify_chain()
    return Checks(tickets, paid_seats, len(twice), paid_orders, len(bare), ledger.entries, ledger.chains, ledger.ok,
                  ledger.problem)
