"""A payment that lands after its hold expired: honoured when every seat is still free, refunded automatically
when someone else holds or bought a seat meanwhile; never a second ticket for a seat. Refunded orders' tickets
do not pass the gate."""

from __future__ import annotations

import asyncio

import httpx

from db.tables import Order, PaymentLedgerEntry, Ticket
from tests.payments.conftest import SHORT_HOLD_SECONDS
from tests.payments.helpers import (
    Standin,
    eventually,
    hold,
    hold_and_checkout,
    intent_id_of,
    order_status_becomes,
)
from tests.support.data import create_show
from tests.tickets.devices import gate


async def _wait_for_hold_to_lapse(fan: httpx.AsyncClient, show_id: int, seats: list[str]) -> None:
    await asyncio.sleep(SHORT_HOLD_SECONDS)

    async def released() -> bool:
        seat_map = (await fan.get(f"/api/v1/shows/{show_id}/map")).json()["seats"]
        return all(s["status"] == "available" for s in seat_map if s["id"] in seats)

    await eventually(released, 5)


async def test_late_payment_with_seats_still_free_is_honoured(short_hold_server, fan_on) -> None:
    show = await create_show()
    fan = await fan_on(short_hold_server)
    seats = show.rows["Front/A"][:2]
    order = await hold_and_checkout(fan, show.id, seats)
    await _wait_for_hold_to_lapse(fan, show.id, seats)

    await Standin(short_hold_server).pay(order["payment"]["client_secret"])
    paid = await order_status_becomes(fan, order["order_id"], "paid")
    assert sorted(t["seat"]["id"] for t in paid["tickets"]) == sorted(seats)


async def test_late_payment_for_a_seat_held_by_someone_else_is_refunded(short_hold_server, fan_on) -> None:
    show = await create_show()
    late, other = await fan_on(short_hold_server), await fan_on(short_hold_server)
    seats = show.rows["Back/B"][:2]
    order = await hold_and_checkout(late, show.id, seats)
    await _wait_for_hold_to_lapse(late, show.id, seats)
    taken = await hold(other, show.id, seats[1:])  # one of the two seats, held by another fan meanwhile

    standin = Standin(short_hold_server)
    await standin.pay(order["payment"]["client_secret"])
    refunded = await order_status_becomes(late, order["order_id"], "refunded")
    assert refunded["tickets"] == []
    await _assert_refunded_at_stripe(standin, order)

    # The other fan's purchase goes through: one ticket for the seat, theirs.
    theirs = (await other.post(f"/api/v1/shows/{show.id}/checkout", json={"hold_id": taken["hold_id"]})).json()
    await standin.pay(theirs["payment"]["client_secret"])
    await order_status_becomes(other, theirs["order_id"], "paid")
    owners = await Ticket.select(Ticket.order).where(Ticket.seat == int(seats[1]))
    assert owners == [{"order": int(theirs["order_id"])}]


async def test_late_payment_for_a_seat_sold_meanwhile_is_refunded(short_hold_server, fan_on) -> None:
    show = await create_show()
    late, other = await fan_on(short_hold_server), await fan_on(short_hold_server)
    seats = show.rows["Front/C"][:2]
    order = await hold_and_checkout(late, show.id, seats)
    await _wait_for_hold_to_lapse(late, show.id, seats)
    standin = Standin(short_hold_server)
    theirs = await hold_and_checkout(other, show.id, seats[:1])
    await standin.pay(theirs["payment"]["client_secret"])
    await order_status_becomes(other, theirs["order_id"], "paid")

    await standin.pay(order["payment"]["client_secret"])
    await order_status_becomes(late, order["order_id"], "refunded")
    await _assert_refunded_at_stripe(standin, order)
    assert await Ticket.count().where(Ticket.seat == int(seats[0])) == 1
    assert await Ticket.count().where(Ticket.order == int(order["order_id"])) == 0


async def _assert_refunded_at_stripe(standin: Standin, order: dict) -> None:
    intent = await standin.intent(intent_id_of(order["payment"]["client_secret"]))
    charge = await standin.charge(intent["latest_charge"])
    assert charge["refunded"] is True and charge["amount_refunded"] == order["amount_cents"]
    assert len(await standin.events(type="charge.refunded", payment_intent=intent["id"])) == 1

    async def ledger_rows() -> list[dict] | None:
        rows = await PaymentLedgerEntry.select(PaymentLedgerEntry.kind, PaymentLedgerEntry.amount_cents).where(
            PaymentLedgerEntry.order_ref == int(order["order_id"])).order_by(PaymentLedgerEntry.seq)
        return rows if len(rows) == 2 else None

    rows = await eventually(ledger_rows, 10)
    assert rows == [{"kind": "payment", "amount_cents": order["amount_cents"]},
                    {"kind": "refund", "amount_cents": order["amount_cents"]}]


async def test_tickets_of_a_refunded_order_are_invalid_at_the_gate(server, make_fan) -> None:
    """A paid order refunded later (e.g. by the box office): its tickets no longer let anyone in."""
    show = await create_show()
    fan = await make_fan()
    order = await hold_and_checkout(fan, show.id, show.rows["Back/A"][8:10])
    await Standin(server).pay(order["payment"]["client_secret"])
    paid = await order_status_becomes(fan, order["order_id"], "paid")
    code = paid["tickets"][0]["code"]
    await Order.update({Order.status: "refunded"}).where(Order.id == int(order["order_id"]))
    async with httpx.AsyncClient(base_url=server.url) as scanner:
        result = (await scanner.post("/api/v1/tickets/verify", json={"code": code}, headers=gate(show.id))).json()
    assert result == {"result": "invalid", "ticket": None, "scanned_at": None, "kind": None, "scanned_gate": None,
                      "reason": "refunded"}
