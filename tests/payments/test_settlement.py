"""The settlement path called directly, many times at once, against the real database, Redis and Stripe stand-in:
one outcome per order, and for two paid orders wanting one seat, one ticket and one refund."""

from __future__ import annotations

import asyncio
import contextvars
import secrets
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from backend import seats
from backend.launcher.processes import free_port
from backend.payments import ledger, order_states, settlement
from backend.payments.gateway import IntentSnapshot, PaymentError, StripeGateway
from backend.payments.reconciler import reconcile_once
from backend.payments.transactions import is_unique_violation, lock_order, write_transaction
from backend.seats._keys import state as state_key
from backend.tickets import sales
from backend.tickets.issuing import SoldSeat, issue
from backend.timeutil import utcnow
from db.tables import Order, OrderItem, PaymentLedgerEntry, Profile, Show, Ticket
from realtime.waiting_room import Admissions
from tests.payments.helpers import (
    PROCESSING_THEN_SUCCEEDS,
    Standin,
    eventually,
    hold_and_checkout,
    sold_count,
    unreachable_gateway,
)
from tests.support.data import TestShow, create_show


async def _paid_order(gateway: StripeGateway, standin: Standin, show: TestShow, seat_ids: list[str],
                      charged: tuple[int, str] | None = None, pay: bool = True) -> int:
    """An order paid at Stripe whose webhook was lost: written as checkout writes it, paid as a browser pays
    (`charged`: the amount and currency of a PaymentIntent that does not match its order)."""
    profile = (await Profile.insert(Profile(email=f"s-{secrets.token_hex(6)}@example.com", name="S",
                                            password_hash="x")).returning(Profile.id))[0]["id"]
    order_id = (await Order.insert(Order(
        profile=profile, show=show.id, hold_id=f"h{show.id}_{secrets.token_urlsafe(12)}", status="pending_payment",
        amount_cents=5000 * len(seat_ids), currency="EUR", expires_at=utcnow() + timedelta(minutes=5),
    )).returning(Order.id))[0]["id"]
    await OrderItem.insert(*(OrderItem(order=order_id, seat=int(seat), price_cents=5000) for seat in seat_ids))
    amount_cents, currency = charged or (5000 * len(seat_ids), "EUR")
    intent = await gateway.create_intent(amount_cents=amount_cents, currency=currency,
                                         metadata={"order_id": str(order_id)}, description="test",
                                         idempotency_key=f"test-{order_id}-{secrets.token_hex(4)}")
    await Order.update({Order.payment_intent_id: intent.id, Order.client_secret: intent.client_secret}).where(
        Order.id == order_id)
    if pay:
        await standin.pay(intent.client_secret)
    return order_id


async def _intent_of(gateway: StripeGateway, order_id: int):
    row = await Order.select(Order.payment_intent_id).where(Order.id == order_id).first()
    return await gateway.retrieve_intent(row["payment_intent_id"])


async def _settle(redis: Redis, gateway: StripeGateway, intent: IntentSnapshot, **options) -> str | None:
    """The settlement path as its callers take it, now, with the waiting room's turns on the same Redis."""
    return await settlement.settle_intent(redis, gateway, intent, utcnow(), turns=Admissions(redis), **options)


async def _past_its_hold(redis: Redis, gateway: StripeGateway, intent: IntentSnapshot) -> str | None:
    """What the reconciler does with an intent whose order's hold ended: settle it, or expire the order."""
    return await _settle(redis, gateway, intent, expire_unpaid_before=utcnow() + timedelta(hours=1))


async def _refund_reason(order_id: int) -> str | None:
    return (await Order.select(Order.refund_reason).where(Order.id == order_id).first())["refund_reason"]


async def test_one_order_settled_many_times_at_once_has_one_outcome(server, gateway, redis) -> None:
    show = await create_show()
    standin = Standin(server)
    seats = show.rows["Front/A"][:3]
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, seats)
    intent = await _intent_of(gateway, order_id)
    outcomes = await asyncio.gather(*(_settle(redis, gateway, intent) for _ in range(8)))
    assert outcomes == ["paid"] * 8
    assert await Ticket.count().where(Ticket.order == order_id) == 3
    assert await PaymentLedgerEntry.count().where(PaymentLedgerEntry.order_ref == order_id) == 1
    assert await sold_count(show.id) == 3


@pytest.mark.cluster
async def test_two_paid_orders_for_one_seat_give_one_ticket_and_one_refund(server, gateway, redis) -> None:
    """Redis never saw these orders' holds (as after a flush): the claim script decides, UNIQUE(show, seat) behind it
    (test_a_seat_redis_forgot_is_still_sold_once_by_the_database has that alone decide)."""
    show = await create_show()
    standin = Standin(server)
    shared = show.rows["Back/A"][0]
    async with standin.webhooks_lost():
        first = await _paid_order(gateway, standin, show, [shared, show.rows["Back/A"][1]])
        second = await _paid_order(gateway, standin, show, [show.rows["Back/A"][2], shared])
    intents = {order_id: await _intent_of(gateway, order_id) for order_id in (first, second)}
    calls = [_settle(redis, gateway, intents[order_id]) for order_id in (first, second) * 4]
    outcomes = await asyncio.gather(*calls)
    by_order = {order_id: set(outcomes[i::2]) for i, order_id in enumerate((first, second))}
    assert sorted(next(iter(s)) for s in by_order.values()) == ["paid", "refunded"], by_order
    winner = first if by_order[first] == {"paid"} else second
    loser = second if winner == first else first

    assert await Ticket.count().where(Ticket.seat == int(shared)) == 1
    assert await Ticket.count().where(Ticket.order == winner) == 2
    assert await Ticket.count().where(Ticket.order == loser) == 0
    refund_events = await standin.events(type="charge.refunded", payment_intent=intents[loser].id)
    assert len(refund_events) == 1
    kinds = await PaymentLedgerEntry.select(PaymentLedgerEntry.kind).where(
        PaymentLedgerEntry.order_ref == loser).order_by(PaymentLedgerEntry.seq).output(as_list=True)
    assert kinds == ["payment", "refund"]
    assert await sold_count(show.id) == 2


async def test_a_refund_that_could_not_be_issued_is_retried_by_the_reconciler(server, gateway, redis) -> None:
    """The order was decided `refunded` but the process died before Stripe heard of it."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Back/B"][:1])
    intent = await _intent_of(gateway, order_id)
    await Order.update({Order.status: "refunded"}).where(Order.id == order_id)
    await reconcile_once(redis, gateway, utcnow(), turns=Admissions(redis), hold_ttl_seconds=480)

    async def refunded_at_stripe() -> bool:
        return bool(await standin.events(type="charge.refunded", payment_intent=intent.id))

    await eventually(refunded_at_stripe, 10)
    kinds = await PaymentLedgerEntry.select(PaymentLedgerEntry.kind).where(
        PaymentLedgerEntry.order_ref == order_id).output(as_list=True)
    assert kinds == ["refund"]
    await reconcile_once(redis, gateway, utcnow(), turns=Admissions(redis), hold_ttl_seconds=480)  # nothing owed any more
    assert len(await standin.events(type="charge.refunded", payment_intent=intent.id)) == 1


@pytest.mark.parametrize("charged", [(9999, "EUR"), (10000, "USD")], ids=["amount", "currency"])
async def test_a_payment_that_differs_from_its_order_is_refunded_not_ticketed(server, gateway, redis,
                                                                              charged: tuple[int, str]) -> None:
    """Stripe took another amount or currency than the order's (two seats at 50.00 EUR): no ticket, the seats stay
    on sale, the order is `refunded` for `amount_mismatch`, and what arrived goes back in full."""
    show = await create_show()
    standin = Standin(server)
    seats = show.rows["Back/C"][:2]
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, seats, charged=charged)
    intent = await _intent_of(gateway, order_id)
    assert (intent.amount_received, intent.currency) == charged

    assert await _settle(redis, gateway, intent) == "refunded"
    order = await Order.select(Order.status, Order.refund_reason).where(Order.id == order_id).first()
    assert order == {"status": "refunded", "refund_reason": "amount_mismatch"}
    assert await Ticket.count().where(Ticket.order == order_id) == 0
    assert await sold_count(show.id) == 0
    assert len(await standin.events(type="charge.refunded", payment_intent=intent.id)) == 1
    charge = await standin.charge((await standin.intent(intent.id))["latest_charge"])
    assert (charge["amount_refunded"], charge["refunded"]) == (charged[0], True)
    rows = await PaymentLedgerEntry.select(PaymentLedgerEntry.kind, PaymentLedgerEntry.amount_cents,
                                           PaymentLedgerEntry.currency, PaymentLedgerEntry.status).where(
        PaymentLedgerEntry.order_ref == order_id).order_by(PaymentLedgerEntry.seq)
    assert rows == [{"kind": "payment", "amount_cents": charged[0], "currency": charged[1], "status": "succeeded"},
                    {"kind": "refund", "amount_cents": charged[0], "currency": charged[1], "status": "succeeded"}]


async def test_a_refund_stripe_cannot_take_yet_leaves_the_order_refunded_and_owed(server, gateway, redis) -> None:
    """Stripe stops answering between the payment's arrival and its refund: the order is `refunded` (the money
    arrived, the ledger says so) and the refund is left to the reconciler's retry, with no error to the caller."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Back/B"][5:6], charged=(4999, "EUR"))
    intent = await _intent_of(gateway, order_id)
    facts = await settlement.load_order(order_id)
    assert facts is not None
    async with unreachable_gateway() as down:
        outcome = await settlement._refund_instead(down, facts, intent, utcnow(), "amount_mismatch")
    assert outcome == "refunded"
    assert (await Order.select(Order.status).where(Order.id == order_id).first())["status"] == "refunded"
    # The refund's ledger row comes with Stripe's refund only. A reconciler of the suite's servers (they share the
    # database) may issue the owed refund meanwhile, and writes the row after Stripe answered: read the ledger
    # first, so a refund row seen there has its refund at Stripe already.
    kinds = await PaymentLedgerEntry.select(PaymentLedgerEntry.kind).where(
        PaymentLedgerEntry.order_ref == order_id).output(as_list=True)
    refunds_at_stripe = await standin.refund_count(intent.id)
    assert kinds == ["payment"] or (kinds == ["payment", "refund"] and refunds_at_stripe == 1)


async def test_a_declined_card_is_written_on_its_own_order_only(server, gateway) -> None:
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        declined, other = [await _paid_order(gateway, standin, show, [seat], pay=False)
                           for seat in show.rows["Back/B"][7:9]]
    await settlement.record_failure(declined, PaymentError(code="card_declined", decline_code="insufficient_funds",
                                                           message="Your card has insufficient funds."), utcnow())
    errors = {row["id"]: row["last_payment_error"] for row in await Order.select(
        Order.id, Order.last_payment_error).where(Order.id.is_in([declined, other]))}
    assert errors[other] is None and "insufficient_funds" in errors[declined]


async def test_an_intent_finds_an_order_without_its_id_only_through_the_same_hold(server) -> None:
    """The process died between creating the intent and saving its id: the intent's metadata names the order, and
    after a failover that number may be another fan's order, so the hold must match too (a retired `hold~id`
    counts as its hold)."""
    show = await create_show()
    profile = (await Profile.insert(Profile(email=f"i-{secrets.token_hex(6)}@example.com", name="I",
                                            password_hash="x")).returning(Profile.id))[0]["id"]
    hold_id = f"h{show.id}_{secrets.token_urlsafe(12)}"
    order_id = (await Order.insert(Order(
        profile=profile, show=show.id, hold_id=f"{hold_id}~7", status="cancelled", amount_cents=5000,
        currency="EUR", expires_at=utcnow() + timedelta(minutes=5),
    )).returning(Order.id))[0]["id"]

    def intent(**metadata: str) -> IntentSnapshot:
        return IntentSnapshot(id=f"pi_lost_{secrets.token_hex(6)}", status="succeeded", amount=5000,
                              amount_received=5000, currency="EUR", metadata={"order_id": str(order_id), **metadata},
                              client_secret=None, last_payment_error=None)

    for found in (await settlement.order_of_intent(intent(hold_id=hold_id)),
                  await settlement.order_of_intent(intent())):  # an intent made before holds were in its metadata
        assert found is not None and found.id == order_id
    assert await settlement.order_of_intent(intent(hold_id=f"h{show.id}_someone-else")) is None


async def test_a_refund_decided_on_stale_facts_leaves_an_order_paid_meanwhile_alone(server, gateway, redis) -> None:
    """A settlement that read the order pending and decided to refund (a seat taken, an amount that differs) finds
    it paid by another one once it holds the row: it answers `paid`, and nothing is refunded or written."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Back/D"][:1])
    intent = await _intent_of(gateway, order_id)
    stale = await settlement.load_order(order_id)
    assert stale is not None and stale.status == "pending_payment"
    assert await _settle(redis, gateway, intent) == "paid"
    assert await settlement._refund_instead(gateway, stale, intent, utcnow(), "seats_taken") == "paid"
    assert (await Order.select(Order.status).where(Order.id == order_id).first())["status"] == "paid"
    assert await standin.events(type="charge.refunded", payment_intent=intent.id) == []
    assert await PaymentLedgerEntry.count().where(PaymentLedgerEntry.order_ref == order_id) == 1


async def test_only_a_pending_order_without_a_payment_intent_is_expired_without_asking_stripe(server) -> None:
    """The reconciler's shortcut for an order whose PaymentIntent was never created (Stripe down at checkout) moves
    that order only while it is still pending: one cancelled meanwhile stays cancelled."""
    show = await create_show()
    profile = (await Profile.insert(Profile(email=f"e-{secrets.token_hex(6)}@example.com", name="E",
                                            password_hash="x")).returning(Profile.id))[0]["id"]
    ids = {}
    for status in ("pending_payment", "cancelled"):
        ids[status] = (await Order.insert(Order(
            profile=profile, show=show.id, hold_id=f"h{show.id}_{secrets.token_urlsafe(12)}", status=status,
            amount_cents=5000, currency="EUR", expires_at=utcnow() - timedelta(minutes=1),
        )).returning(Order.id))[0]["id"]
    assert await settlement.expire_without_intent(ids["cancelled"], utcnow()) is False
    assert await settlement.expire_without_intent(ids["pending_payment"], utcnow()) is True
    statuses = {row["id"]: row["status"] for row in await Order.select(Order.id, Order.status).where(
        Order.id.is_in(list(ids.values())))}
    assert statuses == {ids["cancelled"]: "cancelled", ids["pending_payment"]: "expired"}
    assert await settlement.expire_without_intent(999_999_999, utcnow()) is False


async def test_an_expiry_that_finds_the_payment_made_meanwhile_settles_it(server, gateway, redis) -> None:
    """The reconciler read the intent unpaid and expires the order, but the fan paid in between: Stripe refuses to
    cancel a succeeded intent, and the order is settled as paid instead of expired."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Front/C"][:1], pay=False)
        unpaid = await _intent_of(gateway, order_id)
        assert unpaid.status != "succeeded"
        await standin.pay(unpaid.client_secret)
    assert await _past_its_hold(redis, gateway, unpaid) == "paid"
    assert await Ticket.count().where(Ticket.order == order_id) == 1


async def test_an_expiry_decided_on_stale_facts_answers_what_the_order_became_meanwhile(server, gateway, redis) -> None:
    """The reconciler read the order pending; the fan cancelled it before the expiry held the row: the expiry
    leaves it cancelled and says so, rather than reporting an expiry that did not happen."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Front/D"][:1], pay=False)
        stale = await settlement.load_order(order_id)
        assert stale is not None and stale.status == "pending_payment"
        cancelled = await gateway.cancel_intent((await _intent_of(gateway, order_id)).id, idempotency_key="t")
        await Order.update({Order.status: "cancelled"}).where(Order.id == order_id)
    assert cancelled.status == "canceled"
    assert await settlement._expire(redis, gateway, Admissions(redis), stale, cancelled, utcnow()) == "cancelled"
    assert (await Order.select(Order.status).where(Order.id == order_id).first())["status"] == "cancelled"


async def test_a_payment_settled_while_redis_cannot_be_asked_is_decided_by_the_database(server, gateway) -> None:
    """Redis does not answer (nothing listens where it should): the seats' claim cannot be asked, the database's
    UNIQUE(show, seat) decides, and a paying fan is not turned away for it."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Front/B"][:1])
    intent = await _intent_of(gateway, order_id)
    gone = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert await settlement.settle_intent(gone, gateway, intent, utcnow(), turns=Admissions(gone)) == "paid"
    finally:
        await gone.aclose()
    assert await Ticket.count().where(Ticket.order == order_id) == 1


@pytest.mark.cluster
async def test_a_sale_redis_never_heard_of_is_marked_sold_again(server, gateway, redis) -> None:
    """The seller died between its commit and telling Redis: the reconciler's pass repairs the map."""
    show = await create_show()
    standin = Standin(server)
    seats = show.rows["Front/D"][:2]
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, seats)
    assert await _settle(redis, gateway, await _intent_of(gateway, order_id)) == "paid"
    assert await redis.hmget(state_key(show.id), seats) == [b"sold", b"sold"]
    await redis.hdel(state_key(show.id), *seats)  # as if mark_sold never ran

    await reconcile_once(redis, gateway, utcnow(), turns=Admissions(redis), hold_ttl_seconds=480)
    assert await redis.hmget(state_key(show.id), seats) == [b"sold", b"sold"]


async def test_a_settlement_racing_another_waits_for_the_order_row_then_writes_nothing(server, gateway, redis) -> None:
    """A second delivery read the order `pending` while the first was inside its commit: it waits for the order's row
    (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite), then reads `paid` under that lock and writes nothing, no
    error either. Without the lock it reads `pending` and tickets the seats again; without the re-check, likewise."""
    show = await create_show()
    standin = Standin(server)
    seats = show.rows["Back/C"][:2]
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, seats)
    intent = await _intent_of(gateway, order_id)
    read_pending = await settlement.load_order(order_id)
    assert read_pending is not None and read_pending.status == "pending_payment"
    items = sorted(
        await OrderItem.select(OrderItem.seat, OrderItem.price_cents).where(OrderItem.order == order_id),
        key=lambda item: item["seat"],
    )
    now = utcnow()
    async with write_transaction():  # the first delivery's commit, held open (what _commit_paid writes)
        row = await lock_order(order_id)
        await issue(
            order_id=order_id,
            show_id=show.id,
            profile_id=read_pending.profile_id,
            currency="EUR",
            seats=[SoldSeat(item["seat"], item["price_cents"]) for item in items],
            issued_at=now,
        )
        await order_states.move(row, "paid", now, paid_at=now, payment_intent_id=intent.id)
        await ledger.append(
            ledger.LedgerEntry(
                kind=ledger.PAYMENT,
                order_ref=order_id,
                stripe_object_id=intent.id,
                amount_cents=intent.amount_received,
                currency=intent.currency,
                status=intent.status,
                chain=show.id,
            ),
            now,
        )
        # Its own context: a task started here would otherwise run inside this transaction.
        second = asyncio.create_task(
            settlement._commit_paid(read_pending, items, intent, now), context=contextvars.Context()
        )
        await asyncio.sleep(0.5)
        assert not second.done(), "the second settlement did not wait for the order's row"
    assert await second is False
    assert await Ticket.count().where(Ticket.order == order_id) == 2
    assert await PaymentLedgerEntry.count().where(PaymentLedgerEntry.order_ref == order_id) == 1
    assert await sold_count(show.id) == 2


async def test_a_seat_redis_calls_sold_without_a_ticket_goes_to_the_payment_settled_again(server, gateway,
                                                                                           redis) -> None:
    """A failover lost the sale's commit but Redis, which did not fail over, still calls the seat sold: the payment
    settled again takes it (nobody else could hold a sold seat), instead of being refunded as `seats_taken`."""
    show = await create_show()
    standin = Standin(server)
    seat = show.rows["Back/A"][3]
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, [seat])
    await seats.mark_sold(redis, show.id, [seat], None, order_id=order_id)  # what the lost sale told Redis before its commit was lost
    intent = await _intent_of(gateway, order_id)
    assert await _settle(redis, gateway, intent) == "paid"
    assert await Ticket.count().where(Ticket.order == order_id) == 1


async def test_a_settled_payment_records_the_show_s_pace_from_the_moment_the_fan_paid(server, gateway, redis) -> None:
    """The cockpit's payment → paid time: from the fan's "paying" to the sale's commit (seconds here, never a
    negative or an epoch's worth)."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Back/A"][5:6])
    await Order.update({Order.paying_at: utcnow() - timedelta(seconds=3)}).where(Order.id == order_id)
    intent = await _intent_of(gateway, order_id)
    assert await _settle(redis, gateway, intent) == "paid"
    pace = await sales.read_pace(redis, show.id, int(utcnow().timestamp() * 1000))
    assert pace.paid_per_minute == 1
    assert pace.p50_ms is not None and 3_000 <= pace.p50_ms < 60_000, pace
    # Without a "paying" (the web app's call was lost): from Stripe's charge, in its whole seconds.
    async with standin.webhooks_lost():
        charged = await _paid_order(gateway, standin, show, show.rows["Back/A"][6:7])
    intent = await _intent_of(gateway, charged)
    assert intent.charged_at is not None
    assert await _settle(redis, gateway, intent) == "paid"
    pace = await sales.read_pace(redis, show.id, int(utcnow().timestamp() * 1000))
    assert pace.paid_per_minute == 2
    assert pace.p99_ms is not None and pace.p99_ms < 60_000, pace
    # The smaller of the two: from a charge in whole seconds, so at least the milliseconds the settlement took.
    assert pace.p50_ms is not None and 0 < pace.p50_ms < 3_000, pace


async def test_a_seat_redis_forgot_is_still_sold_once_by_the_database(server, gateway, redis) -> None:
    """Redis was never told a seat was sold (the seller died between its commit and mark_sold), so a second paid
    order's claim of that seat succeeds: the database's UNIQUE(show, seat) alone refuses the second ticket, and that
    order is refunded whole."""
    show = await create_show()
    standin = Standin(server)
    shared = show.rows["Front/C"][0]
    async with standin.webhooks_lost():
        first = await _paid_order(gateway, standin, show, [shared, show.rows["Front/C"][1]])
        second = await _paid_order(gateway, standin, show, [show.rows["Front/C"][2], shared])
    assert await _settle(redis, gateway, await _intent_of(gateway, first)) == "paid"
    await redis.hdel(state_key(show.id), shared)  # as if mark_sold never ran for it

    second_intent = await _intent_of(gateway, second)
    assert await _settle(redis, gateway, second_intent) == "refunded"
    assert await Ticket.count().where(Ticket.seat == int(shared)) == 1
    assert await Ticket.count().where(Ticket.order == second) == 0
    assert await _refund_reason(second) == "seats_taken"
    assert await sold_count(show.id) == 2
    assert len(await standin.events(type="charge.refunded", payment_intent=second_intent.id)) == 1

    # The same rule, asked of the database directly.
    profile = (await Order.select(Order.profile).where(Order.id == second).first())["profile"]
    with pytest.raises(Exception) as refused:  # sqlite3.IntegrityError or asyncpg UniqueViolationError
        await Ticket.insert(
            Ticket(order=second, show=show.id, seat=int(shared), profile=profile, price_cents=5000, currency="EUR")
        )
    assert is_unique_violation(refused.value), refused.value


async def test_a_refunded_seat_redis_still_calls_sold_goes_to_the_next_payment(server, gateway, redis) -> None:
    """A refund whose release in Redis failed leaves its seat `sold` there, its ticket revoked: the next payment for
    that seat is ticketed. Another seat of the same show stays sold with a live ticket, so only the refunded seat's
    own ticket may answer the question."""
    show = await create_show()
    standin = Standin(server)
    refunded, kept = show.rows["Front/D"][0], show.rows["Front/D"][1]
    async with standin.webhooks_lost():
        first = await _paid_order(gateway, standin, show, [refunded])
        other = await _paid_order(gateway, standin, show, [kept])
        second = await _paid_order(gateway, standin, show, [refunded])
    for order_id in (first, other):
        intent = await _intent_of(gateway, order_id)
        assert await _settle(redis, gateway, intent) == "paid"
    # What a refund writes (its Redis release lost): the order refunded, its ticket revoked, the seat still sold.
    await Order.update({Order.status: "refunded"}).where(Order.id == first)
    await Ticket.update({Ticket.revoked_at: utcnow()}).where(Ticket.order == first)
    assert await redis.hget(state_key(show.id), refunded) is not None

    intent = await _intent_of(gateway, second)
    assert await _settle(redis, gateway, intent) == "paid"
    live = await Ticket.select(Ticket.order).where((Ticket.seat == int(refunded)) & Ticket.revoked_at.is_null())
    assert live == [{"order": second}]


async def test_a_payment_for_a_cancelled_show_is_refunded_and_another_show_s_is_not(server, gateway, redis) -> None:
    """A hold made before its show was cancelled and paid after: refunded as `show_cancelled`. A show cancelled
    elsewhere on the platform changes nothing for this one's payment."""
    cancelled, running = await create_show(), await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        late = await _paid_order(gateway, standin, cancelled, cancelled.rows["Front/A"][:1])
        fine = await _paid_order(gateway, standin, running, running.rows["Front/A"][:1])
    await Show.update({Show.cancelled_at: utcnow(), Show.cancel_reason: "test"}).where(Show.id == cancelled.id)
    assert await _settle(redis, gateway, await _intent_of(gateway, late)) == "refunded"
    assert await _refund_reason(late) == "show_cancelled"
    assert await _settle(redis, gateway, await _intent_of(gateway, fine)) == "paid"


async def test_a_late_paying_call_never_revives_an_order_that_ended(server, make_fan, redis) -> None:
    """The fan's "paying" arrives after the order was cancelled while its hold still lives: the hold gets its grace,
    the order stays cancelled."""
    fan = await make_fan()
    show = await create_show()
    order = await hold_and_checkout(fan, show.id, show.rows["Back/D"][:1])
    order_id = int(order["order_id"])
    await Order.update({Order.status: "cancelled"}).where(Order.id == order_id)
    facts = await settlement.load_order(order_id)
    assert facts is not None
    assert await settlement.start_grace(redis, facts, 60, utcnow()) is not None
    row = await Order.select(Order.status, Order.paying_at).where(Order.id == order_id).first()
    assert row == {"status": "cancelled", "paying_at": None}


@pytest.mark.parametrize(("charged", "reason"), [((5000, "EUR"), "seats_taken"), ((5000, "USD"), "amount_mismatch")],
                         ids=["as-ordered", "other-currency"])
async def test_a_payment_stripe_already_refunded_is_recorded_with_its_reason(server, gateway, redis, charged,
                                                                            reason: str) -> None:
    """Stripe gave the money back but the refund's record was lost (a failover): the order is refunded, never
    ticketed, for the one reason that fits what was charged; the ledger's refund row names the intent."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Back/B"][:1], charged=charged)
        paid = await _intent_of(gateway, order_id)
        await gateway.refund_intent(paid.id, metadata={}, idempotency_key=f"lost-{order_id}")
    refunded = await _intent_of(gateway, order_id)
    assert refunded.amount_refunded == refunded.amount_received
    assert await _settle(redis, gateway, refunded) == "refunded"
    assert await _refund_reason(order_id) == reason
    assert await Ticket.count().where(Ticket.order == order_id) == 0
    row = await PaymentLedgerEntry.select(PaymentLedgerEntry.stripe_object_id, PaymentLedgerEntry.status).where(
        (PaymentLedgerEntry.order_ref == order_id) & (PaymentLedgerEntry.kind == "refund")).first()
    assert row == {"stripe_object_id": paid.id, "status": "already_refunded"}


async def test_an_expiry_cancels_the_intent_first_and_leaves_a_processing_payment_pending(server, gateway,
                                                                                          redis) -> None:
    """No payment can land on an expired order: its intent is cancelled at Stripe first. And Stripe will not cancel
    a payment on its way: that order is not expired under it; the next pass looks again."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        unpaid_id, processing_id = [await _paid_order(gateway, standin, show, [seat], pay=False)
                                    for seat in show.rows["Back/C"][:2]]
        unpaid, processing = await _intent_of(gateway, unpaid_id), await _intent_of(gateway, processing_id)
        confirmed = await standin.confirm(processing.client_secret, payment_method=PROCESSING_THEN_SUCCEEDS)
        assert confirmed.json()["status"] == "processing", confirmed.text
    assert unpaid.status == "requires_payment_method"
    assert await _past_its_hold(redis, gateway, unpaid) == "expired"
    assert (await _intent_of(gateway, unpaid_id)).status == "canceled"
    assert await _past_its_hold(redis, gateway, processing) == "pending_payment"
    assert (await Order.select(Order.status).where(Order.id == processing_id).first())["status"] == "pending_payment"


async def test_facts_of_another_order_given_with_an_intent_are_not_trusted(server, gateway, redis) -> None:
    """The caller's order facts name another intent (the order moved on to a new one): the intent's own order is
    read and settled, and the order the caller named is left alone."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        named = await _paid_order(gateway, standin, show, show.rows["Front/B"][:1])
        paid = await _paid_order(gateway, standin, show, show.rows["Front/B"][1:2])
    facts = await settlement.load_order(named)
    assert await _settle(redis, gateway, await _intent_of(gateway, paid), order=facts) == "paid"
    assert await Ticket.count().where(Ticket.order == paid) == 1
    assert await Ticket.count().where(Ticket.order == named) == 0


async def test_a_payment_whose_order_was_cancelled_under_it_answers_cancelled(server, gateway, redis) -> None:
    """Read pending, cancelled before the commit: nothing is written, and the answer is what the order became (the
    next pass refunds the payment of a cancelled order)."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Front/B"][2:3])
    stale = await settlement.load_order(order_id)
    await Order.update({Order.status: "cancelled"}).where(Order.id == order_id)
    assert await _settle(redis, gateway, await _intent_of(gateway, order_id), order=stale) == "cancelled"
    assert await Ticket.count().where(Ticket.order == order_id) == 0


async def test_a_refund_issued_twice_is_one_row_in_the_ledger(server, gateway, redis) -> None:
    """The reconciler retrying a refund that did go through: Stripe answers the same refund (its idempotency key),
    and the ledger keeps one refund row for the order."""
    show = await create_show()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, show.rows["Front/B"][3:4])
    intent = await _intent_of(gateway, order_id)
    facts = await settlement.load_order(order_id)
    for _ in range(2):
        await settlement.issue_refund(gateway, facts, intent.id, utcnow())
    assert await PaymentLedgerEntry.count().where(
        (PaymentLedgerEntry.order_ref == order_id) & (PaymentLedgerEntry.kind == "refund")) == 1


async def test_a_seat_sold_in_redis_that_cannot_then_be_asked_again_is_refunded_as_taken(
    server, gateway, redis, monkeypatch
) -> None:
    """The claim found the seat sold, and Redis fails before it can say whether that sale has a ticket: the seat
    counts as taken (the database's UNIQUE would refuse a second ticket anyway), and the payment is refunded."""
    show = await create_show()
    standin = Standin(server)
    seat = show.rows["Back/D"][0]
    async with standin.webhooks_lost():
        order_id = await _paid_order(gateway, standin, show, [seat])
    await seats.mark_sold(redis, show.id, [seat], None, order_id=order_id)

    async def redis_gone(*args, **kwargs):
        raise ConnectionError("Redis went away")

    monkeypatch.setattr(settlement, "unsold_among", redis_gone)
    assert await _settle(redis, gateway, await _intent_of(gateway, order_id)) == "refunded"
    assert await _refund_reason(order_id) == "seats_taken"
