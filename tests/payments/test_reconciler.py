"""Lost webhooks and crashed processes lose no paid order and leave no seat stuck: the reconciler reads pending
orders back from Stripe and settles them by the webhook's own path; unpaid orders expire with their intent
canceled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess

from db.tables import Order, Ticket
from tests.payments.helpers import (
    Standin,
    hold_and_checkout,
    intent_id_of,
    order_status_becomes,
)
from tests.support.data import create_show


async def _statuses(fan, show_id: int) -> dict[str, str]:
    return {s["id"]: s["status"] for s in (await fan.get(f"/api/v1/shows/{show_id}/map")).json()["seats"]}


async def test_lost_webhook_is_settled_by_the_reconciler(reconciling_server, fan_on) -> None:
    server = reconciling_server
    show = await create_show()
    fan = await fan_on(server)
    seats = show.rows["Front/A"][:2]
    order = await hold_and_checkout(fan, show.id, seats)
    standin = Standin(server)
    async with standin.webhooks_lost():
        await standin.pay(order["payment"]["client_secret"])
    events = await standin.events(payment_intent=intent_id_of(order["payment"]["client_secret"]),
                                  type="payment_intent.succeeded")
    assert [e["delivery"]["status"] for e in events] == ["not_sent"]

    paid = await order_status_becomes(fan, order["order_id"], "paid", timeout=15)
    assert sorted(t["seat"]["id"] for t in paid["tickets"]) == sorted(seats)
    assert [(await _statuses(fan, show.id))[seat] for seat in seats] == ["sold", "sold"]


async def test_server_killed_before_the_webhook_loses_nothing(reconciling_server, fan_on) -> None:
    """The app process dies; the stand-in accepts the payment and fails to deliver; everything restarts."""
    server = reconciling_server
    show = await create_show()
    fan = await fan_on(server)
    seats = show.rows["Back/C"][:3]
    order = await hold_and_checkout(fan, show.id, seats)
    intent_id = intent_id_of(order["payment"]["client_secret"])

    # Freeze the app (killing it alone would make the launcher stop the stand-in too): the stand-in accepts
    # the payment and its webhook goes nowhere; then the whole server dies hard.
    app_pids = await asyncio.to_thread(subprocess.run, ["pgrep", "-P", str(server.process.pid), "-f", "uvicorn"],
                                       capture_output=True, text=True)
    assert app_pids.stdout.split(), "the app's uvicorn process was not found"
    for pid in app_pids.stdout.split():
        os.kill(int(pid), signal.SIGSTOP)
    standin = Standin(server)
    await standin.pay(order["payment"]["client_secret"])
    events = await standin.events(payment_intent=intent_id, type="payment_intent.succeeded")
    assert [e["delivery"]["status"] for e in events] == ["pending"]
    server.kill()  # the launcher and the stand-in go down hard too
    assert (await Order.select(Order.status).where(Order.id == int(order["order_id"])).first())["status"] == (
        "pending_payment")
    server.start()

    paid = await order_status_becomes(fan, order["order_id"], "paid", timeout=20)
    assert sorted(t["seat"]["id"] for t in paid["tickets"]) == sorted(seats)
    assert await Ticket.count().where(Ticket.order == int(order["order_id"])) == 3
    assert [(await _statuses(fan, show.id))[seat] for seat in seats] == ["sold"] * 3


async def test_lost_webhook_and_crash_are_settled_on_start(short_hold_server, fan_on) -> None:
    """No webhook will ever come and the periodic pass is an hour away: the pass on start settles it."""
    server = short_hold_server
    show = await create_show()
    fan = await fan_on(server)
    order = await hold_and_checkout(fan, show.id, show.rows["Front/D"][:2])
    standin = Standin(server)
    async with standin.webhooks_lost():
        await standin.pay(order["payment"]["client_secret"])
        server.kill()
        server.start()
        paid = await order_status_becomes(fan, order["order_id"], "paid", timeout=20)
        assert len(paid["tickets"]) == 2


async def test_unpaid_order_expires_and_its_intent_is_canceled(reconciling_server, fan_on) -> None:
    server = reconciling_server
    show = await create_show()
    fan = await fan_on(server)
    seats = show.rows["Front/B"][4:6]
    order = await hold_and_checkout(fan, show.id, seats)
    standin = Standin(server)
    declined = await standin.confirm(order["payment"]["client_secret"], payment_method="pm_card_chargeDeclined")
    assert declined.status_code == 402

    expired = await order_status_becomes(fan, order["order_id"], "expired", timeout=20)
    assert expired["tickets"] == [] and expired["last_payment_error"]["code"] == "card_declined"
    intent = await standin.intent(intent_id_of(order["payment"]["client_secret"]))
    assert intent["status"] == "canceled"
    too_late = await standin.confirm(order["payment"]["client_secret"])
    assert too_late.status_code == 400  # nobody can pay an expired order any more
    assert [(await _statuses(fan, show.id))[seat] for seat in seats] == ["available", "available"]
