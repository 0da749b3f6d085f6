"""POST /api/v1/orders/{id}/settle: the fan's browser says Stripe.js confirmed the payment, and the order is paid at
once from the PaymentIntent read back from Stripe, with every webhook lost (the webhook and the reconciler are only
the backstop). Idempotent; 404 for another profile's order; an unpaid order answers as it stands."""

from __future__ import annotations

from db.tables import Order, PaymentLedgerEntry, Ticket
from tests.payments.helpers import DECLINED, Standin, hold_and_checkout, intent_id_of
from tests.support.data import create_show


async def test_the_fan_s_confirmation_pays_the_order_without_the_webhook(server, make_fan, anon) -> None:
    show = await create_show()
    fan, stranger = await make_fan(), await make_fan()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order = await hold_and_checkout(fan, show.id, show.rows["Front/B"][:2])
        settle = f"/api/v1/orders/{order['order_id']}/settle"

        unpaid = await fan.post(settle)
        assert unpaid.status_code == 200 and unpaid.json()["status"] == "pending_payment", unpaid.text

        declined = await standin.confirm(order["payment"]["client_secret"], payment_method=DECLINED)
        assert declined.status_code == 402
        failed = (await fan.post(settle)).json()
        assert failed["status"] == "pending_payment" and failed["last_payment_error"]["decline_code"] == "generic_decline"

        await standin.pay(order["payment"]["client_secret"])
        # Someone else's order: 404, and nothing read back or settled on their word.
        assert (await stranger.post(settle)).status_code == 404
        assert (await Order.select(Order.status).where(Order.id == int(order["order_id"])).first())["status"] == (
            "pending_payment")
        answers = [await fan.post(settle) for _ in range(2)]
        # Webhooks stayed off all along: only the fan's confirmation could have settled the order.
        intent_id = intent_id_of(order["payment"]["client_secret"])
        assert await standin.events(status="not_sent", payment_intent=intent_id)
        assert await standin.events(status="delivered", payment_intent=intent_id) == []
    for answer in answers:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "paid" and body["last_payment_error"] is None
        assert sorted(t["seat"]["id"] for t in body["tickets"]) == sorted(show.rows["Front/B"][:2])
    assert answers[0].json()["tickets"] == answers[1].json()["tickets"]
    order_id = int(order["order_id"])
    assert await Ticket.count().where(Ticket.order == order_id) == 2
    assert await PaymentLedgerEntry.count().where(PaymentLedgerEntry.order_ref == order_id) == 1
    assert (await anon.post(settle)).status_code == 401
