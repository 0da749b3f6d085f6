"""Cancelling a show (API.md, "Organizers"): the show is `cancelled` at once (the catalog says so, holds and checkout
answer 409 show_cancelled) and a job refunds every paid order; `GET .../cancel` follows it to `done`.

The crash test: paid orders made fast through the settlement API (an intent paid at the Stripe stand-in, then
settle_intent, as the webhook would), the show cancelled, the cancellation job run as a process of its own
(`python -m backend.payments run-cancellations`) and SIGKILLed half-way through, then started again: every order is
refunded exactly once (the stand-in's refunds per intent), the ledger has one refund row per order and verifies
(`just verify-ledger`'s command). CANCELLATION_TEST_ORDERS sets how many orders (default 40; the issue's run is 500).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from backend.infra.leases import Leases
from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY, STANDIN_SECRET_KEY
from backend.payments import settlement
from backend.payments.cancellation import JOB
from backend.payments.gateway import StripeGateway
from backend.payments.refunds import CANCELLATION
from backend.settings import PROJECT_ROOT
from backend.timeutil import utcnow
from db.tables import Order, OrderItem, PaymentLedgerEntry, Profile, Refund, Show
from realtime.waiting_room import Admissions
from tests.organizer.support import show_of, standin_refunds
from tests.payments.helpers import Standin, eventually, hold
from tests.support.ci_output import say
from tests.tickets.devices import buy

ORDERS = int(os.environ.get("CANCELLATION_TEST_ORDERS", "40"))
PRICE = 5000  # create_show's front section


async def test_a_cancelled_show_refunds_every_paid_order(server, make_organizer, make_fan, anon) -> None:
    organizer, fan, other = await make_organizer(), await make_fan(), await make_fan()
    show = await show_of(organizer, rows=1, seats_per_row=8)
    row = show.rows["Front/A"]
    bought = [await buy(server, fan, show.id, row[:2]), await buy(server, other, show.id, row[2:3])]
    held = await hold(fan, show.id, row[4:5])
    not_yet = await organizer.get(f"/api/v1/organizer/shows/{show.id}/cancel")
    assert (not_yet.status_code, not_yet.json()["error"]) == (409, "show_not_cancelled")

    answer = await organizer.post(f"/api/v1/organizer/shows/{show.id}/cancel", json={"reason": "The band is ill."})
    assert answer.status_code == 202, answer.text
    assert answer.json()["total"] == 2 and answer.json()["refunded"] in (0, 1, 2)
    # At once: no new hold, no checkout of an old one; the catalog says cancelled.
    refused = await other.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": [row[6]]})
    assert (refused.status_code, refused.json()["error"]) == (409, "show_cancelled")
    late = await fan.post(f"/api/v1/shows/{show.id}/checkout", json={"hold_id": held["hold_id"]})
    assert (late.status_code, late.json()["error"]) == (409, "show_cancelled")

    async def listed_cancelled() -> bool:
        return (await anon.get(f"/api/v1/shows/{show.id}")).json()["status"] == "cancelled"

    await eventually(listed_cancelled, timeout=5)

    async def done() -> dict | None:
        progress = (await organizer.get(f"/api/v1/organizer/shows/{show.id}/cancel")).json()
        return progress if progress["done"] else None

    assert await eventually(done, timeout=60, interval=0.5) == {"refunded": 2, "total": 2, "done": True}
    for tickets in bought:
        order = tickets[0]["order_id"]
        intent = (await Order.select(Order.payment_intent_id).where(Order.id == int(order)).first())[
            "payment_intent_id"]
        amount = sum(t["price_cents"] for t in tickets)
        assert (await standin_refunds(server, intent))["by_payment_intent"][intent] == {"count": 1, "amount": amount}
    mine = (await fan.get(f"/api/v1/orders/{bought[0][0]['order_id']}")).json()
    assert (mine["status"], mine["refund_reason"], mine["tickets"]) == ("refunded", "show_cancelled", [])
    # Asking again changes nothing; another organization's show is unknown.
    again = await organizer.post(f"/api/v1/organizer/shows/{show.id}/cancel", json={"reason": "Again."})
    assert again.status_code == 202 and again.json() == {"refunded": 2, "total": 2}
    stranger = await make_organizer()
    assert (await stranger.post(f"/api/v1/organizer/shows/{show.id}/cancel", json={"reason": "x"})).status_code == 404
    assert (await stranger.get(f"/api/v1/organizer/shows/{show.id}/cancel")).status_code == 404
    assert (await Show.select(Show.cancel_reason).where(Show.id == show.id).first())["cancel_reason"] == \
        "The band is ill."


async def _paid_orders(gateway: StripeGateway, standin: Standin, redis, show_id: int, seat_ids: list[str]) -> list[int]:
    """One paid order per seat: written as checkout writes them (in two bulk statements), each paid at the stand-in
    and settled by this process as the webhook would settle it (the webhooks themselves are held back, so the
    server does not settle the same orders at the same moment: SQLite has one writer)."""
    profiles = [(await Profile.insert(Profile(email=f"c-{secrets.token_hex(6)}@example.com", name="C",
                                              password_hash="!")).returning(Profile.id))[0]["id"] for _ in range(5)]
    rows = await Order.insert(*(Order(
        profile=profiles[index % len(profiles)], show=show_id, hold_id=f"h{show_id}_{secrets.token_urlsafe(12)}",
        status="pending_payment", amount_cents=PRICE, currency="EUR", expires_at=utcnow() + timedelta(minutes=10),
    ) for index in range(len(seat_ids)))).returning(Order.id)
    order_ids = [row["id"] for row in rows]
    await OrderItem.insert(*(OrderItem(order=order_id, seat=int(seat), price_cents=PRICE)
                             for order_id, seat in zip(order_ids, seat_ids, strict=True)))
    limit = asyncio.Semaphore(8)
    turns = Admissions(redis)

    async def one(order_id: int) -> None:
        async with limit:
            intent = await gateway.create_intent(amount_cents=PRICE, currency="EUR",
                                                 metadata={"order_id": str(order_id)}, description="cancel test",
                                                 idempotency_key=f"cancel-test-{order_id}-{secrets.token_hex(4)}")
            await Order.update({Order.payment_intent_id: intent.id}).where(Order.id == order_id)
            await standin.pay(intent.client_secret)
            paid = await gateway.retrieve_intent(intent.id)
            assert await settlement.settle_intent(redis, gateway, paid, utcnow(), turns=turns) == "paid"

    async with standin.webhooks_lost():
        await asyncio.gather(*(one(order_id) for order_id in order_ids))
    return order_ids


def _job(server, redis_url: str, show_id: int, owner: str) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": redis_url, "STRIPE_SECRET_KEY": STANDIN_SECRET_KEY,
           "STRIPE_PUBLISHABLE_KEY": STANDIN_PUBLISHABLE_KEY, "STRIPE_API_BASE": server.standin_url,
           "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "backend.payments", "run-cancellations", "--until-done", "--show", str(show_id),
         "--owner", owner], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


async def _refunds_paid(show_id: int) -> int:
    return await Refund.count().where((Refund.show == show_id) & (Refund.kind == CANCELLATION)
                                      & Refund.refunded_at.is_not_null())


@pytest.mark.cancellation
@pytest.mark.timeout(300 + 3 * ORDERS)  # the 500 orders take minutes on a loaded machine
async def test_the_job_killed_half_way_refunds_every_order_exactly_once(server, make_organizer, redis, redis_url,
                                                                        pytestconfig) -> None:
    organizer = await make_organizer()
    per_row = 20
    show = await show_of(organizer, rows=max(1, -(-ORDERS // per_row)), seats_per_row=per_row)
    seats = [seat for key, ids in show.rows.items() if key.startswith("Front/") for seat in ids][:ORDERS]
    assert len(seats) == ORDERS
    gateway = StripeGateway(secret_key=STANDIN_SECRET_KEY, publishable_key=STANDIN_PUBLISHABLE_KEY,
                            webhook_secret=None, api_base=server.standin_url)
    started = time.monotonic()
    try:
        orders = await _paid_orders(gateway, Standin(server), redis, show.id, seats)
    finally:
        await gateway.close()
    say(pytestconfig, f"cancellation test: {ORDERS} paid orders made in {time.monotonic() - started:.1f} s "
        f"(load {os.getloadavg()[0]:.1f})")

    # The job's process holds the show's lease from the start (under a name it keeps across its restart), so the
    # server's own job stays out of this show while the process lives.
    owner = f"cancel-test-{secrets.token_hex(4)}"
    assert await Leases(redis, JOB, owner=owner, ttl_ms=30_000).hold(show.id)
    answer = await organizer.post(f"/api/v1/organizer/shows/{show.id}/cancel", json={"reason": "Storm warning."})
    assert answer.status_code == 202 and answer.json() == {"refunded": 0, "total": ORDERS}

    job = _job(server, redis_url, show.id, owner)
    try:
        deadline = time.monotonic() + 120
        while await _refunds_paid(show.id) < ORDERS // 3:
            assert job.poll() is None, job.stdout.read().decode() if job.stdout else ""
            assert time.monotonic() < deadline, "the job refunded too little in 120 s"
            await asyncio.sleep(0.02)
        job.send_signal(signal.SIGKILL)
        job.wait(10)
    finally:
        if job.poll() is None:
            job.kill()
    at_kill = await _refunds_paid(show.id)
    assert at_kill < ORDERS, "the job finished before it was killed: nothing was resumed"
    say(pytestconfig, f"cancellation test: killed after {at_kill} of {ORDERS} refunds")

    again = _job(server, redis_url, show.id, owner)
    try:
        output, _ = await asyncio.to_thread(again.communicate, timeout=60 + ORDERS)
    finally:
        if again.poll() is None:
            again.kill()
    assert again.returncode == 0, output.decode()[-3000:]

    intents = {row["id"]: row["payment_intent_id"] for row in await Order.select(
        Order.id, Order.payment_intent_id).where(Order.id.is_in(orders))}
    counted = (await standin_refunds(server))["by_payment_intent"]
    assert sum(counted[intent]["count"] for intent in intents.values()) == ORDERS
    assert all(counted[intent] == {"count": 1, "amount": PRICE} for intent in intents.values())
    statuses = await Order.select(Order.status, Order.refunded_cents).where(Order.id.is_in(orders))
    assert all((row["status"], row["refunded_cents"]) == ("refunded", PRICE) for row in statuses)
    refunds = await PaymentLedgerEntry.count().where(
        (PaymentLedgerEntry.chain == show.id) & (PaymentLedgerEntry.kind == "refund"))
    assert refunds == ORDERS
    progress = (await organizer.get(f"/api/v1/organizer/shows/{show.id}/cancel")).json()
    assert progress == {"refunded": ORDERS, "total": ORDERS, "done": True}
    verified = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "backend.payments", "verify-ledger"], cwd=PROJECT_ROOT,
        env={**os.environ, "REDIS_URL": redis_url}, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
