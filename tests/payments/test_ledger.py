"""The ledger's hash chain: concurrent appends never fork it, and editing or deleting any row makes
`python -m backend.payments verify-ledger` fail naming that row's seq."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from backend.payments import ledger
from backend.payments.transactions import write_transaction
from backend.settings import PROJECT_ROOT
from backend.timeutil import utcnow
from db.tables import PaymentLedgerEntry

# The server's launcher migrates the suite's database.
pytestmark = pytest.mark.usefixtures("server")


async def _verify_cli() -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "backend.payments", "verify-ledger"], cwd=PROJECT_ROOT,
        env={**os.environ}, capture_output=True, text=True, timeout=60,
    )


async def _append(index: int) -> None:
    async with write_transaction():
        await ledger.append(ledger.LedgerEntry(
            kind=ledger.PAYMENT, order_ref=900_000 + index, stripe_object_id=f"pi_test_{index:04d}",
            amount_cents=1000 + index, currency="EUR", status="succeeded",
        ), utcnow() + timedelta(microseconds=index))


async def test_concurrent_appends_keep_one_chain() -> None:
    before = await PaymentLedgerEntry.count()
    await asyncio.gather(*(_append(i) for i in range(40)))
    seqs = await PaymentLedgerEntry.select(PaymentLedgerEntry.seq).order_by(PaymentLedgerEntry.seq).output(
        as_list=True)
    assert len(seqs) == before + 40
    assert seqs == list(range(1, len(seqs) + 1))
    report = await ledger.verify_chain()
    assert report.ok and report.entries == len(seqs), report


async def test_append_outside_a_transaction_is_refused() -> None:
    try:
        await ledger.append(ledger.LedgerEntry("payment", 1, "pi_x", 1, "EUR", "succeeded"), utcnow())
    except RuntimeError as exc:
        assert "transaction" in str(exc)
    else:
        raise AssertionError("append outside a transaction was accepted")


async def test_an_edited_row_is_named_by_verify() -> None:
    await asyncio.gather(*(_append(100 + i) for i in range(3)))
    ok = await _verify_cli()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("ledger OK:")

    rows = await PaymentLedgerEntry.select().order_by(PaymentLedgerEntry.seq)
    victim = rows[len(rows) // 2]
    for column, value in ((PaymentLedgerEntry.amount_cents, victim["amount_cents"] + 1),
                          (PaymentLedgerEntry.stripe_object_id, "pi_forged"),
                          (PaymentLedgerEntry.recorded_at, victim["recorded_at"] + timedelta(seconds=1))):
        await PaymentLedgerEntry.update({column: value}).where(PaymentLedgerEntry.id == victim["id"])
        broken = await _verify_cli()
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert f"seq {victim['seq']}:" in broken.stdout, broken.stdout
        await PaymentLedgerEntry.update({column: victim[column._meta.name]}).where(
            PaymentLedgerEntry.id == victim["id"])
    assert (await _verify_cli()).returncode == 0


async def test_a_deleted_row_breaks_the_chain_at_the_next_one() -> None:
    await asyncio.gather(*(_append(200 + i) for i in range(3)))
    rows = await PaymentLedgerEntry.select().order_by(PaymentLedgerEntry.seq)
    victim = rows[-2]
    await PaymentLedgerEntry.delete().where(PaymentLedgerEntry.id == victim["id"])
    try:
        broken = await _verify_cli()
        assert broken.returncode == 1
        assert f"seq {victim['seq'] + 1}:" in broken.stdout, broken.stdout
    finally:
        await PaymentLedgerEntry.insert(PaymentLedgerEntry(**victim))
    assert (await _verify_cli()).returncode == 0
