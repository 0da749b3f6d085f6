"""An organizer refunds some seats of a paid order, then the rest (API.md, "Organizers"): the money goes back through
the Stripe stand-in (partially, then for what is left), the ledger records each refund on the show's chain, the
refunded seats' tickets are void (verify, the gate bundle, the fan's pages) and the seats are on sale again (the
map, a watcher's diff, another fan's purchase). Retries with the same Idempotency-Key answer the same and refund
nothing more. Also: a refund while the fan holds other seats of the show, and refunds racing the order's own
late webhook."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from backend.payments.ledger import verify_chain
from db.tables import Order
from tests.organizer.support import ledger_rows, show_of, standin_refunds
from tests.payments.helpers import Standin, hold, hold_and_checkout, intent_id_of, order_status_becomes
from tests.support.reconnect import live_map_url
from tests.tickets.devices import SCANNER, buy, gate

REASON = "The stage blocks the view from these seats."


async def refund(organizer: httpx.AsyncClient, order_id: str, seat_ids: list[str] | None = None,
                 key: str | None = None, reason: str = REASON) -> httpx.Response:
    body: dict = {"reason": reason}
    if seat_ids is not None:
        body["seat_ids"] = seat_ids
    return await organizer.post(f"/api/v1/organizer/orders/{order_id}/refund", json=body,
                                headers={"Idempotency-Key": key} if key else {})


async def intent_of(order_id: str) -> str:
    row = await Order.select(Order.payment_intent_id).where(Order.id == int(order_id)).first()
    assert row and row["payment_intent_id"]
    return row["payment_intent_id"]


async def next_diff_with(socket: websockets.ClientConnection, seat_id: str, status: str) -> None:
    async with asyncio.timeout(15):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == "diff" and [seat_id, status] in message["changes"]:
                return


async def map_status(client: httpx.AsyncClient, show_id: int, seat_ids: list[str]) -> list[str]:
    seats = {seat["id"]: seat["status"] for seat in (await client.get(f"/api/v1/shows/{show_id}/map")).json()["seats"]}
    return [seats[seat] for seat in seat_ids]


async def test_some_seats_then_the_rest(server, make_organizer, make_fan, anon) -> None:
    organizer, fan = await make_organizer(), await make_fan()
    show = await show_of(organizer, rows=1, seats_per_row=6)
    seats = show.rows["Front/A"][:3]
    tickets = await buy(server, fan, show.id, seats)
    order_id = tickets[0]["order_id"]
    price = tickets[0]["price_cents"]
    intent = await intent_of(order_id)
    gone, kept = tickets[0], tickets[1:]

    async with websockets.connect(live_map_url(server.ws_url, show.id), compression=None) as socket:
        assert json.loads(await socket.recv())["type"] == "snapshot"
        first = await refund(organizer, order_id, [gone["seat"]["id"]], key="refund-1")
        assert first.status_code == 200, first.text
        await next_diff_with(socket, gone["seat"]["id"], "available")
    answer = first.json()
    assert (answer["status"], answer["refunded_cents"], answer["amount_cents"]) == ("paid", price, 3 * price)
    assert [t["ticket_id"] for t in answer["tickets"]] == [t["ticket_id"] for t in kept]

    # The same request again (a retry): the same answer, no second refund. The key with other seats: refused.
    again = await refund(organizer, order_id, [gone["seat"]["id"]], key="refund-1")
    assert again.status_code == 200 and again.json() == answer
    reused = await refund(organizer, order_id, [kept[0]["seat"]["id"]], key="refund-1")
    assert (reused.status_code, reused.json()["error"]) == (422, "idempotency_key_reused")
    assert (await standin_refunds(server, intent))["by_payment_intent"][intent] == {"count": 1, "amount": price}

    # The fan's order and tickets pages; the gate online and offline; the seat on the map.
    mine = (await fan.get(f"/api/v1/orders/{order_id}")).json()
    assert (mine["status"], mine["refunded_cents"], len(mine["tickets"])) == ("paid", price, 2)
    listed = {t["ticket_id"] for t in (await fan.get("/api/v1/profile/me/tickets")).json()["items"]}
    assert gone["ticket_id"] not in listed and {t["ticket_id"] for t in kept} <= listed
    verdict = (await anon.post("/api/v1/tickets/verify", json={"code": gone["code"]}, headers=gate(show.id))).json()
    assert (verdict["result"], verdict["reason"]) == ("invalid", "refunded")
    bundle = (await anon.get(f"/api/v1/shows/{show.id}/gate", headers=SCANNER)).json()
    void = {r["ticket_id"] for r in bundle["revocations"] if r["void"]}
    assert void == {gone["ticket_id"]}
    assert await map_status(anon, show.id, seats) == ["available", "sold", "sold"]
    assert [(r["chain"], r["kind"], r["amount_cents"]) for r in await ledger_rows(order_id)] == [
        (show.id, "payment", 3 * price), (show.id, "refund", price)]
    assert f"Refund: {show_title(bundle)}" in server.log_text()
    # The cockpit's counters take the refunded seat back (tickets.sales, moved in the refund's transaction).
    figures = (await organizer.get(f"/api/v1/organizer/shows/{show.id}/dashboard")).json()
    assert (figures["revenue_cents"], figures["seats"]["sold"], figures["orders"]["paid"]) == (2 * price, 2, 1)

    # The rest: the order is refunded, nothing admits, and nothing more can be refunded.
    rest = await refund(organizer, order_id)
    assert rest.status_code == 200, rest.text
    assert (rest.json()["status"], rest.json()["refunded_cents"], rest.json()["tickets"]) == (
        "refunded", 3 * price, [])
    assert rest.json()["refund_reason"] == "organizer_refund"
    assert (await standin_refunds(server, intent))["by_payment_intent"][intent] == {"count": 2, "amount": 3 * price}
    late = await refund(organizer, order_id)
    assert (late.status_code, late.json()["error"]) == (409, "not_refundable")
    assert await map_status(anon, show.id, seats) == ["available"] * 3
    figures = (await organizer.get(f"/api/v1/organizer/shows/{show.id}/dashboard")).json()
    assert (figures["revenue_cents"], figures["seats"]["sold"], figures["orders"]) == (
        0, 0, {"paid": 0, "refunded": 1, "pending_payment": 0})
    assert [r["amount_cents"] for r in await ledger_rows(order_id) if r["kind"] == "refund"] == [price, 2 * price]
    assert (await verify_chain()).ok

    # A refunded seat sells again (UNIQUE (show, seat) holds among tickets that still admit).
    again_sold = await buy(server, await make_fan(), show.id, [gone["seat"]["id"]])
    assert again_sold[0]["seat"]["id"] == gone["seat"]["id"]


def show_title(bundle: dict) -> str:
    return bundle["title"]


async def test_what_cannot_be_refunded(server, make_organizer, make_fan) -> None:
    organizer, fan = await make_organizer(), await make_fan()
    show = await show_of(organizer, rows=1, seats_per_row=6)
    pending = await hold_and_checkout(fan, show.id, show.rows["Front/A"][:1])
    refused = await refund(organizer, pending["order_id"])
    assert (refused.status_code, refused.json()["error"]) == (409, "not_refundable")
    tickets = await buy(server, fan, show.id, show.rows["Front/A"][2:4])
    for seat_ids, named in (([tickets[0]["seat"]["id"], show.rows["Front/A"][5]], [show.rows["Front/A"][5]]),
                            ([tickets[0]["seat"]["id"], "x1"], ["x1"])):
        not_in_order = await refund(organizer, tickets[0]["order_id"], seat_ids)
        assert (not_in_order.status_code, not_in_order.json()["error"]) == (422, "seats_not_in_order")
        assert not_in_order.json()["seat_ids"] == named
    # Nothing of that reached Stripe.
    assert (await standin_refunds(server, await intent_of(tickets[0]["order_id"])))["total"] == 0
    no_reason = await organizer.post(f"/api/v1/organizer/orders/{tickets[0]['order_id']}/refund", json={})
    assert no_reason.status_code == 422 and no_reason.json()["error"] == "invalid"


async def test_a_refund_while_the_fan_holds_other_seats_of_the_show(server, make_organizer, make_fan, anon) -> None:
    organizer, fan = await make_organizer(), await make_fan()
    show = await show_of(organizer, rows=1, seats_per_row=6)
    row = show.rows["Front/A"]
    tickets = await buy(server, fan, show.id, row[:2])
    held = await hold(fan, show.id, row[2:4])
    answer = await refund(organizer, tickets[0]["order_id"], [row[0]])
    assert answer.status_code == 200, answer.text
    # The fan's hold is untouched; the refunded seat is free beside it.
    still = (await fan.get(f"/api/v1/holds/{held['hold_id']}")).json()
    assert (still["seat_ids"], still["expires_at"]) == (row[2:4], held["expires_at"])
    assert await map_status(anon, show.id, row[:4]) == ["available", "sold", "held", "held"]
    # The fan takes the refunded seat back into the same hold and buys the three.
    joined = await hold(fan, show.id, [row[0]])
    assert joined["hold_id"] == held["hold_id"] and sorted(joined["seat_ids"]) == sorted([row[0], *row[2:4]])
    response = await fan.post(f"/api/v1/shows/{show.id}/checkout", json={"hold_id": held["hold_id"]})
    assert response.status_code == 201, response.text
    await Standin(server).pay(response.json()["payment"]["client_secret"])
    await order_status_becomes(fan, response.json()["order_id"], "paid")
    assert await map_status(anon, show.id, row[:4]) == ["sold"] * 4
    mine = sorted(t["seat"]["id"] for t in (await fan.get("/api/v1/profile/me/tickets")).json()["items"]
                  if t["show"]["id"] == show.sid)
    assert mine == sorted(row[:4])


@pytest.mark.parametrize("settled_first", [True, False], ids=["settled-by-browser", "pending"])
async def test_a_refund_racing_the_order_s_late_webhook(server, make_organizer, make_fan, settled_first) -> None:
    """The webhook arrives late (lost, then redelivered) at the moment the organizer refunds. Paid by the browser's
    confirmation first, the refund wins and the webhook changes nothing; still pending, either the refund is
    refused (409) and the webhook pays the order, or the webhook pays first and the refund takes it all back.
    Either way one outcome, and the stand-in's refunds match the order."""
    organizer, fan = await make_organizer(), await make_fan()
    show = await show_of(organizer, rows=1, seats_per_row=4)
    standin = Standin(server)
    async with standin.webhooks_lost():
        order = await hold_and_checkout(fan, show.id, show.rows["Front/A"][:2])
        await standin.pay(order["payment"]["client_secret"])
    intent = intent_id_of(order["payment"]["client_secret"])
    if settled_first:
        settled = await fan.post(f"/api/v1/orders/{order['order_id']}/settle")
        assert settled.json()["status"] == "paid", settled.text
    refunded, delivered = await asyncio.gather(
        refund(organizer, order["order_id"]), standin.redeliver_lost(payment_intent=intent))
    assert delivered >= 1
    money = (await standin_refunds(server, intent))["by_payment_intent"][intent]
    if settled_first or refunded.status_code == 200:
        assert refunded.status_code == 200, refunded.text
        final = await order_status_becomes(fan, order["order_id"], "refunded")
        assert money == {"count": 1, "amount": order["amount_cents"]}
        assert final["refunded_cents"] == order["amount_cents"] and final["tickets"] == []
    else:
        assert (refunded.status_code, refunded.json()["error"]) == (409, "not_refundable")
        final = await order_status_becomes(fan, order["order_id"], "paid")
        assert money == {"count": 0, "amount": 0} and len(final["tickets"]) == 2
    kinds = [(r["kind"], r["amount_cents"]) for r in await ledger_rows(order["order_id"])]
    assert kinds[0] == ("payment", order["amount_cents"])
    assert sum(amount for kind, amount in kinds if kind == "refund") == money["amount"]
    assert [kind for kind, _ in kinds].count("payment") == 1
