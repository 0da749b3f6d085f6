"""The PostgreSQL primary dies mid-sale (SIGKILL) and its streaming standby is promoted: the app carries on by itself,
and the reconciler repairs what asynchronous replication lost.

A private primary and standby (tests/support/postgres_pair.py, Debian's binaries); the app server on the multi-host
URL `postgresql://primary,standby/showtime?target_session_attrs=read-write`, migrated through it, with the Stripe
stand-in. Fans hold seats, check out, pay at the stand-in and settle, over real HTTP. To make sure the failover
loses commits (on localhost the standby is otherwise a few milliseconds behind), the primary's WAL sender is
stopped first, as a slow or cut link between them would; the sale goes on until payments were made whose orders
the standby never received; then the primary is killed and the standby promoted.

Meanwhile the app answers 2xx, 4xx or 503 (with Retry-After, in the error shape), never another 5xx. The outage
(from the first request that failed to the first write, a checkout or a settlement sent after it, that succeeded: only
a primary serves those) is printed.

Afterwards, on the new primary: every payment the stand-in says succeeded has an order `paid` with its tickets, or
`refunded` (and refunded at Stripe); no seat has two tickets; the ledger verifies (`just verify-ledger`).

It starts its own PostgreSQL pair whatever the run's database, so CI runs it once (pass 1; pass 2 ignores it).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest
import stripe

from backend.launcher.serve import STANDIN_SECRET_KEY
from backend.settings import PROJECT_ROOT
from tests.conftest import ENV, STRONG_PASSWORD, unique_email
from tests.payments.helpers import Standin, intent_id_of
from tests.support.ci_output import say
from tests.support.postgres_pair import PostgresPair, postgres_bin_dir
from tests.support.servers import ServerProcess

FANS = 8
WARM_UP_PAYMENTS = 2  # payments made (and settled) while the standby follows, before it stops hearing the primary
LOST_SALES = 2  # sales settled (paid, tickets) while the standby heard nothing, before the primary is killed
AFTER_RECOVERY_S = 2.0
REPAIR_TIMEOUT_S = 60.0
# An answer, even a "no": the service is up. 422 is too_many_seats: a fan whose order the failover lost still has its
# hold, which the next holds join up to the per-order limit.
SERVED = {200, 201, 204, 404, 409, 422}

CREATE_SHOW = """
import asyncio, json
from tests.support.data import create_show

show = asyncio.run(create_show(rows=6, seats_per_row=10))
print(json.dumps({"id": show.id, "seat_ids": show.seat_ids}))
"""


@pytest.fixture(scope="module")
def pair() -> Iterator[PostgresPair]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's binaries are missing: .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are not installed: "
                    "apt-get install postgresql; CI installs them")
    started = PostgresPair(bin_dir).start()
    try:
        yield started
    finally:
        started.stop()


def _with_database(pair: PostgresPair, *command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": pair.url()}
    return subprocess.run([sys.executable, *command], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def show(pair: PostgresPair) -> dict:
    """Migrations through the multi-host URL, then a small show of its own (so the server seeds no demo data)."""
    migrated = _with_database(pair, "-m", "db.manage", "migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    created = _with_database(pair, "-c", CREATE_SHOW)
    assert created.returncode == 0, created.stdout + created.stderr
    return json.loads(created.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def server(pair: PostgresPair, show: dict, redis_url: str) -> Iterator[ServerProcess]:
    var_dir = ENV.var_dir / "pg-failover"
    var_dir.mkdir(parents=True, exist_ok=True)
    # The reconciler every second: the repair comes within a test's patience. A ledger checkpoint every second: the
    # ledger must verify through every checkpoint that survived the failover.
    process = ServerProcess(var_dir=var_dir, name="pg-failover", env={
        "DATABASE_URL": pair.url(), "REDIS_URL": redis_url, "RECONCILE_INTERVAL_SECONDS": "1",
        "LEDGER_CHECKPOINT_SECONDS": "1"}).start()
    try:
        yield process
    finally:
        process.stop()


@dataclass
class Sale:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # what the requests that were not served got
    bad: list[str] = field(default_factory=list)  # a 5xx other than 503, or a 503 without Retry-After or its shape
    first_failure: float | None = None
    served_at: list[float] = field(default_factory=list)  # when each answer that is not a failure came
    # (sent, answered) of each checkout and settlement served: writes, which only a primary can serve
    writes_served: list[tuple[float, float]] = field(default_factory=list)
    paused_at: float | None = None
    # (intent, when its settlement answered) of the sales settled after the standby stopped hearing the primary
    settled_unreplicated: list[tuple[str, float]] = field(default_factory=list)
    paid: int = 0

    def record(self, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        self.statuses[status] += 1
        where = f"{response.request.method} {response.request.url.path}"
        if status >= 500:
            try:
                shaped = {"error", "detail"} <= set(response.json())
            except ValueError:
                shaped = False
            if status != 503 or not shaped or not response.headers.get("Retry-After", "").isdigit():
                self.bad.append(f"{where} -> {status}: {response.text[:200]}")
        if status in SERVED:
            self.served_at.append(time.monotonic())
        else:
            self.failed(str(status))
        return response

    def failed(self, what: str) -> None:
        self.failures[what] += 1
        if self.first_failure is None:
            self.first_failure = time.monotonic()


async def _register(server: ServerProcess) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.url, timeout=30)
    response = await client.post("/api/v1/auth/register",
                                 json={"email": unique_email("pgfail"), "password": STRONG_PASSWORD, "name": "Fan"})
    assert response.status_code == 201, response.text
    return client


async def _shop(fan: httpx.AsyncClient, standin: Standin, show: dict, sale: Sale, stop: asyncio.Event) -> None:
    """Hold two seats, check out, pay at the stand-in, settle; again until told to stop."""
    rng = random.Random(secrets.randbits(32))
    while not stop.is_set():
        try:
            hold = sale.record(await fan.post(f"/api/v1/shows/{show['id']}/holds",
                                              json={"seat_ids": rng.sample(show["seat_ids"], 2)}))
            if hold.status_code != 201:
                await asyncio.sleep(0.05)
                continue
            began = time.monotonic()
            checkout = sale.record(await fan.post(f"/api/v1/shows/{show['id']}/checkout",
                                                  json={"hold_id": hold.json()["hold_id"]}))
            if checkout.status_code not in (200, 201):
                await asyncio.sleep(0.05)
                continue
            sale.writes_served.append((began, time.monotonic()))
            order = checkout.json()
            confirmed = await standin.confirm(order["payment"]["client_secret"])
            if confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded":
                sale.paid += 1
            sent = time.monotonic()
            settled = sale.record(await fan.post(f"/api/v1/orders/{order['order_id']}/settle"))
            if settled.status_code == 200:
                sale.writes_served.append((sent, time.monotonic()))
            if settled.status_code == 200 and settled.json()["status"] == "paid" and sale.paused_at is not None \
                    and began > sale.paused_at:
                # Its order, tickets and ledger row are on the primary only: if it dies now, they are lost.
                # Named from the order: the confirmation's own answer may have been lost (a 5xx or a timeout at the
                # stand-in while the machine is loaded) though the payment went through, which the settle found.
                intent = intent_id_of(order["payment"]["client_secret"])
                sale.settled_unreplicated.append((intent, time.monotonic()))
        except httpx.HTTPError as exc:
            sale.failed(type(exc).__name__)
            await asyncio.sleep(0.05)


async def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        await asyncio.sleep(0.05)


def _succeeded_intents(server: ServerProcess) -> list[stripe.PaymentIntent]:
    client = stripe.StripeClient(STANDIN_SECRET_KEY, base_addresses={"api": server.standin_url})  # type: ignore[arg-type]
    intents = client.v1.payment_intents.list(params={"limit": 100, "expand": ["data.latest_charge"]})
    return [intent for intent in intents.auto_paging_iter() if intent.status == "succeeded"]


async def _unsettled(db: asyncpg.Connection, intents: list[stripe.PaymentIntent]) -> list[str]:
    """The succeeded payments whose order is not (yet) paid with its tickets or refunded at Stripe."""
    rows = {row["payment_intent_id"]: row for row in await db.fetch(
        "SELECT o.payment_intent_id, o.status, (SELECT count(*) FROM order_item i WHERE i.order = o.id) AS items, "
        "(SELECT count(*) FROM ticket t WHERE t.order = o.id) AS tickets FROM orders o "
        "WHERE o.payment_intent_id = ANY($1::text[])", [intent.id for intent in intents])}
    refunded = {intent.id for intent in intents if intent.latest_charge and intent.latest_charge.amount_refunded}
    missing = []
    for intent in intents:
        row = rows.get(intent.id)
        if row is None or (row["status"] == "paid" and row["tickets"] != row["items"]) or row["status"] not in (
                "paid", "refunded") or (row["status"] == "refunded" and intent.id not in refunded):
            missing.append(f"{intent.id}: {dict(row) if row else 'no order'}")
    return missing


async def test_the_primary_dies_mid_sale_the_standby_takes_over_and_lost_payments_are_repaired(
        pair: PostgresPair, show: dict, server: ServerProcess, pytestconfig: pytest.Config) -> None:
    standin = Standin(server)
    fans = [await _register(server) for _ in range(FANS)]
    sale, stop = Sale(), asyncio.Event()
    shoppers = [asyncio.create_task(_shop(fan, standin, show, sale, stop)) for fan in fans]
    try:
        await _wait(lambda: sale.paid >= WARM_UP_PAYMENTS, 60, "payments before the failover")
        await asyncio.to_thread(pair.pause_streaming)
        sale.paused_at = time.monotonic()
        await _wait(lambda: len(sale.settled_unreplicated) >= LOST_SALES, 60,
                    f"{LOST_SALES} sales after the standby stopped hearing the primary")
        lag = await asyncio.to_thread(pair.lag_bytes)
        killed_at = time.monotonic()
        await asyncio.to_thread(pair.kill_primary)
        await asyncio.to_thread(pair.promote)
        promoted_after = time.monotonic() - killed_at
        # The outage: from the first request that failed to the first write (a checkout or a settlement) sent after
        # it that succeeded, i.e. served by the promoted standby.
        await _wait(lambda: sale.first_failure is not None and any(
            sent > sale.first_failure for sent, _ in sale.writes_served), 60,
                    "the app did not write again after the failover")
        assert sale.first_failure is not None
        back_at = min(answered for sent, answered in sale.writes_served if sent > sale.first_failure)
        answered_at = min((at for at in sale.served_at if at > killed_at + promoted_after), default=back_at)
        await asyncio.sleep(AFTER_RECOVERY_S)
    finally:
        stop.set()
        await asyncio.gather(*shoppers)
        for fan in fans:
            await fan.aclose()
    lost_sales = [intent for intent, answered in sale.settled_unreplicated if answered < killed_at]
    load = os.getloadavg()
    say(pytestconfig, f"\npostgres failover: standby {lag} bytes of WAL behind when the primary was killed; promoted "
                      f"after {promoted_after:.2f} s; outage (first failed request -> first write served after it) "
                      f"{back_at - sale.first_failure:.2f} s (the first failure {sale.first_failure - killed_at:+.2f} s "
                      f"from the kill; any request answered {answered_at - killed_at:.2f} s after the kill); failed "
                      f"requests {dict(sale.failures)}; answers "
                      f"{dict(sorted(sale.statuses.items()))}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    assert not sale.bad, sale.bad[:5]

    # The repair: every payment Stripe took ends paid with its tickets, or refunded, on the new primary.
    db = await asyncpg.connect(pair.node_url(pair.standby))
    try:
        intents = await asyncio.to_thread(_succeeded_intents, server)
        lost = await _unsettled(db, intents)
        deadline = time.monotonic() + REPAIR_TIMEOUT_S
        unsettled = lost
        while unsettled:
            assert time.monotonic() < deadline, f"payments not repaired within {REPAIR_TIMEOUT_S:.0f} s: {unsettled}"
            await asyncio.sleep(0.5)
            intents = await asyncio.to_thread(_succeeded_intents, server)
            unsettled = await _unsettled(db, intents)
        outcomes = Counter(row["status"] for row in await db.fetch(
            "SELECT status FROM orders WHERE payment_intent_id = ANY($1::text[])", [i.id for i in intents]))
        say(pytestconfig, f"postgres failover: payments at Stripe {len(intents)} ({sale.paid} by the fans), "
                          f"{len(lost)} of them unsettled on the new primary right after the failover, all repaired: "
                          f"orders {dict(outcomes)}")
        # The sales settled after the standby stopped hearing the primary were lost with it, orders and all: the
        # reconciler wrote the orders again from their intents' metadata and sold them the same seats again (Redis,
        # which did not fail over, kept those seats sold: nobody else could take them).
        restored = server.log_text().count("its order was lost; written again as order")
        resold = await db.fetch(
            "SELECT o.payment_intent_id, o.status, (SELECT count(*) FROM ticket t WHERE t.order = o.id) AS tickets "
            "FROM orders o WHERE o.payment_intent_id = ANY($1::text[])", lost_sales)
        say(pytestconfig, f"postgres failover: orders written again from Stripe's metadata: {restored}; of the "
                          f"{len(lost_sales)} sales the standby never received: "
                          f"{dict(Counter(row['status'] for row in resold))}")
        assert restored >= LOST_SALES, "the orders the failover lost were not written again"
        assert len(resold) == len(lost_sales) and all(
            row["status"] == "paid" and row["tickets"] for row in resold), [dict(row) for row in resold]
        doubles = await db.fetch("SELECT seat, count(*) FROM ticket WHERE show = $1 GROUP BY seat HAVING count(*) > 1",
                                 show["id"])
        assert not doubles, f"seats sold twice: {doubles}"
    finally:
        await db.close()
    verified = await asyncio.to_thread(_with_database, pair, "-m", "backend.payments", "verify-ledger")
    say(pytestconfig, f"postgres failover: verify-ledger: {(verified.stdout + verified.stderr).strip()[-300:]}")
    assert verified.returncode == 0, verified.stdout + verified.stderr
