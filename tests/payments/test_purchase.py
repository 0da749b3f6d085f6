"""The purchase path end to end: hold, checkout, pay through the Stripe stand-in as Stripe.js would, webhook,
tickets, gate scan; a declined card and a retry on the same order."""

from __future__ import annotations

import httpx
import pytest

from backend.seats._keys import state as state_key
from db.tables import Order, PaymentLedgerEntry, Ticket
from tests.payments.helpers import (
    DECLINED,
    Standin,
    eventually,
    hold,
    hold_and_checkout,
    order_status_becomes,
    sold_count,
)
from tests.support.data import create_show
from tests.tickets.devices import gate


@pytest.mark.cluster
async def test_full_purchase_issues_tickets_that_scan_once(server, make_fan, redis) -> None:
    show = await create_show()
    fan: httpx.AsyncClient = await make_fan()
    seats = show.rows["Front/A"][:2]
    held = await hold(fan, show.id, seats)

    response = await fan.post(f"/api/v1/shows/{show.id}/checkout", json={"hold_id": held["hold_id"]})
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending_payment"
    assert order["amount_cents"] == 2 * 5000 and order["currency"] == "EUR"
    assert order["expires_at"] == held["expires_at"]
    payment = order["payment"]
    assert payment["provider"] == "stripe" and payment["publishable_key"].startswith("pk_")
    assert payment["js_url"] == f"{server.standin_url}/v3/"
    assert "_secret_" in payment["client_secret"]

    await Standin(server).pay(payment["client_secret"])
    paid = await order_status_becomes(fan, order["order_id"], "paid")
    assert paid["show_id"] == str(show.id) and paid["last_payment_error"] is None
    assert sorted(t["seat"]["id"] for t in paid["tickets"]) == sorted(seats)
    assert all(t["order_id"] == order["order_id"] and t["price_cents"] == 5000 for t in paid["tickets"])

    mine = (await fan.get("/api/v1/profile/me/tickets")).json()["items"]
    assert sorted(t["ticket_id"] for t in mine) == sorted(t["ticket_id"] for t in paid["tickets"])

    seat_map = (await fan.get(f"/api/v1/shows/{show.id}/map")).json()
    status = {seat["id"]: seat["status"] for seat in seat_map["seats"]}
    assert [status[seat] for seat in seats] == ["sold", "sold"]
    assert await redis.hmget(state_key(show.id), seats) == [b"sold", b"sold"]

    code = paid["tickets"][0]["code"]
    async with httpx.AsyncClient(base_url=server.url) as scanner:
        # API.md's request: the code alone, from a gate device whose token names the show.
        first = (await scanner.post("/api/v1/tickets/verify", json={"code": code}, headers=gate(show.id))).json()
        second = (await scanner.post("/api/v1/tickets/verify", json={"code": code}, headers=gate(show.id))).json()
    assert first["result"] == "valid" and second["result"] == "already_scanned"
    assert second["scanned_at"] == first["scanned_at"]

    assert await sold_count(show.id) == 2
    entries = await PaymentLedgerEntry.select().where(PaymentLedgerEntry.order_ref == int(order["order_id"]))
    assert [(e["kind"], e["amount_cents"], e["currency"], e["status"]) for e in entries] == [
        ("payment", 10000, "EUR", "succeeded")]
    assert entries[0]["stripe_object_id"] == payment["client_secret"].split("_secret_")[0]


async def test_declined_card_is_recorded_and_another_card_pays_the_same_order(server, make_fan) -> None:
    show = await create_show()
    fan = await make_fan()
    order = await hold_and_checkout(fan, show.id, show.rows["Back/B"][3:5])
    standin = Standin(server)

    declined = await standin.confirm(order["payment"]["client_secret"], payment_method=DECLINED)
    assert declined.status_code == 402 and declined.json()["error"]["decline_code"] == "generic_decline"

    async def failure_recorded() -> dict | None:
        body = (await fan.get(f"/api/v1/orders/{order['order_id']}")).json()
        return body if body["last_payment_error"] else None

    failed = await eventually(failure_recorded, 15)
    assert failed["status"] == "pending_payment" and failed["tickets"] == []
    assert failed["last_payment_error"] == {"code": "card_declined", "decline_code": "generic_decline",
                                            "message": "Your card was declined."}

    declined_again = await standin.confirm(order["payment"]["client_secret"], card_number="4000000000000002")
    assert declined_again.status_code == 402
    await standin.pay(order["payment"]["client_secret"], card_number="4242424242424242")
    paid = await order_status_becomes(fan, order["order_id"], "paid")
    assert len(paid["tickets"]) == 2 and paid["last_payment_error"] is None
    assert await Ticket.count().where(Ticket.order == int(order["order_id"])) == 2
    stored = await Order.select(Order.last_payment_error).where(Order.id == int(order["order_id"])).first()
    assert stored["last_payment_error"] is None
