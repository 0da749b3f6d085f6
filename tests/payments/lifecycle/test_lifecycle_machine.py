"""Hold -> order -> payment -> tickets as a state machine, driven through the real HTTP API by Hypothesis.

Two fans on one small show (with a waiting room in some examples) hold, add and release seats, check out, cancel,
say they are paying, confirm with a good or a declined card at the Stripe stand-in (as Stripe.js does), lose or
delay webhooks, let holds expire, run the reconciler and join the queue, in random orders. After every step the
invariants below are checked against the API, the database and the stand-in; at the end every webhook is delivered
and the reconciler runs, and then every payment must have found its outcome.

Before the drawn examples, one steered example per final status brings an order there (paid; refunded because a
seat was taken while its payment was late; expired; cancelled) with the same rules, invariants and teardown, so
that every run, CI's smallest included, reaches them all; the test asserts it did. At teardown, an order still
`pending_payment` once its hold and grace have run out and the reconciler has passed fails the example.

Budget: LIFECYCLE_EXAMPLES (default 4) examples of at most LIFECYCLE_STEPS (default 12) steps; CI runs the
defaults on each backend pair, a longer hunt sets e.g. LIFECYCLE_EXAMPLES=60 LIFECYCLE_STEPS=30. The run is seeded
(LIFECYCLE_SEED, default 21, printed): the same seed draws the same steps (the server's timing may still differ).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from redis.asyncio import Redis

from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY, STANDIN_SECRET_KEY
from backend.payments.gateway import StripeGateway
from backend.payments.reconciler import reconcile_once
from backend.timeutil import utcnow
from db.tables import Order, OrderItem, PaymentLedgerEntry, Ticket
from realtime.waiting_room import Admissions
from tests.payments.lifecycle.conftest import MACHINE_GRACE_SECONDS as GRACE_SECONDS
from tests.payments.lifecycle.conftest import MACHINE_HOLD_SECONDS as HOLD_SECONDS
from tests.support.data import TestShow, create_show
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.lifecycle

EXAMPLES = int(os.environ.get("LIFECYCLE_EXAMPLES", "4"))
STEPS = int(os.environ.get("LIFECYCLE_STEPS", "12"))
SEED = int(os.environ.get("LIFECYCLE_SEED", "21"))
FANS = 2
SEATS = 6
# How long an invariant that waits on the server's own background work may take to hold: patience, not a goal
# (it returns as soon as the invariant holds; CI's two passes side by side make the machine's load 30 and more).
SETTLE_S = 15.0
SETTLE_LONG_S = 30.0  # the same for what waits on a reconciler's pass or a webhook's retry as well

# Answers a rule may get; anything else (a 5xx above all) fails the example.
HOLD_ANSWERS = {201, 403, 409, 422}
FINAL = {"paid", "refunded", "expired", "cancelled"}
ENDINGS = ("refunded", "paid", "expired", "cancelled")  # the steered examples' ends


def _eventually(check: Callable[[], str | None], timeout: float = SETTLE_S) -> None:
    """`check` returns a problem or None; it must become None within `timeout` (webhooks land in the background)."""
    deadline = time.monotonic() + timeout
    while (problem := check()) is not None:
        if time.monotonic() > deadline:
            raise AssertionError(problem)
        time.sleep(0.2)


@dataclass
class FanState:
    client: httpx.Client
    profile_id: int
    hold_id: str | None = None
    order: dict | None = None  # the latest checkout answer
    queue_id: str | None = None
    last_position: int | None = None


@dataclass
class World:
    """What the session shares with every example: the server, its stand-in, three signed-in fans."""

    server: ServerProcess
    fans: list[FanState]
    standin: httpx.Client
    gateway: StripeGateway
    reached: Counter[str] = field(default_factory=Counter)  # orders' final statuses over all examples


@dataclass
class Seen:
    """Every order and PaymentIntent an example made, to check money against."""

    orders: dict[str, dict] = field(default_factory=dict)  # order id -> checkout answer


# One event loop for the whole test, not one per call: the gateway's Stripe client keeps its HTTP connections, and
# the database engine its connections' worker threads, on the loop that made them. With a new loop per call, a
# reconciler pass once waited forever on a connection of a closed loop while its transaction held SQLite's write
# lock, and every server write behind it failed (CI, pass 1: a 300 s timeout, then 500s in the next tests).
_RUNNER: asyncio.Runner | None = None


def _run(awaitable: Any) -> Any:
    """Await on the test's loop: the machine's rules are synchronous (Hypothesis drives them)."""
    assert _RUNNER is not None, "the test sets up its loop first"

    async def run() -> Any:
        return await awaitable

    return _RUNNER.run(run())


class PurchaseLifecycle(RuleBasedStateMachine):
    world: World  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        self.show: TestShow | None = None
        self.queue = False
        self.seen = Seen()
        for fan in self.world.fans:
            fan.hold_id = fan.order = fan.queue_id = fan.last_position = None

    # ------------------------------------------------------------------ setup

    @initialize(queue=st.booleans(), first=st.lists(st.integers(0, SEATS - 1), min_size=1, max_size=2, unique=True),
                second=st.lists(st.integers(0, SEATS - 1), min_size=1, max_size=2, unique=True),
                checkout_first=st.booleans(), card=st.sampled_from([None, True, False]))
    def new_show(self, queue: bool, first: list[int], second: list[int], checkout_first: bool,
                 card: bool | None) -> None:
        """A fresh show where both fans already shop: the rules start from holds (and maybe an order), not from
        nothing, so a short example still reaches checkout, payment and the changes that race them."""
        self.queue = queue
        self.show = _run(create_show(rows=1, seats_per_row=SEATS // 2, queue_enabled=queue))
        if queue:
            for fan in range(FANS):
                self.join_queue(fan)
        self.hold_seats(0, first)
        self.hold_seats(1, second)
        if checkout_first and self._with_hold():
            self.checkout(0)
            if card is not None and self._with_order():
                self.confirm_card(0, good_card=card)

    def steered(self, ending: str) -> None:
        """A steered example's start: fan 0 holds seats 0 and 1 (fan 1 seat 2), checks out, and its order is
        brought to `ending` (`expired` by the teardown, whose check of orders left pending it exercises)."""
        self.new_show(queue=False, first=[0, 1], second=[2], checkout_first=False, card=None)
        assert self.show is not None
        self.checkout(0)
        order_id = self._fan(0).order["order_id"]  # type: ignore[index]
        if ending == "paid":
            self.confirm_card(0, good_card=True)
        elif ending == "cancelled":
            self.cancel_order(0)
        elif ending == "expired":
            return  # nobody pays: the teardown waits out the hold and grace, and must then find the order expired
        elif ending == "refunded":
            # The payment comes after the hold lapsed, and fan 1 holds one of its seats meanwhile.
            time.sleep(HOLD_SECONDS + 0.3)
            _eventually(lambda: None if self._seat_free(self.show.seat_ids[1]) else "seat 1 is still held")
            self.hold_seats(1, [1])
            self.confirm_card(0, good_card=True)

        def reached() -> str | None:
            status = self._fan(0).client.get(f"/api/v1/orders/{order_id}").json()["status"]
            return None if status == ending else f"order {order_id} steered to {ending} is {status}"

        _eventually(reached, timeout=SETTLE_LONG_S)

    def _seat_free(self, seat_id: str) -> bool:
        seats = self._fan(0).client.get(f"/api/v1/shows/{self._sid}/map").json()["seats"]
        return any(s["id"] == seat_id and s["status"] == "available" for s in seats)

    def _fan(self, index: int) -> FanState:
        return self.world.fans[index]

    def _with_hold(self) -> list[FanState]:
        return [fan for fan in self.world.fans if fan.hold_id is not None]

    def _with_order(self) -> list[FanState]:
        return [fan for fan in self.world.fans if fan.order is not None]

    @property
    def _sid(self) -> str:
        assert self.show is not None
        return self.show.sid

    # ------------------------------------------------------------------ holds

    @rule(fan=st.integers(0, FANS - 1), seats=st.lists(st.integers(0, SEATS - 1), min_size=1, max_size=3,
                                                       unique=True))
    def hold_seats(self, fan: int, seats: list[int]) -> None:
        assert self.show is not None
        state = self._fan(fan)
        response = state.client.post(f"/api/v1/shows/{self._sid}/holds",
                                     json={"seat_ids": [self.show.seat_ids[i] for i in seats]})
        assert response.status_code in HOLD_ANSWERS, response.text
        if response.status_code == 201:
            state.hold_id = response.json()["hold_id"]
        elif response.status_code == 409 and response.json()["error"] != "seats_unavailable":
            self._refused_for_checkout(state, response)

    @precondition(lambda self: self._with_hold())
    @rule(fan=st.integers(0, FANS - 1), which=st.integers(0, 7))
    def release_one(self, fan: int, which: int) -> None:
        state = self._pick(self._with_hold(), fan)
        hold = self._live_hold(state)
        if hold is None:
            return
        seat = hold["seat_ids"][which % len(hold["seat_ids"])]
        response = state.client.delete(f"/api/v1/holds/{state.hold_id}/seats/{seat}")
        assert response.status_code in (200, 204, 404, 409), response.text
        if response.status_code == 409:
            self._refused_for_checkout(state, response)

    @precondition(lambda self: self._with_hold())
    @rule(fan=st.integers(0, FANS - 1))
    def release_all(self, fan: int) -> None:
        state = self._pick(self._with_hold(), fan)
        response = state.client.delete(f"/api/v1/holds/{state.hold_id}")
        assert response.status_code in (204, 404, 409), response.text
        if response.status_code == 409:
            self._refused_for_checkout(state, response)

    @staticmethod
    def _refused_for_checkout(state: FanState, response: httpx.Response) -> None:
        """A change to a hold in checkout is refused while its payment is in flight; or, when the open order's
        payment turns out to have succeeded already (its webhook not yet in: switched off or delayed), the order
        is settled there and then and the change refused as `order_paid`, naming that order, which is paid."""
        answer = response.json()
        assert answer["error"] in ("hold_in_checkout", "order_paid"), response.text
        if answer["error"] == "order_paid":
            order = state.client.get(f"/api/v1/orders/{answer['order_id']}")
            assert order.status_code == 200 and order.json()["status"] == "paid", order.text

    # ------------------------------------------------------------------ orders and payments

    @precondition(lambda self: self._with_hold())
    @rule(fan=st.integers(0, FANS - 1))
    def checkout(self, fan: int) -> None:
        state = self._pick(self._with_hold(), fan)
        response = state.client.post(f"/api/v1/shows/{self._sid}/checkout", json={"hold_id": state.hold_id})
        assert response.status_code in (200, 201, 404, 409), response.text
        if response.status_code in (200, 201):
            body = response.json()
            held = self._live_hold(state)
            if held is not None and body["status"] == "pending_payment":
                assert body["amount_cents"] == held["amount_cents"], (
                    f"checkout answers an order of {body['amount_cents']} for a hold of {held['amount_cents']}")
            state.order = body
            self.seen.orders[body["order_id"]] = body

    @precondition(lambda self: self._with_order())
    @rule(fan=st.integers(0, FANS - 1))
    def cancel_order(self, fan: int) -> None:
        state = self._pick(self._with_order(), fan)
        response = state.client.delete(f"/api/v1/orders/{state.order['order_id']}")
        assert response.status_code in (204, 409), response.text

    @precondition(lambda self: self._with_order())
    @rule(fan=st.integers(0, FANS - 1))
    def say_paying(self, fan: int) -> None:
        state = self._pick(self._with_order(), fan)
        response = state.client.post(f"/api/v1/orders/{state.order['order_id']}/paying")
        assert response.status_code in (200, 409), response.text

    @precondition(lambda self: self._with_order())
    @rule(fan=st.integers(0, FANS - 1), good_card=st.booleans())
    def confirm_card(self, fan: int, good_card: bool) -> None:
        state = self._pick(self._with_order(), fan)
        if not state.order or not state.order["payment"]["client_secret"]:
            return
        secret = state.order["payment"]["client_secret"]
        intent_id = secret.split("_secret_")[0]
        response = self.world.standin.post(f"/v1/payment_intents/{intent_id}/confirm", data={
            "key": STANDIN_PUBLISHABLE_KEY, "client_secret": secret,
            "payment_method": "pm_card_visa" if good_card else "pm_card_chargeDeclined",
        })
        # 400: the intent was cancelled with its order, or is paid already; 402: declined.
        assert response.status_code in (200, 400, 402), response.text

    # ------------------------------------------------------------------ the world moving on

    @rule(enabled=st.booleans())
    def switch_webhooks(self, enabled: bool) -> None:
        response = self.world.standin.post("/_standin/webhooks", json={"enabled": enabled})
        assert response.status_code == 200

    @rule()
    def deliver_delayed_webhooks(self) -> None:
        for event in self._events(status="not_sent"):
            self.world.standin.post(f"/_standin/events/{event['id']}/redeliver")

    @precondition(lambda self: self._with_hold())
    @rule()
    def let_holds_expire(self) -> None:
        time.sleep(HOLD_SECONDS + 0.3)

    @precondition(lambda self: self._with_order())
    @rule()
    def let_the_grace_run_out(self) -> None:
        time.sleep(GRACE_SECONDS + 0.3)

    @rule()
    def run_reconciler(self) -> None:
        async def once() -> None:
            redis = Redis.from_url(self.world.server.env["REDIS_URL"])
            try:
                await reconcile_once(redis, self.world.gateway, utcnow(), turns=Admissions(redis), hold_ttl_seconds=HOLD_SECONDS)
            finally:
                await redis.aclose()

        _run(once())

    @rule(fan=st.integers(0, FANS - 1))
    def join_queue(self, fan: int) -> None:
        state = self._fan(fan)
        response = state.client.post(f"/api/v1/shows/{self._sid}/queue")
        if not self.queue:
            assert response.status_code == 409, response.text
            return
        assert response.status_code in (200, 201), response.text
        self._saw_place(state, response.json())

    # ------------------------------------------------------------------ invariants

    @invariant()
    def no_seat_in_two_holds(self) -> None:
        if self.show is None:
            return
        owner: dict[str, int] = {}
        holding: dict[str, str] = {}  # seat -> the live hold it is in
        for index, state in enumerate(self.world.fans):
            hold = self._live_hold(state)
            for seat in hold["seat_ids"] if hold else []:
                assert seat not in owner, f"seat {seat} is in the holds of fans {owner[seat]} and {index}"
                owner[seat], holding[seat] = index, hold["hold_id"]
        # A sold seat is in no hold but, for the moment between the sale's commit and Redis hearing of it, its buyer's.
        sold = _run(Ticket.select(Ticket.seat, Ticket.order.hold_id).where(Ticket.show == self.show.id))
        for row in sold:
            seat = str(row["seat"])
            assert holding.get(seat, row["order.hold_id"]) == row["order.hold_id"], (
                f"sold seat {seat} is held by {holding[seat]}, not by the hold that bought it")

    @invariant()
    def money_and_tickets_agree(self) -> None:
        if self.show is not None:
            _eventually(self._money_problem)

    @invariant()
    def queue_positions_never_rise(self) -> None:
        if not self.queue:
            return
        for state in self.world.fans:
            if state.queue_id is None:
                continue
            response = state.client.get(f"/api/v1/shows/{self._sid}/queue/me")
            assert response.status_code == 200, response.text
            self._saw_place(state, response.json())

    def teardown(self) -> None:
        if self.show is None:
            return
        self.world.standin.post("/_standin/webhooks", json={"enabled": True})
        self.deliver_delayed_webhooks()
        self.run_reconciler()
        _eventually(self._money_problem)
        _eventually(self._unsettled_payment, timeout=SETTLE_LONG_S)
        if any(o["status"] == "pending_payment" for o in _run(_orders_of_show(self.show.id))["orders"]):
            # Nobody pays any more: once the holds and the grace have run out, the reconciler must end every order.
            time.sleep(HOLD_SECONDS + GRACE_SECONDS + 0.5)
            self.run_reconciler()
            _eventually(self._no_order_left_pending, timeout=SETTLE_LONG_S)
        for order in _run(_orders_of_show(self.show.id))["orders"]:
            reason = order["refund_reason"]
            self.world.reached[order["status"] + (f" ({reason})" if reason else "")] += 1

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _pick(fans: list[FanState], index: int) -> FanState:
        return fans[index % len(fans)]

    def _live_hold(self, state: FanState) -> dict | None:
        if state.hold_id is None:
            return None
        response = state.client.get(f"/api/v1/holds/{state.hold_id}")
        assert response.status_code in (200, 404), response.text
        return response.json() if response.status_code == 200 else None

    def _saw_place(self, state: FanState, place: dict) -> None:
        if place["queue_id"] != state.queue_id:  # a new turn: a new place at the back of the line
            state.queue_id, state.last_position = place["queue_id"], None
        position = place["position"]
        if position is None:
            return
        assert state.last_position is None or position <= state.last_position, (
            f"queue position rose from {state.last_position} to {position}")
        state.last_position = position

    def _events(self, **filters: str) -> list[dict]:
        response = self.world.standin.get("/_standin/events", params=filters)
        assert response.status_code == 200
        return response.json()["data"]

    def _intent(self, order: dict) -> dict:
        intent_id = order["payment"]["client_secret"].split("_secret_")[0]
        response = self.world.standin.get(f"/v1/payment_intents/{intent_id}",
                                          params={"expand[]": "latest_charge"})
        assert response.status_code == 200, response.text
        return response.json()

    def _money_problem(self) -> str | None:
        """The database's orders, tickets and ledger against each other and against the stand-in's charges."""
        assert self.show is not None
        rows = _run(_orders_of_show(self.show.id))
        for order in rows["orders"]:
            oid = order["id"]
            tickets = [t for t in rows["tickets"] if t["order"] == oid]
            items = sorted(i["seat"] for i in rows["items"] if i["order"] == oid)
            ledger = [e for e in rows["ledger"] if e["order_ref"] == oid]
            net = sum(e["amount_cents"] if e["kind"] == "payment" else -e["amount_cents"] for e in ledger)
            if order["status"] == "paid":
                if not tickets:
                    return f"order {oid} is paid without tickets"
                if sum(t["price_cents"] for t in tickets) != order["amount_cents"]:
                    return f"order {oid}: paid {order['amount_cents']}, tickets worth {[t['price_cents'] for t in tickets]}"
                if sorted(t["seat"] for t in tickets) != items:
                    return f"order {oid}: tickets for seats {sorted(t['seat'] for t in tickets)}, paid for {items}"
            elif tickets:
                return f"order {oid} is {order['status']} but has tickets"
            if order["status"] == "refunded" and not order["refund_reason"]:
                return f"order {oid} was refunded without a reason"
            seen = self.seen.orders.get(str(oid))
            if seen and seen["payment"]["client_secret"] and order["status"] in FINAL:
                charge = self._intent(seen).get("latest_charge") or {}
                charged = (charge.get("amount_captured") or 0) - (charge.get("amount_refunded") or 0)
                if charged != net:
                    return f"order {oid} ({order['status']}): the stand-in holds {charged}, the ledger says {net}"
        return None

    def _no_order_left_pending(self) -> str | None:
        assert self.show is not None
        pending = [o["id"] for o in _run(_orders_of_show(self.show.id))["orders"] if o["status"] == "pending_payment"]
        return f"orders {pending} left pending_payment after their hold and grace ran out" if pending else None

    def _unsettled_payment(self) -> str | None:
        """Every PaymentIntent that took money ended in a paid order with its tickets or a refund with a reason."""
        assert self.show is not None
        rows = {o["id"]: o for o in _run(_orders_of_show(self.show.id))["orders"]}
        for order_id, seen in self.seen.orders.items():
            if not seen["payment"]["client_secret"]:
                continue
            if self._intent(seen)["status"] == "succeeded" and rows[int(order_id)]["status"] not in (
                "paid", "refunded"
            ):
                return f"order {order_id} was paid at Stripe but is {rows[int(order_id)]['status']}"
        return None


async def _orders_of_show(show_id: int) -> dict[str, list[dict]]:
    orders = await Order.select(Order.id, Order.status, Order.amount_cents, Order.refund_reason).where(
        Order.show == show_id)
    ids = [o["id"] for o in orders] or [-1]
    return {
        "orders": orders,
        "tickets": await Ticket.select(Ticket.order, Ticket.seat, Ticket.price_cents).where(Ticket.show == show_id),
        "items": await OrderItem.select(OrderItem.order, OrderItem.seat).where(OrderItem.order.is_in(ids)),
        "ledger": await PaymentLedgerEntry.select(
            PaymentLedgerEntry.order_ref, PaymentLedgerEntry.kind, PaymentLedgerEntry.amount_cents,
        ).where(PaymentLedgerEntry.order_ref.is_in(ids)),
    }


def _signed_in_fan(server: ServerProcess, index: int) -> FanState:
    from tests.conftest import STRONG_PASSWORD, unique_email

    client = httpx.Client(base_url=server.url, timeout=30)
    response = client.post("/api/v1/auth/register",
                           json={"email": unique_email(f"machine{index}"), "password": STRONG_PASSWORD,
                                 "name": f"Fan {index}"})
    assert response.status_code == 201, response.text
    return FanState(client=client, profile_id=int(response.json()["profile_id"]))


def test_purchase_lifecycle_keeps_its_invariants(machine_server: ServerProcess) -> None:
    global _RUNNER
    with asyncio.Runner() as runner:
        _RUNNER = runner
        try:
            _run_the_machine(machine_server)
        finally:
            _RUNNER = None


def _run_the_machine(machine_server: ServerProcess) -> None:
    fans = [_signed_in_fan(machine_server, i) for i in range(FANS)]
    standin = httpx.Client(base_url=machine_server.standin_url, timeout=30,
                           headers={"Authorization": f"Bearer {STANDIN_SECRET_KEY}"})
    gateway = StripeGateway(secret_key=STANDIN_SECRET_KEY, publishable_key=STANDIN_PUBLISHABLE_KEY,
                            webhook_secret=None, api_base=machine_server.standin_url)
    world = PurchaseLifecycle.world = World(server=machine_server, fans=fans, standin=standin, gateway=gateway)
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("LIFECYCLE_SHRINK"):
        phases.append(Phase.shrink)  # minimal reproductions, at the price of many more runs against the server
    try:
        for ending in ENDINGS:
            machine = PurchaseLifecycle()
            try:
                machine.steered(ending)
                machine.no_seat_in_two_holds()
                machine.money_and_tickets_agree()
            finally:
                machine.teardown()
        print(f"LIFECYCLE_SEED={SEED}")  # replays this run's steps
        run_state_machine_as_test(seed(SEED)(PurchaseLifecycle), settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None, phases=phases,
            suppress_health_check=list(HealthCheck),
        ))
        print(f"orders reached: {dict(world.reached)}")  # what the examples exercised (pytest -s or -rP shows it)
        if EXAMPLES >= len(ENDINGS):
            missed = FINAL - {status.split(" ")[0] for status in world.reached}
            assert not missed, f"no order ended {sorted(missed)} in this run: {dict(world.reached)}"
    finally:
        standin.post("/_standin/webhooks", json={"enabled": True})
        for fan in fans:
            fan.client.close()
        standin.close()
        _run(gateway.close())
