"""Settlements of many shows at once (the point of a ledger chain per show): every payment is in its show's chain
exactly once, every chain verifies, and the checkpoint over every chain's head catches a replaced tail row in any of
them. Meant for PostgreSQL, where settlements of different shows really run side by side (CI runs the payments
tests on both engines)."""

from __future__ import annotations

import asyncio

from backend.payments import ledger, settlement
from backend.timeutil import utcnow
from db.tables import LedgerChain, PaymentLedgerEntry, Ticket
from realtime.waiting_room import Admissions
from tests.payments.helpers import Standin
from tests.payments.test_ledger_integrity import _put_back, _rehashed, _rows, _verify_cli, triggers_lifted
from tests.payments.test_settlement import _intent_of, _paid_order
from tests.support.data import create_show

SHOWS = 6
ORDERS_PER_SHOW = 3
DELIVERIES = 2  # each payment settled twice at once, as a webhook and the fan's confirmation would


async def test_settlements_of_many_shows_at_once_keep_every_chain_whole(server, gateway, redis) -> None:
    standin = Standin(server)
    shows = [await create_show(rows=1, seats_per_row=2 * ORDERS_PER_SHOW) for _ in range(SHOWS)]
    orders: dict[int, list[int]] = {}
    async with standin.webhooks_lost():
        for show in shows:
            seats = show.seat_ids
            orders[show.id] = [await _paid_order(gateway, standin, show, seats[2 * i:2 * i + 2])
                               for i in range(ORDERS_PER_SHOW)]
    intents = [await _intent_of(gateway, order_id) for ids in orders.values() for order_id in ids]
    outcomes = await asyncio.gather(*(settlement.settle_intent(redis, gateway, intent, utcnow(), turns=Admissions(redis))
                                      for intent in intents for _ in range(DELIVERIES)))
    assert outcomes == ["paid"] * len(intents) * DELIVERIES

    for show in shows:
        rows = await _rows(show.id)
        assert [row["seq"] for row in rows] == list(range(1, ORDERS_PER_SHOW + 1))  # none lost, none doubled
        assert sorted(row["order_ref"] for row in rows) == sorted(orders[show.id])
        assert {row["kind"] for row in rows} == {"payment"}
        head = await LedgerChain.select().where(LedgerChain.chain == show.id).first()
        assert (head["entries"], head["head_hash"]) == (ORDERS_PER_SHOW, rows[-1]["entry_hash"])
        assert await Ticket.count().where(Ticket.show == show.id) == 2 * ORDERS_PER_SHOW
    report = await ledger.verify_chain()
    assert report.ok, report
    assert all(report.heads[show.id][0] == ORDERS_PER_SHOW for show in shows)

    # A checkpoint sees every chain's head; then one show's newest payment is swapped for a re-hashed forgery.
    written = await _verify_cli("checkpoint-ledger")
    assert written.returncode == 0, written.stdout + written.stderr
    assert (await _verify_cli()).returncode == 0
    victim = shows[SHOWS // 2].id
    rows = await _rows(victim)
    forged = _rehashed(rows[-1], rows[-2]["entry_hash"], amount_cents=1)
    async with triggers_lifted():
        await PaymentLedgerEntry.delete().where(PaymentLedgerEntry.id == rows[-1]["id"])
        await PaymentLedgerEntry.insert(PaymentLedgerEntry(**forged))
    try:
        assert (await ledger.verify_chain()).ok, "the forgery chains on its own"
        broken = await _verify_cli()
        assert broken.returncode == 1, broken.stdout
        assert f"chain {victim} at seq {ORDERS_PER_SHOW}:" in broken.stdout, broken.stdout
    finally:
        await _put_back(victim, rows)
    assert (await _verify_cli()).returncode == 0
