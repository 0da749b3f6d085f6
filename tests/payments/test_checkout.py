"""Checkout's contract: server-side amount, one order per hold and per Idempotency-Key (also under concurrency),
the seed's path alias, and refusals that tell nothing about other fans' holds and orders."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest

from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache
from backend.errors import Conflict, NotFound, Unavailable
from backend.payments import settlement
from backend.payments.checkout import CheckoutRequest
from backend.payments.checkout import checkout as start_checkout
from backend.payments.order_lifecycle import OrderLifecycle
from backend.seats import _keys as keys
from backend.tickets import sales
from backend.timeutil import utcnow
from db.tables import Order, OrderItem
from realtime.waiting_room import Admissions
from tests.payments.helpers import Standin, checkout, hold, intent_id_of, order_status_becomes, unreachable_gateway
from tests.support.data import create_show


async def test_amount_comes_from_section_prices_and_items_are_written(make_fan, gateway) -> None:
    show = await create_show()
    fan = await make_fan()
    seats = [show.rows["Front/A"][0], show.rows["Back/C"][4]]
    held = await hold(fan, show.id, seats)
    response = await checkout(fan, show.id, held["hold_id"])
    assert response.status_code == 201
    order = response.json()
    assert order["amount_cents"] == 5000 + 3000
    items = await OrderItem.select(OrderItem.seat, OrderItem.price_cents).where(
        OrderItem.order == int(order["order_id"]))
    assert sorted((str(i["seat"]), i["price_cents"]) for i in items) == sorted(zip(seats, [5000, 3000], strict=True))
    row = await Order.select().where(Order.id == int(order["order_id"])).first()
    assert row["status"] == "pending_payment" and row["hold_id"] == held["hold_id"]
    assert row["payment_intent_id"] == intent_id_of(order["payment"]["client_secret"])
    # The intent carries what it takes to write the order again should the database lose it (reconciler.py).
    intent = await gateway.retrieve_intent(row["payment_intent_id"])
    assert (intent.amount, intent.currency) == (8000, "EUR")
    assert intent.metadata == {"order_id": order["order_id"], "show_id": str(show.id), "hold_id": held["hold_id"],
                               "profile_id": str(fan.profile["profile_id"]), "seat_ids": ",".join(sorted(seats, key=int))}
    # The show's sales counters count the open order (the cockpit's pending figure).
    assert (await sales.read_counters(show.id)).pending_orders == 1


async def test_repeating_checkout_returns_the_same_order(make_fan) -> None:
    show = await create_show()
    fan = await make_fan()
    held = await hold(fan, show.id, show.rows["Front/B"][:3])
    first = await checkout(fan, show.id, held["hold_id"])
    again = await checkout(fan, show.id, held["hold_id"])
    alias = await fan.post(f"/api/v1/{show.id}/checkout", json={"hold_id": held["hold_id"]})
    assert first.status_code == 201 and again.status_code == 200 and alias.status_code == 200
    assert first.json() == again.json() == alias.json()
    assert await Order.count().where(Order.hold_id == held["hold_id"]) == 1


async def test_checkout_again_after_the_hold_ended_answers_the_open_order(redis, make_fan) -> None:
    """The hold expired (not swept yet) while its order waits for a payment that may still come: the order stands,
    and checkout answers it again rather than cancelling it as a changed snapshot."""
    show = await create_show()
    fan = await make_fan()
    held = await hold(fan, show.id, show.rows["Front/B"][:2])
    first = (await checkout(fan, show.id, held["hold_id"])).json()
    await redis.hset(keys.hold(show.id, held["hold_id"]), "expires_at_ms", 1)
    again = await checkout(fan, show.id, held["hold_id"])
    assert again.status_code == 200 and again.json() == first, again.text
    assert (await Order.select(Order.status).where(Order.id == int(first["order_id"])).first())["status"] == (
        "pending_payment")


async def test_checkout_again_after_a_change_that_raced_it_snapshots_the_hold_anew(redis, make_fan) -> None:
    """The hold's seats differ from its open order's (a change slipped past the checkout that was snapshotting
    it): the next checkout cancels that order and makes one of the seats held now."""
    show = await create_show()
    fan = await make_fan()
    seats = show.rows["Front/B"][4:6]
    held = await hold(fan, show.id, seats)
    first = (await checkout(fan, show.id, held["hold_id"])).json()
    await redis.hset(keys.hold(show.id, held["hold_id"]), "seats", f'["{seats[0]}"]')
    again = await checkout(fan, show.id, held["hold_id"])
    assert again.status_code == 201 and again.json()["order_id"] != first["order_id"], again.text
    assert (await Order.select(Order.status).where(Order.id == int(first["order_id"])).first())["status"] == (
        "cancelled")
    items = await OrderItem.select(OrderItem.seat).where(OrderItem.order == int(again.json()["order_id"]))
    assert [str(item["seat"]) for item in items] == [seats[0]]


async def test_the_seed_path_alias_checks_out_too(make_fan) -> None:
    show = await create_show()
    fan = await make_fan()
    held = await hold(fan, show.id, show.rows["Front/C"][:1])
    response = await fan.post(f"/api/v1/{show.id}/checkout", json={"hold_id": held["hold_id"]})
    assert response.status_code == 201 and response.json()["status"] == "pending_payment"


async def test_concurrent_checkouts_of_one_hold_make_one_order_and_one_intent(make_fan) -> None:
    show = await create_show()
    fan = await make_fan()
    held = await hold(fan, show.id, show.rows["Back/A"][:2])
    responses = await asyncio.gather(*(checkout(fan, show.id, held["hold_id"]) for _ in range(12)))
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert [r.status_code for r in responses].count(201) == 1
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert len({r.json()["payment"]["client_secret"] for r in responses}) == 1
    assert await Order.count().where(Order.hold_id == held["hold_id"]) == 1


async def test_checkouts_racing_to_the_insert_are_told_which_one_made_the_order(redis, gateway, make_fan) -> None:
    """In-process, all past the first look before any insert: the losers of the insert answer the winner's order,
    as found again, never as made by them (201 once)."""
    show = await create_show()
    fan = await make_fan()
    held = await hold(fan, show.id, show.rows["Back/B"][:2])
    request = CheckoutRequest(profile_id=int(fan.profile["profile_id"]), show_id=show.id, hold_id=held["hold_id"],
                              idempotency_key=None)
    lifecycle = OrderLifecycle(redis, gateway, grace_seconds=120, turns=Admissions(redis))
    facts, layouts = ShowFactsCache(), LayoutCache()
    outcomes = await asyncio.gather(*(start_checkout(redis, gateway, facts, layouts, lifecycle, request, utcnow())
                                      for _ in range(8)))
    assert sorted(outcome.created for outcome in outcomes) == [False] * 7 + [True]
    assert len({outcome.order.id for outcome in outcomes}) == 1


async def test_idempotency_key_returns_the_same_order_and_refuses_another_hold(make_fan) -> None:
    show = await create_show()
    fan = await make_fan()
    key = secrets.token_hex(8)
    held = await hold(fan, show.id, show.rows["Back/D"][:1])
    first = await checkout(fan, show.id, held["hold_id"], idempotency_key=key)
    again = await checkout(fan, show.id, held["hold_id"], idempotency_key=key)
    assert first.status_code == 201 and again.status_code == 200 and first.json() == again.json()

    other_show = await create_show()
    other = await hold(fan, other_show.id, other_show.rows["Back/D"][:1])
    reused = await checkout(fan, other_show.id, other["hold_id"], idempotency_key=key)
    assert reused.status_code == 409 and reused.json()["error"] == "idempotency_key_reused"

    # Keys belong to their profile: another fan's identical key is simply another key.
    stranger = await make_fan()
    theirs = await hold(stranger, show.id, show.rows["Back/D"][5:6])
    assert (await checkout(stranger, show.id, theirs["hold_id"], idempotency_key=key)).status_code == 201

    bad = await checkout(fan, show.id, held["hold_id"], idempotency_key="no spaces allowed")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_idempotency_key"


async def test_a_key_that_bought_seats_is_refused_for_a_later_hold_of_the_same_show(server, make_fan) -> None:
    """A paid order keeps its Idempotency-Key: the fan's next hold of the same show is another checkout, never
    an answer with the order already paid."""
    show = await create_show()
    fan = await make_fan()
    key = secrets.token_hex(8)
    first = await hold(fan, show.id, show.rows["Back/D"][:1])
    order = (await checkout(fan, show.id, first["hold_id"], idempotency_key=key)).json()
    await Standin(server).pay(order["payment"]["client_secret"])
    await order_status_becomes(fan, order["order_id"], "paid")
    later = await hold(fan, show.id, show.rows["Back/D"][1:2])
    assert later["hold_id"] != first["hold_id"]
    reused = await checkout(fan, show.id, later["hold_id"], idempotency_key=key)
    assert reused.status_code == 409 and reused.json()["error"] == "idempotency_key_reused", reused.text


async def test_holds_that_are_not_the_callers_or_not_this_shows_are_not_found(make_fan, anon) -> None:
    show = await create_show()
    other_show = await create_show()
    owner, stranger = await make_fan(), await make_fan()
    held = await hold(owner, show.id, show.rows["Front/D"][:2])

    for client, show_id, hold_id in (
        (stranger, show.id, held["hold_id"]),  # someone else's hold
        (owner, other_show.id, held["hold_id"]),  # another show's hold
        (owner, show.id, f"h{show.id}_{'x' * 16}"),  # no such hold
        (owner, show.id, "garbage"),
    ):
        response = await checkout(client, show_id, hold_id)
        assert response.status_code == 404, response.text
        assert response.json()["error"] == "hold_not_found"

    # Once the owner has an order for it, a stranger still learns nothing.
    assert (await checkout(owner, show.id, held["hold_id"])).status_code == 201
    response = await checkout(stranger, show.id, held["hold_id"])
    assert response.status_code == 404 and response.json()["error"] == "hold_not_found"

    assert (await checkout(anon, show.id, held["hold_id"])).status_code == 401
    assert (await checkout(owner, 999_999_999, held["hold_id"])).json()["error"] == "show_not_found"


async def test_bad_bodies_are_refused_without_a_500(fan: httpx.AsyncClient) -> None:
    show = await create_show()
    url = f"/api/v1/shows/{show.id}/checkout"
    malformed = await fan.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"] == "malformed_json"
    for body in ({}, {"hold_id": 5}, {"hold_id": ""}, [], {"hold_id": "x" * 65}):
        response = await fan.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] == "invalid"


async def test_orders_are_visible_to_their_owner_only(make_fan, anon) -> None:
    show = await create_show()
    owner, stranger = await make_fan(), await make_fan()
    held = await hold(owner, show.id, show.rows["Front/A"][6:8])
    order = (await checkout(owner, show.id, held["hold_id"])).json()
    mine = await owner.get(f"/api/v1/orders/{order['order_id']}")
    assert mine.status_code == 200
    assert mine.json() == {"order_id": order["order_id"], "show_id": str(show.id), "status": "pending_payment",
                           "amount_cents": 10000, "currency": "EUR", "last_payment_error": None, "tickets": [],
                           "expires_at": order["expires_at"], "refund_reason": None,
                           "refunded_cents": 0}
    for ref in (order["order_id"], "999999999", "abc"):
        response = await stranger.get(f"/api/v1/orders/{ref}")
        assert response.status_code == 404 and response.json()["error"] == "order_not_found"
    assert (await anon.get(f"/api/v1/orders/{order['order_id']}")).status_code == 401


async def test_a_hold_past_its_expiry_but_not_yet_swept_is_409(redis, gateway, make_fan) -> None:
    """Between a hold's expiry and the sweeper's pass its record is still there: the fan hears `hold_expired`."""
    show = await create_show()
    fan = await make_fan()
    hold_id = f"h{show.id}_{secrets.token_urlsafe(12)}"
    await redis.hset(keys.hold(show.id, hold_id), mapping={
        "profile": fan.profile["profile_id"], "seats": '["1"]', "expires_at_ms": 1, "amount_cents": 5000,
        "currency": "EUR"})
    mine = CheckoutRequest(profile_id=int(fan.profile["profile_id"]), show_id=show.id, hold_id=hold_id,
                           idempotency_key=None)
    theirs = CheckoutRequest(profile_id=0, show_id=show.id, hold_id=hold_id, idempotency_key=None)
    lifecycle = OrderLifecycle(redis, gateway, grace_seconds=120, turns=Admissions(redis))
    try:
        with pytest.raises(Conflict) as expired:
            await start_checkout(redis, gateway, ShowFactsCache(), LayoutCache(), lifecycle, mine, utcnow())
        assert expired.value.code == "hold_expired"
        with pytest.raises(NotFound) as unknown:  # someone else's expired hold tells them nothing
            await start_checkout(redis, gateway, ShowFactsCache(), LayoutCache(), lifecycle, theirs, utcnow())
        assert unknown.value.code == "hold_not_found"
    finally:
        await redis.delete(keys.hold(show.id, hold_id))


async def test_an_order_that_ended_without_an_intent_gets_none_when_its_key_comes_back(redis, gateway,
                                                                                         make_fan) -> None:
    """Stripe did not answer at checkout, and the order expired: the same Idempotency-Key finds that order as it
    is, and no PaymentIntent is made for an order that can no longer be paid."""
    show = await create_show()
    fan = await make_fan()
    profile_id = int(fan.profile["profile_id"])
    key = secrets.token_hex(8)
    now = utcnow()
    [row] = await Order.insert(Order(
        profile=profile_id, show=show.id, hold_id=f"h{show.id}_{secrets.token_urlsafe(12)}",
        idempotency_key=f"{profile_id}:{key}", status="expired", amount_cents=5000, currency="EUR", expires_at=now,
    )).returning(Order.id)
    request = CheckoutRequest(profile_id=profile_id, show_id=show.id, hold_id="unused", idempotency_key=key)
    lifecycle = OrderLifecycle(redis, gateway, grace_seconds=120, turns=Admissions(redis))
    with pytest.raises(Conflict) as reused:  # another hold with that key: refused, as ever
        await start_checkout(redis, gateway, ShowFactsCache(), LayoutCache(), lifecycle, request, now)
    assert reused.value.code == "idempotency_key_reused"
    stored = await Order.select(Order.hold_id).where(Order.id == row["id"]).first()
    request = CheckoutRequest(profile_id=profile_id, show_id=show.id, hold_id=stored["hold_id"], idempotency_key=key)
    outcome = await start_checkout(redis, gateway, ShowFactsCache(), LayoutCache(), lifecycle, request, now)
    assert (outcome.created, outcome.order.id, outcome.order.status, outcome.order.client_secret) == (
        False, row["id"], "expired", None)
    made = await gateway.intents_created_since(int(now.timestamp()) - 5)
    assert not [intent for intent in made if intent.metadata.get("order_id") == str(row["id"])]


async def test_a_hold_naming_a_seat_the_venue_does_not_have_is_409(redis, gateway, make_fan) -> None:
    show = await create_show()
    fan = await make_fan()
    hold_id = f"h{show.id}_{secrets.token_urlsafe(12)}"
    await redis.hset(keys.hold(show.id, hold_id), mapping={
        "profile": fan.profile["profile_id"], "seats": '["999999999"]', "expires_at_ms": 2**52, "amount_cents": 5000,
        "currency": "EUR"})
    request = CheckoutRequest(profile_id=int(fan.profile["profile_id"]), show_id=show.id, hold_id=hold_id,
                              idempotency_key=None)
    lifecycle = OrderLifecycle(redis, gateway, grace_seconds=120, turns=Admissions(redis))
    try:
        with pytest.raises(Conflict) as refused:
            await start_checkout(redis, gateway, ShowFactsCache(), LayoutCache(), lifecycle, request, utcnow())
        assert refused.value.code == "seat_not_in_venue"
    finally:
        await redis.delete(keys.hold(show.id, hold_id))


async def test_stripe_not_answering_is_503_and_the_next_checkout_makes_the_intent(redis, gateway, make_fan) -> None:
    show = await create_show()
    fan = await make_fan()
    held = await hold(fan, show.id, show.rows["Back/C"][6:7])
    request = CheckoutRequest(profile_id=int(fan.profile["profile_id"]), show_id=show.id, hold_id=held["hold_id"],
                              idempotency_key=None)
    lifecycle = OrderLifecycle(redis, gateway, grace_seconds=120, turns=Admissions(redis))
    async with unreachable_gateway() as down:
        with pytest.raises(Unavailable) as unavailable:
            await start_checkout(redis, down, ShowFactsCache(), LayoutCache(), lifecycle, request, utcnow())
    assert (unavailable.value.status_code, unavailable.value.code) == (503, "payment_provider_unavailable")
    [order] = await Order.select(Order.id, Order.payment_intent_id).where(Order.hold_id == held["hold_id"])
    assert order["payment_intent_id"] is None  # the order stands; its intent is owed

    answer = await checkout(fan, show.id, held["hold_id"])
    assert answer.status_code == 200 and answer.json()["order_id"] == str(order["id"]), answer.text
    assert answer.json()["payment"]["client_secret"]


async def test_a_cancel_overtaken_by_the_webhook_of_its_own_cancellation_still_succeeds(redis, gateway,
                                                                                        make_fan) -> None:
    """Stripe's payment_intent.canceled for the intent a fan's cancel just cancelled may be settled before the
    cancel's own transaction (the order is then `expired`): the cancel succeeds and the hold is released, instead
    of 409 order_not_cancellable and seats frozen until the hold's expiry."""
    show = await create_show()
    fan = await make_fan()
    held = await hold(fan, show.id, show.rows["Front/A"][0:2])
    order = (await checkout(fan, show.id, held["hold_id"])).json()
    turns = Admissions(redis)

    class Overtaken:
        """The real gateway, whose cancel is followed by its webhook's settlement before the caller goes on."""

        def __getattr__(self, name: str):
            return getattr(gateway, name)

        async def cancel_intent(self, intent_id: str, **kwargs):
            cancelled = await gateway.cancel_intent(intent_id, **kwargs)
            await settlement.settle_intent(redis, gateway, await gateway.retrieve_intent(intent_id), utcnow(),
                                           turns=turns)
            return cancelled

    lifecycle = OrderLifecycle(redis, Overtaken(), grace_seconds=120, turns=turns)  # type: ignore[arg-type]
    await lifecycle.cancel(int(order["order_id"]), int(fan.profile["profile_id"]), utcnow())
    row = await Order.select(Order.status).where(Order.id == int(order["order_id"])).first()
    assert row["status"] in ("cancelled", "expired")
    assert (await fan.get(f"/api/v1/holds/{held['hold_id']}")).status_code == 404
