"""The three lifecycle bugs of issue 10, each reproduced through the public API on a real server, the Stripe stand-in
driven as Stripe.js and Stripe would: what the fan pays for is always what they hold."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
from redis.asyncio import Redis

from backend.payments.gateway import StripeGateway
from backend.payments.reconciler import reconcile_once
from backend.timeutil import utcnow
from db.tables import PaymentLedgerEntry, Ticket
from realtime.waiting_room import Admissions
from tests.payments.helpers import Standin, eventually, hold, intent_id_of, order_status_becomes
from tests.payments.lifecycle.conftest import ADMISSION_SECONDS, GRACE_SECONDS, HOLD_SECONDS
from tests.support.data import TestShow, create_show
from tests.support.servers import ServerProcess


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _checkout(client: httpx.AsyncClient, show_id: int, hold_id: str) -> httpx.Response:
    return await client.post(f"/api/v1/shows/{show_id}/checkout", json={"hold_id": hold_id})


# ------------------------------------------------------------------ 1. the order is a snapshot of its hold


async def test_releasing_a_seat_after_checkout_charges_only_the_seats_kept(
    lifecycle_server: ServerProcess, lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    fan = lifecycle_fans[0]
    show = await create_show()
    seat_a, seat_b = show.rows["Front/A"][:2]
    held = await hold(fan, show.id, [seat_a, seat_b])
    first = await _checkout(fan, show.id, held["hold_id"])
    assert first.status_code == 201 and first.json()["amount_cents"] == 10_000

    released = await fan.delete(f"/api/v1/holds/{held['hold_id']}/seats/{seat_b}")
    assert released.status_code == 200 and released.json()["amount_cents"] == 5_000

    # The open order was for two seats: it is cancelled (its PaymentIntent too), and checkout makes a new one.
    old = (await fan.get(f"/api/v1/orders/{first.json()['order_id']}")).json()
    assert old["status"] == "cancelled"
    standin = Standin(lifecycle_server)
    assert (await standin.intent(intent_id_of(first.json()["payment"]["client_secret"])))["status"] == "canceled"
    refused = await standin.confirm(first.json()["payment"]["client_secret"])
    assert refused.status_code == 400, "a cancelled order's PaymentIntent can never be charged"

    second = await _checkout(fan, show.id, held["hold_id"])
    assert second.status_code == 201, second.text
    assert second.json()["order_id"] != first.json()["order_id"]
    assert second.json()["amount_cents"] == 5_000

    await standin.pay(second.json()["payment"]["client_secret"])
    paid = await order_status_becomes(fan, second.json()["order_id"], "paid")
    assert [t["seat"]["id"] for t in paid["tickets"]] == [seat_a]
    assert paid["amount_cents"] == sum(t["price_cents"] for t in paid["tickets"])
    assert await Ticket.count().where(Ticket.seat == int(seat_b)) == 0
    seat_map = {s["id"]: s["status"] for s in (await fan.get(f"/api/v1/shows/{show.id}/map")).json()["seats"]}
    assert seat_map[seat_a] == "sold" and seat_map[seat_b] == "available"


async def test_adding_a_seat_after_checkout_puts_it_in_the_next_order(
    lifecycle_server: ServerProcess, lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    fan = lifecycle_fans[0]
    show = await create_show()
    seat_a, seat_b = show.rows["Back/A"][:2]
    held = await hold(fan, show.id, [seat_a])
    first = (await _checkout(fan, show.id, held["hold_id"])).json()
    joined = await hold(fan, show.id, [seat_b])
    assert joined["hold_id"] == held["hold_id"] and joined["amount_cents"] == 6_000
    assert (await fan.get(f"/api/v1/orders/{first['order_id']}")).json()["status"] == "cancelled"

    second = (await _checkout(fan, show.id, held["hold_id"])).json()
    assert second["amount_cents"] == 6_000
    await Standin(lifecycle_server).pay(second["payment"]["client_secret"])
    paid = await order_status_becomes(fan, second["order_id"], "paid")
    assert sorted(t["seat"]["id"] for t in paid["tickets"]) == sorted([seat_a, seat_b])


# ------------------------------------------------------------------ 2. the waiting room lets a fan back in line


async def _join(client: httpx.AsyncClient, show_id: int) -> dict:
    response = await client.post(f"/api/v1/shows/{show_id}/queue")
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _admitted(client: httpx.AsyncClient, show_id: int) -> dict | None:
    body = (await client.get(f"/api/v1/shows/{show_id}/queue/me")).json()
    return body if body["admitted"] else None


async def _admitted_to_new_show(fan: httpx.AsyncClient) -> tuple[TestShow, dict]:
    """A new show with a waiting room, the fan admitted to it: (show, the fan's first entry)."""
    show = await create_show(queue_enabled=True)
    first = await _join(fan, show.id)
    await eventually(lambda: _admitted(fan, show.id), 10)
    return show, first


async def _join_again_and_shop(fan: httpx.AsyncClient, show: TestShow, first: dict, seat_ids: list[str]) -> None:
    """The turn is over: joining again gives a new number at the back with a live position; with nobody else in
    line the fan is let in at once and can hold seats again."""
    again = await _join(fan, show.id)
    assert again["number"] > first["number"], "a new number at the back, never the old served one"
    assert again["queue_id"] != first["queue_id"] and again["position"] is not None
    admitted = await eventually(lambda: _admitted(fan, show.id), 10)
    assert admitted["number"] == again["number"]
    assert (await fan.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": seat_ids})).status_code == 201


async def test_release_all_ends_the_turn_and_joining_again_lets_the_fan_back_in(
    lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    fan = lifecycle_fans[0]
    show, first = await _admitted_to_new_show(fan)
    held = await hold(fan, show.id, show.rows["Front/A"][:1])
    assert (await fan.delete(f"/api/v1/holds/{held['hold_id']}")).status_code == 204
    await _join_again_and_shop(fan, show, first, show.rows["Front/A"][1:2])


async def test_an_expired_admission_ends_the_turn_and_joining_again_lets_the_fan_back_in(
    lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    fan = lifecycle_fans[1]
    show, first = await _admitted_to_new_show(fan)
    await asyncio.sleep(ADMISSION_SECONDS + 0.5)
    refused = await fan.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": show.rows["Back/A"][:1]})
    assert refused.status_code == 403 and refused.json()["error"] == "queue_required"
    await _join_again_and_shop(fan, show, first, show.rows["Back/A"][:1])


async def test_joining_again_never_moves_ahead_of_those_waiting(lifecycle_fans: list[httpx.AsyncClient]) -> None:
    """Capacity 2: a and b shop, c waits; a leaves and joins again: c is let in first, a waits behind c."""
    a, b, c = lifecycle_fans
    show = await create_show(queue_enabled=True)
    for client in (a, b):
        await _join(client, show.id)
        await eventually(lambda client=client: _admitted(client, show.id), 10)
    for client in (a, b):  # both are shopping: their admission is live for as long as their holds
        await hold(client, show.id, show.rows["Front/B"][:1] if client is a else show.rows["Front/B"][1:2])
    waiting = await _join(c, show.id)
    assert waiting["admitted"] is False and waiting["position"] >= 1
    a_hold = (await a.get(f"/api/v1/shows/{show.id}/queue/me")).json()
    assert a_hold["admitted"] is True

    # a releases everything: the turn ends, c is next; a, joining again, queues behind c.
    held = (await hold(a, show.id, show.rows["Front/B"][2:3]))
    assert (await a.delete(f"/api/v1/holds/{held['hold_id']}")).status_code == 204
    back = await _join(a, show.id)
    assert back["number"] > waiting["number"]
    await eventually(lambda: _admitted(c, show.id), 10)
    assert (await a.get(f"/api/v1/shows/{show.id}/queue/me")).json()["admitted"] is False


# ------------------------------------------------------------------ 3. a fan who paid in time keeps the seats


async def test_a_payment_confirmed_before_expiry_keeps_the_seats_while_the_webhook_is_late(
    lifecycle_server: ServerProcess, lifecycle_fans: list[httpx.AsyncClient], lifecycle_gateway: StripeGateway,
    redis: Redis,
) -> None:
    fan, rival = lifecycle_fans[0], lifecycle_fans[2]
    show = await create_show()
    seats = show.rows["Front/C"][:2]
    held = await hold(fan, show.id, seats)
    order = (await _checkout(fan, show.id, held["hold_id"])).json()

    # The web app says "paying" just before confirmPayment: the hold is extended once, by the grace period.
    paying = await fan.post(f"/api/v1/orders/{order['order_id']}/paying")
    assert paying.status_code == 200, paying.text
    extended = (await fan.get(f"/api/v1/holds/{held['hold_id']}")).json()
    gained = (_moment(extended["expires_at"]) - _moment(held["expires_at"])).total_seconds()
    assert abs(gained - GRACE_SECONDS) < 0.5, gained
    again = await fan.post(f"/api/v1/orders/{order['order_id']}/paying")
    assert again.status_code == 200
    assert (await fan.get(f"/api/v1/holds/{held['hold_id']}")).json()["expires_at"] == extended["expires_at"], (
        "the grace is given once per order")
    # Paying freezes the seats: a change now is refused, it does not cancel the order a payment is on its way for.
    frozen = await fan.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": show.rows["Front/C"][2:3]})
    assert (frozen.status_code, frozen.json()["error"]) == (409, "hold_in_checkout"), frozen.text

    standin = Standin(lifecycle_server)
    async with standin.webhooks_lost():
        await standin.pay(order["payment"]["client_secret"])
        await asyncio.sleep(HOLD_SECONDS + 1)  # the hold alone would have ended by now
        taken = await rival.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": seats})
        assert taken.status_code == 409, "the seats are still the paying fan's"
    report = await reconcile_once(redis, lifecycle_gateway, utcnow(), turns=Admissions(redis), hold_ttl_seconds=HOLD_SECONDS)
    assert report.outcomes.get("paid") == 1, report
    paid = await order_status_becomes(fan, order["order_id"], "paid")
    assert sorted(t["seat"]["id"] for t in paid["tickets"]) == sorted(seats)


async def test_a_late_payment_whose_seats_were_taken_is_refunded_with_a_reason(
    lifecycle_server: ServerProcess, lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    fan, rival = lifecycle_fans[0], lifecycle_fans[2]
    show = await create_show()
    seats = show.rows["Back/C"][:2]
    held = await hold(fan, show.id, seats)
    order = (await _checkout(fan, show.id, held["hold_id"])).json()
    await asyncio.sleep(HOLD_SECONDS + 1)

    async def taken() -> bool:
        response = await rival.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": seats[1:]})
        return response.status_code == 201

    await eventually(taken, 5)
    await Standin(lifecycle_server).pay(order["payment"]["client_secret"])
    refunded = await order_status_becomes(fan, order["order_id"], "refunded")
    assert refunded["refund_reason"] == "seats_taken"
    assert refunded["tickets"] == [] and refunded["refunded_cents"] == order["amount_cents"]

    async def ledger() -> list[dict] | None:
        rows = await PaymentLedgerEntry.select(PaymentLedgerEntry.kind).where(
            PaymentLedgerEntry.order_ref == int(order["order_id"])).order_by(PaymentLedgerEntry.seq)
        return rows if len(rows) == 2 else None

    assert [row["kind"] for row in await eventually(ledger, 10)] == ["payment", "refund"]
