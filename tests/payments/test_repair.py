"""The reconciler's repair from Stripe (backend/payments/repair.py), called directly: payments Stripe took that the
database does not know, as a PostgreSQL failover leaves them (tests/ops/test_postgres_failover.py makes one for real).

Each payment here is made at the stand-in with the metadata checkout gives an intent, for an order the database never
had: its order is written again and settled by the usual rule (tickets if the seats can be had, else a refund)."""

from __future__ import annotations

import secrets

from backend import seats
from backend.payments.gateway import SEAT_IDS_METADATA, IntentSnapshot, StripeGateway
from backend.payments.repair import repair_from_stripe
from backend.timeutil import utcnow
from db.tables import Order, PaymentLedgerEntry, PaymentWatermark, Profile, Ticket
from realtime.waiting_room import Admissions
from tests.payments.helpers import Standin
from tests.support.data import TestShow, create_show

FRONT_PRICE = 5000  # create_show's first section


async def _lost_payment(gateway: StripeGateway, standin: Standin, show: TestShow, seat_ids: list[str],
                        order_id: int | None = None) -> IntentSnapshot:
    """A payment checkout would have made, for an order the database then lost with everything after it."""
    profile = (await Profile.insert(Profile(email=f"r-{secrets.token_hex(6)}@example.com", name="R",
                                            password_hash="x")).returning(Profile.id))[0]["id"]
    hold_id = f"h{show.id}_{secrets.token_urlsafe(12)}"
    intent = await gateway.create_intent(
        amount_cents=FRONT_PRICE * len(seat_ids), currency="EUR", description="lost with the old primary",
        metadata={"order_id": str(order_id or 10**9 + secrets.randbelow(10**6)), "show_id": str(show.id),
                  "hold_id": hold_id,
                  "profile_id": str(profile), SEAT_IDS_METADATA: ",".join(seat_ids)},
        idempotency_key=f"repair-{secrets.token_hex(8)}")
    await standin.pay(intent.client_secret)
    return intent


async def _repair(redis, gateway: StripeGateway):
    return await repair_from_stripe(redis, gateway, Admissions(redis), utcnow(), hold_ttl_seconds=480,
                                    grace_seconds=120)


async def _order_of(intent: IntentSnapshot) -> dict:
    order = await Order.select(Order.id, Order.status, Order.refund_reason).where(
        Order.payment_intent_id == intent.id).first()
    assert order is not None, "the lost order was not written again"
    order["seats"] = sorted(str(seat) for seat in await Ticket.select(Ticket.seat).where(
        Ticket.order == order["id"]).output(as_list=True))
    return order


async def test_a_payment_whose_order_was_lost_gets_its_order_and_tickets_again(server, gateway, redis) -> None:
    show = await create_show()
    wanted = show.rows["Front/A"][:2]
    intent = await _lost_payment(gateway, Standin(server), show, wanted)

    report = await _repair(redis, gateway)
    order = await _order_of(intent)
    assert order["status"] == "paid" and order["seats"] == sorted(wanted), order
    assert report.looked_at >= 1
    watermark = await PaymentWatermark.select(PaymentWatermark.created_since).where(
        PaymentWatermark.account == gateway.account_tag).first()
    assert watermark is not None and watermark["created_since"] <= intent.created + 60
    # Again: nothing more to do for it (one order, one payment row in the ledger).
    await _repair(redis, gateway)
    assert await Order.count().where(Order.payment_intent_id == intent.id) == 1
    assert await PaymentLedgerEntry.count().where(PaymentLedgerEntry.stripe_object_id == intent.id) == 1


async def test_a_sale_redis_remembers_but_the_database_lost_is_sold_again(server, gateway, redis) -> None:
    """The old primary committed the sale and Redis marked the seats sold; the new primary has no ticket."""
    show = await create_show()
    wanted = show.rows["Front/B"][:2]
    intent = await _lost_payment(gateway, Standin(server), show, wanted)
    await seats.mark_sold(redis, show.id, wanted, None, order_id=1)

    await _repair(redis, gateway)
    order = await _order_of(intent)
    assert order["status"] == "paid" and order["seats"] == sorted(wanted), order


async def test_a_lost_payment_whose_seat_was_sold_since_is_refunded(server, gateway, redis) -> None:
    show = await create_show()
    standin = Standin(server)
    first = await _lost_payment(gateway, standin, show, show.rows["Front/C"][:2])
    await _repair(redis, gateway)
    assert (await _order_of(first))["status"] == "paid"

    second = await _lost_payment(gateway, standin, show, show.rows["Front/C"][1:3])
    await _repair(redis, gateway)
    order = await _order_of(second)
    assert order["status"] == "refunded" and order["refund_reason"] == "seats_taken" and not order["seats"], order
    assert await standin.refund_count(second.id) == 1


async def test_a_payment_already_refunded_at_stripe_is_recorded_as_refunded(server, gateway, redis) -> None:
    """The refund's record was lost, not the refund: the seats are free, yet the payment is never ticketed."""
    show = await create_show()
    intent = await _lost_payment(gateway, Standin(server), show, show.rows["Front/D"][:2])
    await gateway.refund_intent(intent.id, metadata={}, idempotency_key=f"refund-{intent.id}")

    await _repair(redis, gateway)
    order = await _order_of(intent)
    assert order["status"] == "refunded" and not order["seats"], order


async def test_a_lost_orders_number_given_again_to_another_order_is_not_taken_for_it(server, gateway, redis) -> None:
    """After a failover the new primary may give a lost order's number to another fan's order: the payment must get
    an order of its own, and the other order stay as it was."""
    show = await create_show()
    other_profile = (await Profile.insert(Profile(email=f"o-{secrets.token_hex(6)}@example.com", name="O",
                                                  password_hash="x")).returning(Profile.id))[0]["id"]
    other = (await Order.insert(Order(
        profile=other_profile, show=show.id, hold_id=f"h{show.id}_{secrets.token_urlsafe(12)}", status="pending_payment",
        amount_cents=3000, currency="EUR", expires_at=utcnow())).returning(Order.id))[0]["id"]
    intent = await _lost_payment(gateway, Standin(server), show, show.rows["Front/A"][:2], order_id=other)

    await _repair(redis, gateway)
    order = await _order_of(intent)
    assert order["id"] != other and order["status"] == "paid", order
    untouched = await Order.select(Order.status, Order.payment_intent_id).where(Order.id == other).first()
    assert untouched == {"status": "pending_payment", "payment_intent_id": None}
