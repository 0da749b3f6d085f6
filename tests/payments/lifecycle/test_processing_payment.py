"""A payment that Stripe reports `processing` before it settles (issue 10): the payment_intent.processing webhook alone,
with no "paying" from the fan, gives the hold its payment grace once and freezes its seats; the payment's outcome
then decides. Real server, database and Redis; the Stripe stand-in driven as Stripe.js and Stripe would."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest
from redis.asyncio import Redis

from backend.errors import Unavailable
from backend.payments.gateway import StripeGateway
from backend.payments.order_lifecycle import HoldInCheckout, OrderLifecycle
from backend.payments.reconciler import reconcile_once
from backend.seats._keys import hold as hold_key
from backend.timeutil import utcnow
from db.tables import Order, Ticket
from realtime.waiting_room import Admissions
from tests.payments.helpers import (
    PROCESSING_THEN_DECLINED,
    PROCESSING_THEN_SUCCEEDS,
    Standin,
    checkout,
    eventually,
    hold,
    intent_id_of,
    order_status_becomes,
    unreachable_gateway,
)
from tests.payments.lifecycle.conftest import GRACE_SECONDS, HOLD_SECONDS
from tests.support.data import create_show
from tests.support.servers import ServerProcess


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _hold_and_checkout(fan: httpx.AsyncClient, show_id: int, seats: list[str]) -> tuple[dict, dict]:
    held = await hold(fan, show_id, seats)
    response = await checkout(fan, show_id, held["hold_id"])
    assert response.status_code == 201, response.text
    return held, response.json()


async def _confirm_processing(standin: Standin, order: dict, payment_method: str) -> str:
    """Confirm as Stripe.js does; the payment is on its way (processing, nothing asked of the fan)."""
    confirmed = await standin.confirm(order["payment"]["client_secret"], payment_method=payment_method)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "processing" and confirmed.json()["next_action"] is None
    return intent_id_of(order["payment"]["client_secret"])


async def _graced(fan: httpx.AsyncClient, held: dict, order: dict) -> dict:
    """Waits for the processing webhook's grace; checks it is the grace, once, on the hold and on the order."""

    async def extended() -> dict | None:
        response = await fan.get(f"/api/v1/holds/{held['hold_id']}")
        assert response.status_code == 200, f"the hold ended without its grace: {response.text}"
        return response.json() if response.json()["expires_at"] != held["expires_at"] else None

    graced = await eventually(extended, 15)  # patience for the webhook under load, not a goal
    gained = (_moment(graced["expires_at"]) - _moment(held["expires_at"])).total_seconds()
    assert gained == GRACE_SECONDS, f"the hold gained {gained} s, its grace is {GRACE_SECONDS} s once"
    view = (await fan.get(f"/api/v1/orders/{order['order_id']}")).json()
    assert view["status"] == "pending_payment"
    assert _moment(view["expires_at"]) == _moment(graced["expires_at"]), (view, graced)
    return graced


async def _cancel_goes_through(fan: httpx.AsyncClient, order: dict) -> None:
    cancelled = await fan.delete(f"/api/v1/orders/{order['order_id']}")
    assert cancelled.status_code in (200, 204), cancelled.text
    await order_status_becomes(fan, order["order_id"], "cancelled")


async def _seat_changes_refused(fan: httpx.AsyncClient, show_id: int, held: dict, order: dict, other_seat: str) -> None:
    """Every change of the hold (release one, add one, release all, cancel the order) answers 409 hold_in_checkout."""
    hold_id = held["hold_id"]
    for response in (
        await fan.delete(f"/api/v1/holds/{hold_id}/seats/{held['seat_ids'][-1]}"),
        await fan.post(f"/api/v1/shows/{show_id}/holds", json={"seat_ids": [other_seat]}),
        await fan.delete(f"/api/v1/holds/{hold_id}"),
        await fan.delete(f"/api/v1/orders/{order['order_id']}"),
    ):
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "hold_in_checkout", response.text


async def test_a_processing_payment_extends_the_hold_once_freezes_it_and_pays_for_exactly_its_seats(
    lifecycle_server: ServerProcess,
    lifecycle_fans: list[httpx.AsyncClient],
    lifecycle_gateway: StripeGateway,
    redis: Redis,
) -> None:
    fan, rival = lifecycle_fans[0], lifecycle_fans[2]
    show = await create_show()
    seats, other_seat = show.rows["Front/D"][:2], show.rows["Front/D"][2]
    standin = Standin(lifecycle_server)
    held, order = await _hold_and_checkout(fan, show.id, seats)
    intent_id = await _confirm_processing(standin, order, PROCESSING_THEN_SUCCEEDS)

    graced = await _graced(fan, held, order)
    # Once per hold: neither the reconciler reading the processing intent again nor the fan's "paying" adds more.
    await reconcile_once(redis, lifecycle_gateway, utcnow(), turns=Admissions(redis), hold_ttl_seconds=HOLD_SECONDS, grace_seconds=GRACE_SECONDS)
    paying = await fan.post(f"/api/v1/orders/{order['order_id']}/paying")
    assert paying.status_code == 200 and _moment(paying.json()["expires_at"]) == _moment(graced["expires_at"])
    assert (await fan.get(f"/api/v1/holds/{held['hold_id']}")).json()["expires_at"] == graced["expires_at"]

    await _seat_changes_refused(fan, show.id, held, order, other_seat)
    # Past the hold's own end, its seats are still the paying fan's.
    await asyncio.sleep(max(0.0, (_moment(held["expires_at"]) - utcnow()).total_seconds()) + 0.5)
    taken = await rival.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": seats})
    assert taken.status_code == 409, taken.text
    assert (await standin.intent(intent_id))["status"] == "processing", "the checks above ran while it processed"

    assert (await standin.finish_processing(intent_id))["status"] == "succeeded"
    paid = await order_status_becomes(fan, order["order_id"], "paid")
    assert sorted(t["seat"]["id"] for t in paid["tickets"]) == sorted(seats)
    assert await Ticket.count().where(Ticket.order == int(order["order_id"])) == len(seats)
    seat_map = {s["id"]: s["status"] for s in (await fan.get(f"/api/v1/shows/{show.id}/map")).json()["seats"]}
    assert [seat_map[seat] for seat in [*seats, other_seat]] == ["sold", "sold", "available"]


async def test_a_processing_payment_that_fails_pays_nothing_and_frees_the_hold_again(
    lifecycle_server: ServerProcess,
    lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    fan, rival = lifecycle_fans[1], lifecycle_fans[2]
    show = await create_show()
    seats, other_seat = show.rows["Back/D"][:2], show.rows["Back/D"][2]
    standin = Standin(lifecycle_server)
    held, order = await _hold_and_checkout(fan, show.id, seats)
    intent_id = await _confirm_processing(standin, order, PROCESSING_THEN_DECLINED)
    await _graced(fan, held, order)
    await _seat_changes_refused(fan, show.id, held, order, other_seat)

    assert (await standin.finish_processing(intent_id))["status"] == "requires_payment_method"

    async def failure_recorded() -> dict | None:
        body = (await fan.get(f"/api/v1/orders/{order['order_id']}")).json()
        return body if body["last_payment_error"] else None

    failed = await eventually(failure_recorded, 10)
    assert failed["status"] == "pending_payment" and failed["tickets"] == []
    assert failed["last_payment_error"]["decline_code"] == "insufficient_funds"
    # The state table: a visibly failed attempt is no payment in flight, so the seats may change again (which
    # cancels the open order and its PaymentIntent), and the hold can be released.
    released = await fan.delete(f"/api/v1/holds/{held['hold_id']}/seats/{seats[1]}")
    assert released.status_code == 200, released.text
    assert released.json()["seat_ids"] == seats[:1]
    assert (await fan.get(f"/api/v1/orders/{order['order_id']}")).json()["status"] == "cancelled"
    assert (await standin.intent(intent_id))["status"] == "canceled"
    assert (await fan.delete(f"/api/v1/holds/{held['hold_id']}")).status_code == 204
    assert (await rival.post(f"/api/v1/shows/{show.id}/holds", json={"seat_ids": seats})).status_code == 201
    assert await Ticket.count().where(Ticket.order == int(order["order_id"])) == 0


async def test_cancelling_an_order_whose_intent_stripe_already_cancelled_cancels_it(
    lifecycle_server: ServerProcess,
    lifecycle_fans: list[httpx.AsyncClient],
    lifecycle_gateway: StripeGateway,
) -> None:
    """An earlier cancel reached Stripe but died before the order's commit: Stripe now refuses to cancel the intent
    again, the intent reads `canceled`, and the fan's cancel goes through (nothing is in flight to protect)."""
    fan = lifecycle_fans[1]
    show = await create_show()
    held, order = await _hold_and_checkout(fan, show.id, show.rows["Front/B"][:1])
    intent_id = intent_id_of(order["payment"]["client_secret"])
    async with Standin(lifecycle_server).webhooks_lost():  # its payment_intent.canceled would expire the order
        assert (await lifecycle_gateway.cancel_intent(intent_id, idempotency_key=f"earlier-{intent_id}")).status == (
            "canceled")
        await _cancel_goes_through(fan, order)
    assert (await fan.get(f"/api/v1/holds/{held['hold_id']}")).status_code == 404  # the seats went back


async def test_cancelling_an_order_whose_hold_already_ended_cancels_it(
    lifecycle_fans: list[httpx.AsyncClient], redis: Redis,
) -> None:
    fan = lifecycle_fans[1]
    show = await create_show()
    held, order = await _hold_and_checkout(fan, show.id, show.rows["Front/C"][3:4])
    await redis.delete(hold_key(show.id, held["hold_id"]))  # ended, and its record gone with it
    await _cancel_goes_through(fan, order)


async def test_cancelling_an_order_paid_a_moment_ago_settles_it_and_says_so(
    lifecycle_server: ServerProcess, lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    """The card went through but its webhook is late: Stripe refuses to cancel a succeeded intent, so the cancel
    settles the payment instead and answers 409 order_paid."""
    fan = lifecycle_fans[1]
    show = await create_show()
    _, order = await _hold_and_checkout(fan, show.id, show.rows["Front/B"][5:6])
    standin = Standin(lifecycle_server)
    async with standin.webhooks_lost():
        await standin.pay(order["payment"]["client_secret"])
        refused = await fan.delete(f"/api/v1/orders/{order['order_id']}")
    assert (refused.status_code, refused.json()["error"]) == (409, "order_paid"), refused.text
    assert len((await order_status_becomes(fan, order["order_id"], "paid"))["tickets"]) == 1


async def test_a_change_of_one_hold_in_checkout_cancels_its_own_order_only(
    lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    """A fan with open orders for two shows adds a seat to the second show's hold: that hold's order is cancelled
    (its snapshot is stale), the first show's stays open."""
    fan = lifecycle_fans[1]
    first_show, second_show = await create_show(), await create_show()
    _, first = await _hold_and_checkout(fan, first_show.id, first_show.rows["Front/A"][:1])
    _, second = await _hold_and_checkout(fan, second_show.id, second_show.rows["Front/A"][:1])
    added = await fan.post(f"/api/v1/shows/{second_show.id}/holds", json={"seat_ids": second_show.rows["Front/A"][1:2]})
    assert added.status_code == 201, added.text
    assert (await fan.get(f"/api/v1/orders/{second['order_id']}")).json()["status"] == "cancelled"
    assert (await fan.get(f"/api/v1/orders/{first['order_id']}")).json()["status"] == "pending_payment"


async def test_the_guard_asked_about_a_hold_without_an_order_cancels_nothing(
    lifecycle_fans: list[httpx.AsyncClient], lifecycle_gateway: StripeGateway, redis: Redis,
) -> None:
    """In-process: the open-order guard looks for that hold's own open order, never the fan's others."""
    fan = lifecycle_fans[2]
    show, other = await create_show(), await create_show()
    _, open_order = await _hold_and_checkout(fan, show.id, show.rows["Front/A"][2:3])
    bare = await hold(fan, other.id, other.rows["Front/A"][2:3])
    profile_id = int((await fan.get("/api/v1/auth/me")).json()["profile_id"])
    guard = OrderLifecycle(redis, lifecycle_gateway, grace_seconds=GRACE_SECONDS, turns=Admissions(redis))
    await guard.before_hold_change(other.id, bare["hold_id"], profile_id, utcnow())
    assert (await fan.get(f"/api/v1/orders/{open_order['order_id']}")).json()["status"] == "pending_payment"


async def test_another_fan_can_neither_cancel_nor_pay_an_order(lifecycle_fans: list[httpx.AsyncClient]) -> None:
    owner, stranger = lifecycle_fans[0], lifecycle_fans[2]
    show = await create_show()
    _, order = await _hold_and_checkout(owner, show.id, show.rows["Front/C"][5:6])
    for response in (await stranger.delete(f"/api/v1/orders/{order['order_id']}"),
                     await stranger.post(f"/api/v1/orders/{order['order_id']}/paying")):
        assert (response.status_code, response.json()["error"]) == (404, "order_not_found"), response.text
    view = (await owner.get(f"/api/v1/orders/{order['order_id']}")).json()
    assert (view["status"], view["expires_at"]) == ("pending_payment", order["expires_at"])


async def test_a_paying_fan_s_seats_stay_frozen_while_stripe_cannot_be_asked(
    lifecycle_fans: list[httpx.AsyncClient], redis: Redis,
) -> None:
    """In-process, with a gateway that reaches nothing: whether the payment is still in flight cannot be told, so
    a change of the hold is refused rather than cancelling the order under a payment."""
    fan = lifecycle_fans[0]
    show = await create_show()
    held, order = await _hold_and_checkout(fan, show.id, show.rows["Front/D"][4:5])
    assert (await fan.post(f"/api/v1/orders/{order['order_id']}/paying")).status_code == 200
    profile_id = int((await fan.get("/api/v1/auth/me")).json()["profile_id"])
    async with unreachable_gateway() as unreachable:
        guard = OrderLifecycle(redis, unreachable, grace_seconds=GRACE_SECONDS, turns=Admissions(redis))
        with pytest.raises(HoldInCheckout):
            await guard.before_hold_change(show.id, held["hold_id"], profile_id, utcnow())
    assert (await fan.get(f"/api/v1/orders/{order['order_id']}")).json()["status"] == "pending_payment"


async def test_an_order_whose_intent_stripe_does_not_know_is_cancelled_alone(
    lifecycle_fans: list[httpx.AsyncClient],
) -> None:
    """Its intent is another account's (or a stand-in's that restarted): the fan's cancel still ends the order."""
    fan = lifecycle_fans[0]
    show = await create_show()
    _, order = await _hold_and_checkout(fan, show.id, show.rows["Front/A"][4:5])
    await Order.update({Order.payment_intent_id: f"pi_unknown_{order['order_id']}"}).where(
        Order.id == int(order["order_id"]))
    await _cancel_goes_through(fan, order)


async def test_a_cancel_while_stripe_cannot_be_asked_is_503_and_leaves_the_order_open(
    lifecycle_fans: list[httpx.AsyncClient], redis: Redis,
) -> None:
    fan = lifecycle_fans[0]
    show = await create_show()
    _, order = await _hold_and_checkout(fan, show.id, show.rows["Front/A"][5:6])
    profile_id = int((await fan.get("/api/v1/auth/me")).json()["profile_id"])
    async with unreachable_gateway() as unreachable:
        lifecycle = OrderLifecycle(redis, unreachable, grace_seconds=GRACE_SECONDS, turns=Admissions(redis))
        with pytest.raises(Unavailable) as unavailable:
            await lifecycle.cancel(int(order["order_id"]), profile_id, utcnow())
    assert unavailable.value.code == "payment_provider_unavailable"
    assert (await fan.get(f"/api/v1/orders/{order['order_id']}")).json()["status"] == "pending_payment"
