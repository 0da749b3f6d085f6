"""One intent, every path that settles it, racing: the fan's confirmation (POST /orders/{id}/settle's service), the
webhook delivered twice and out of order (a late `payment_intent.payment_failed` from the declined first attempt
arriving after the `succeeded`, and the `succeeded` twice), and a reconciler pass. The order settles once.

The interleavings are deterministic: the real settlement code runs in this process, with a pause point before each
step at which another path could overtake (reading the intent, reading the order, claiming the seats in Redis,
committing, telling Redis the seats are sold, recording the event id). A conductor lets one path at a time run
from one pause point to its next, in the order a schedule names; no path is ever paused inside a database
transaction, so a path that runs is never blocked by a paused one. The schedules: hand-picked ones (each path
overtaking another at its most delicate step) and seeded random ones.

What "settles once" means here: the order is `paid` with one ticket per seat, one payment row in its show's ledger
chain and no refund; exactly one path committed, and none got as far as the database's UNIQUE(show, seat) (the
guard is the status re-read under the order's row lock; the unique index is only the last line behind it); the
seats are sold in Redis; every event id is recorded once; and the ledger verifies.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY, STANDIN_SECRET_KEY
from backend.payments import confirmation, ledger, settlement, webhooks
from backend.payments.gateway import StripeGateway
from backend.payments.reconciler import reconcile_once
from backend.seats._keys import state as state_key
from backend.timeutil import utcnow
from db.tables import Order, PaymentLedgerEntry, ProcessedWebhookEvent, Ticket
from realtime.waiting_room import Admissions
from tests.payments.helpers import DECLINED, Standin, hold_and_checkout, intent_id_of, stripe_signature, webhook_secret
from tests.support.data import create_show

ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("race_actor", default=None)
STEP_TIMEOUT_S = 20.0  # a released path reaches its next pause point (or its end) within this


@dataclass
class Conductor:
    """Lets one path at a time run from one pause point to its next, in the order of `schedule`."""

    schedule: list[str]
    waiting: dict[str, tuple[str, asyncio.Event]] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)
    trace: list[str] = field(default_factory=list)
    moved: asyncio.Event = field(default_factory=asyncio.Event)

    async def pause(self, point: str) -> None:
        actor = ACTOR.get()
        if actor is None:
            return
        go = asyncio.Event()
        self.waiting[actor] = (point, go)
        self.moved.set()
        await go.wait()

    async def _settled(self, actors: set[str]) -> None:
        """Until every actor in `actors` is paused or finished."""
        while not all(a in self.waiting or a in self.finished for a in actors):
            self.moved.clear()
            await asyncio.wait_for(self.moved.wait(), STEP_TIMEOUT_S)

    async def run(self, paths: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, Any]:
        results: dict[str, Any] = {}

        async def one(name: str) -> None:
            ACTOR.set(name)
            try:
                results[name] = await paths[name]()
            except Exception as exc:  # reported, and the test fails on it
                results[name] = exc
            finally:
                self.finished.add(name)
                self.moved.set()

        tasks = [asyncio.create_task(one(name), context=contextvars.Context()) for name in paths]
        everyone = set(paths)
        await self._settled(everyone)
        order = self.schedule + sorted(everyone) * 20  # then whoever is left, in turn
        for actor in order:
            if actor in self.finished or actor not in self.waiting:
                continue
            point, go = self.waiting.pop(actor)
            self.trace.append(f"{actor}:{point}")
            go.set()
            await self._settled({actor})
            if self.finished == everyone:
                break
        await asyncio.gather(*tasks)
        return results


@dataclass
class Sale:
    order_id: int
    profile_id: int
    show_id: int
    seat_ids: list[str]
    intent_id: str
    succeeded: dict
    failed: dict


@pytest.fixture
async def signing_gateway(server) -> AsyncIterator[StripeGateway]:
    """The app's gateway as the server has it, webhook secret included, in this process."""
    made = StripeGateway(secret_key=STANDIN_SECRET_KEY, publishable_key=STANDIN_PUBLISHABLE_KEY,
                         webhook_secret=webhook_secret(server.var_dir), api_base=server.standin_url)
    yield made
    await made.close()


async def _sale(server, make_fan) -> Sale:
    """An order whose card was declined once and then paid, while every webhook was lost."""
    show = await create_show()
    fan = await make_fan()
    standin = Standin(server)
    seats = show.rows["Front/A"][:2]
    async with standin.webhooks_lost():
        order = await hold_and_checkout(fan, show.id, seats)
        secret = order["payment"]["client_secret"]
        declined = await standin.confirm(secret, payment_method=DECLINED)
        assert declined.status_code == 402, declined.text
        await standin.pay(secret)
    intent_id = intent_id_of(secret)
    events = {entry["event"]["type"]: entry["event"] for entry in await standin.events(payment_intent=intent_id)}
    return Sale(order_id=int(order["order_id"]), profile_id=int(fan.profile["profile_id"]), show_id=show.id,  # type: ignore[attr-defined]
                seat_ids=seats, intent_id=intent_id, succeeded=events["payment_intent.succeeded"],
                failed=events["payment_intent.payment_failed"])


PATHS = ("fan", "webhook", "webhook_late_failure", "webhook_again", "reconciler")

SCHEDULES = {
    # The fan's path runs through, then everything else finds the order paid.
    "fan first": ["fan"] * 6,
    # The webhook overtakes the fan between the fan's claim and its commit.
    "webhook overtakes the fan's commit": ["fan", "fan", "fan", "webhook", "webhook", "webhook", "webhook",
                                           "webhook", "fan", "fan"],
    # Both succeeded deliveries claim before either commits; the reconciler claims too.
    "every claim before any commit": ["webhook", "webhook_again", "fan", "reconciler", "webhook", "webhook_again",
                                      "fan", "reconciler", "webhook", "webhook_again", "fan", "reconciler"],
    # The late failure event is read back (succeeded) while the first delivery commits.
    "late failure during the commit": ["webhook", "webhook", "webhook", "webhook_late_failure",
                                       "webhook_late_failure", "webhook", "webhook_late_failure", "webhook"],
    # The reconciler reads the order pending, everyone else settles, then the reconciler goes on.
    "stale reconciler": ["reconciler", "reconciler", "fan", "fan", "fan", "fan", "fan", "webhook", "webhook",
                         "webhook", "webhook", "webhook", "reconciler", "reconciler", "reconciler"],
}
for seed in range(4):
    rng = random.Random(seed)
    SCHEDULES[f"random {seed}"] = [rng.choice(PATHS) for _ in range(40)]


@pytest.mark.parametrize("schedule", list(SCHEDULES), ids=list(SCHEDULES))
async def test_fan_webhooks_and_reconciler_racing_settle_the_order_once(
        schedule: str, server, make_fan, signing_gateway: StripeGateway, redis, monkeypatch) -> None:
    sale = await _sale(server, make_fan)
    conductor = Conductor(list(SCHEDULES[schedule]))
    commits: Counter[str] = Counter()
    announced: list[str] = []

    def paused(point: str, real: Callable[..., Awaitable[Any]], ours: Callable[..., bool]) -> Callable:
        async def step(*args: Any, **kwargs: Any) -> Any:
            if ours(*args, **kwargs):
                await conductor.pause(point)
            return await real(*args, **kwargs)
        return step

    def our_order(order: settlement.OrderFacts, *_: Any, **__: Any) -> bool:
        return order.id == sale.order_id

    async def commit(*args: Any) -> bool:
        try:
            done = await real_commit(*args)
        except Exception as exc:
            commits[type(exc).__name__] += 1
            raise
        commits["committed" if done else "found it settled"] += 1
        return done

    async def announce(redis_client: Any, turns: Any, order: settlement.OrderFacts, seat_ids: list[str]) -> None:
        announced.append(ACTOR.get() or "?")
        await real_announce(redis_client, turns, order, seat_ids)

    real_commit, real_announce = settlement._commit_paid, settlement._announce_sale
    monkeypatch.setattr(signing_gateway, "retrieve_intent", paused(
        "read intent", signing_gateway.retrieve_intent, lambda intent_id: intent_id == sale.intent_id))
    monkeypatch.setattr(settlement, "order_of_intent", paused(
        "read order", settlement.order_of_intent, lambda intent: intent.id == sale.intent_id))
    monkeypatch.setattr(settlement, "_claim", paused("claim", settlement._claim, lambda _r, order, _s: our_order(order)))
    monkeypatch.setattr(settlement, "_commit_paid", paused("commit", commit, our_order))
    monkeypatch.setattr(settlement, "_announce_sale", paused(
        "announce", announce, lambda _r, _t, order, _s: our_order(order)))
    monkeypatch.setattr(webhooks, "_remember", paused(
        "record event", webhooks._remember, lambda event_id, *_: True))

    secret = signing_gateway.webhook_secret
    assert secret
    turns = Admissions(redis)

    def deliver(event: dict) -> Callable[[], Awaitable[Any]]:
        payload = json.dumps(event).encode()
        return lambda: webhooks.handle_webhook(redis, signing_gateway, turns, payload,
                                               stripe_signature(payload, secret), utcnow(), 0)

    paths: dict[str, Callable[[], Awaitable[Any]]] = {
        "fan": lambda: confirmation.settle_for_owner(redis, signing_gateway, turns, sale.order_id,
                                                     sale.profile_id, utcnow(), 0),
        "webhook": deliver(sale.succeeded),
        "webhook_late_failure": deliver(sale.failed),
        "webhook_again": deliver(sale.succeeded),
        "reconciler": lambda: reconcile_once(redis, signing_gateway, utcnow(), turns=turns, hold_ttl_seconds=480),
    }
    results = await conductor.run(paths)
    trace = " ".join(conductor.trace)
    assert not [r for r in results.values() if isinstance(r, Exception)], (results, trace)

    row = await Order.select(Order.status, Order.last_payment_error, Order.refund_reason).where(
        Order.id == sale.order_id).first()
    assert row == {"status": "paid", "last_payment_error": None, "refund_reason": None}, trace
    assert sorted(map(str, await Ticket.select(Ticket.seat).where(Ticket.order == sale.order_id).output(
        as_list=True))) == sorted(sale.seat_ids), trace
    assert commits == Counter({"committed": 1, "found it settled": sum(commits.values()) - 1}), (commits, trace)
    assert len(announced) == 1, (announced, trace)
    kinds = await PaymentLedgerEntry.select(PaymentLedgerEntry.kind, PaymentLedgerEntry.chain).where(
        PaymentLedgerEntry.order_ref == sale.order_id)
    assert kinds == [{"kind": "payment", "chain": sale.show_id}], trace
    assert await Standin(server).events(type="charge.refunded", payment_intent=sale.intent_id) == []
    for event in (sale.succeeded, sale.failed):
        assert await ProcessedWebhookEvent.count().where(ProcessedWebhookEvent.event_id == event["id"]) == 1
    assert await redis.hmget(state_key(sale.show_id), sale.seat_ids) == [b"sold", b"sold"]
    assert (await ledger.verify_chain()).ok
