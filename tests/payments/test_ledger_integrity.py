"""The ledger's integrity beyond the hash chain: the database itself refuses UPDATE and DELETE on it; an edit of any
hashed field (made by someone who lifted those triggers) is named by `verify-ledger`; cutting off the newest rows is
caught by the signed checkpoints; and duplicate webhook deliveries racing before settlement add one entry."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from importlib import import_module

import httpx
import pytest
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from backend.payments import ledger
from backend.payments.checkpoints import write_checkpoint
from backend.payments.transactions import write_transaction
from backend.settings import PROJECT_ROOT, get_settings
from backend.timeutil import utcnow
from db.tables import LedgerCheckpoint, PaymentLedgerEntry, ProcessedWebhookEvent, Ticket
from tests.payments.helpers import (
    Standin,
    hold_and_checkout,
    intent_id_of,
    order_status_becomes,
    stripe_signature,
    webhook_secret,
)
from tests.support.data import create_show

triggers = import_module("db.migrations.showtime_2026_12_01t15_13_00_000000")

# The server's launcher migrates the suite's database.
pytestmark = pytest.mark.usefixtures("server")

HASHED_FIELDS = ("seq", "recorded_at", "kind", "order_ref", "stripe_object_id", "amount_cents", "currency",
                 "status", "prev_hash", "entry_hash")


def _postgres() -> bool:
    return isinstance(engine_finder(), PostgresEngine)


@asynccontextmanager
async def triggers_lifted() -> AsyncIterator[None]:
    """What an attacker with the database's owner rights does first; put back afterwards."""
    engine = engine_finder()
    assert engine is not None
    if _postgres():
        for table in triggers.TABLES:
            await engine.run_ddl(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    else:
        for table in triggers.TABLES:
            for verb in ("update", "delete"):
                await engine.run_ddl(f"DROP TRIGGER {table}_no_{verb}")
    try:
        yield
    finally:
        if _postgres():
            for table in triggers.TABLES:
                await engine.run_ddl(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            for table in triggers.TABLES:
                for statement in triggers.sqlite_statements(table):
                    await engine.run_ddl(statement)


async def _verify_cli(*args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "backend.payments", *(args or ("verify-ledger",))], cwd=PROJECT_ROOT,
        env={**os.environ}, capture_output=True, text=True, timeout=60,
    )


async def _append(index: int) -> None:
    async with write_transaction():
        await ledger.append(ledger.LedgerEntry(
            kind=ledger.PAYMENT, order_ref=700_000 + index, stripe_object_id=f"pi_integrity_{index:04d}",
            amount_cents=2000 + index, currency="EUR", status="succeeded",
        ), utcnow() + timedelta(microseconds=index))


async def _refused(operation: object) -> str:
    with pytest.raises(Exception) as caught:
        await operation  # type: ignore[misc]
    assert "append-only" in str(caught.value), caught.value
    return str(caught.value)


async def test_the_database_refuses_update_and_delete_on_the_ledger() -> None:
    await _append(1)
    row = await PaymentLedgerEntry.select().order_by(PaymentLedgerEntry.id, ascending=False).first()
    await _refused(PaymentLedgerEntry.update({PaymentLedgerEntry.amount_cents: 1}).where(
        PaymentLedgerEntry.id == row["id"]))
    await _refused(PaymentLedgerEntry.delete().where(PaymentLedgerEntry.id == row["id"]))
    await _refused(PaymentLedgerEntry.raw("DELETE FROM payment_ledger"))
    if _postgres():
        await _refused(PaymentLedgerEntry.raw("TRUNCATE payment_ledger"))
    assert await PaymentLedgerEntry.select().where(PaymentLedgerEntry.id == row["id"]).first() == row
    await write_checkpoint(get_settings().secret_key, utcnow())
    await _refused(LedgerCheckpoint.delete(force=True))


@pytest.mark.parametrize("field", HASHED_FIELDS)
async def test_an_edit_of_any_hashed_field_is_named_by_verify(field: str) -> None:
    await asyncio.gather(*(_append(100 + i) for i in range(3)))
    rows = await PaymentLedgerEntry.select().order_by(PaymentLedgerEntry.seq)
    victim = rows[-2]
    column = getattr(PaymentLedgerEntry, field)
    value = victim[field]
    forged = {str: lambda v: v[:-1] + ("0" if v[-1:] != "0" else "1"), int: lambda v: v + 1}.get(
        type(value), lambda v: v + timedelta(microseconds=1))(value)
    async with triggers_lifted():
        await PaymentLedgerEntry.update({column: forged}).where(PaymentLedgerEntry.id == victim["id"])
        try:
            broken = await _verify_cli()
            assert broken.returncode == 1, broken.stdout + broken.stderr
            assert f"row id {victim['id']};" in broken.stdout, broken.stdout
        finally:
            await PaymentLedgerEntry.update({column: value}).where(PaymentLedgerEntry.id == victim["id"])
    assert (await _verify_cli()).returncode == 0


async def test_a_deleted_row_breaks_the_chain_at_the_next_one() -> None:
    await asyncio.gather(*(_append(200 + i) for i in range(3)))
    rows = await PaymentLedgerEntry.select().order_by(PaymentLedgerEntry.seq)
    victim = rows[-2]
    async with triggers_lifted():
        await PaymentLedgerEntry.delete().where(PaymentLedgerEntry.id == victim["id"])
        try:
            broken = await _verify_cli()
            assert broken.returncode == 1
            assert f"seq {victim['seq'] + 1}:" in broken.stdout, broken.stdout
        finally:
            await PaymentLedgerEntry.insert(PaymentLedgerEntry(**victim))
    assert (await _verify_cli()).returncode == 0


async def test_cutting_off_the_newest_rows_is_caught_by_the_checkpoint() -> None:
    await asyncio.gather(*(_append(300 + i) for i in range(3)))
    written = await _verify_cli("checkpoint-ledger")
    assert written.returncode == 0 and written.stdout.startswith("checkpoint:"), written.stdout + written.stderr
    assert (await _verify_cli()).returncode == 0
    newest = await PaymentLedgerEntry.select().order_by(PaymentLedgerEntry.id, ascending=False).limit(2)
    async with triggers_lifted():
        await PaymentLedgerEntry.delete().where(PaymentLedgerEntry.id.is_in([row["id"] for row in newest]))
        try:
            broken = await _verify_cli()
            assert broken.returncode == 1, broken.stdout
            assert "truncated" in broken.stdout, broken.stdout
        finally:
            await PaymentLedgerEntry.insert(*(PaymentLedgerEntry(**row) for row in reversed(newest)))
    assert (await _verify_cli()).returncode == 0


async def test_a_forged_checkpoint_is_refused() -> None:
    await _append(400)
    head = await PaymentLedgerEntry.select().order_by(PaymentLedgerEntry.id, ascending=False).first()
    await LedgerCheckpoint.insert(LedgerCheckpoint(taken_at=utcnow(), entries=head["seq"] + 5,
                                                   head_hash=head["entry_hash"], signature="0" * 64))
    try:
        broken = await _verify_cli()
        assert broken.returncode == 1 and "signature" in broken.stdout, broken.stdout
    finally:
        async with triggers_lifted():
            await LedgerCheckpoint.delete().where(LedgerCheckpoint.signature == "0" * 64)
    assert (await _verify_cli()).returncode == 0


async def test_duplicate_deliveries_racing_before_settlement_add_one_entry(server, make_fan) -> None:
    """Eight deliveries of one signed event, all arriving before any has settled (so all pass the event-id look-up).

    Independent guards stand between them and a second sale; each has a test that fails when it alone is removed:
    - the event id is recorded once, UNIQUE(event_id) (webhooks._remember): this test, the one row counted below;
    - the event-id look-up before handling answers a later delivery `duplicate` without settling again:
      test_webhooks.py, test_a_replayed_event_adds_nothing;
    - the order's row is locked for the settlement (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) and its
      status re-read under that lock (_commit_paid ends when it is no longer pending or expired): test_settlement.py,
      test_a_settlement_racing_another_waits_for_the_order_row_then_writes_nothing;
    - the state table refuses paid -> paid in order_states.move, so a settlement past the status check rolls back:
      tests/payments/lifecycle/test_state_table.py, test_the_guard_allows_exactly_the_table_s_transitions;
    - the database's UNIQUE(show, seat) refuses a second ticket, and the settlement refunds instead: test_settlement.py,
      test_a_seat_redis_forgot_is_still_sold_once_by_the_database.
    Here the status re-check under the lock stops the late deliveries. Without it UNIQUE(show, seat) does (the tickets
    are written first; the refund path then finds the order paid); without both, the state table does (the late
    deliveries answer 500); only removing all three at once made this test fail, hence the focused tests. Neither the unlocked early return in _settle_success nor the Redis claim (which accepts the
    order's own hold until mark_sold) stops a delivery that raced past the event-id look-up.
    """
    show = await create_show()
    fan = await make_fan()
    standin = Standin(server)
    async with standin.webhooks_lost():
        order = await hold_and_checkout(fan, show.id, show.rows["Front/C"][:2])
        await standin.pay(order["payment"]["client_secret"])
        [event] = await standin.events(type="payment_intent.succeeded",
                                       payment_intent=intent_id_of(order["payment"]["client_secret"]))
    payload = json.dumps(event["event"]).encode()
    secret = webhook_secret(server.var_dir)

    async def deliver() -> httpx.Response:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            return await client.post("/api/v1/payments/stripe/webhook", content=payload, headers={
                "Content-Type": "application/json", "Stripe-Signature": stripe_signature(payload, secret)})

    answers = await asyncio.gather(*(deliver() for _ in range(8)))
    assert all(answer.status_code in (200, 503) for answer in answers), [a.text for a in answers]
    assert any(answer.status_code == 200 for answer in answers)
    await order_status_becomes(fan, order["order_id"], "paid")
    order_id = int(order["order_id"])
    assert await PaymentLedgerEntry.count().where(PaymentLedgerEntry.order_ref == order_id) == 1
    assert await Ticket.count().where(Ticket.order == order_id) == 2
    assert await ProcessedWebhookEvent.count().where(ProcessedWebhookEvent.event_id == event["event"]["id"]) == 1
    assert (await ledger.verify_chain()).ok
