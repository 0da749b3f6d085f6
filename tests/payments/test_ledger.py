"""The ledger's hash chain: concurrent appends never fork it (tampering: test_ledger_integrity.py)."""

from __future__ import annotations

import asyncio
import os
import secrets
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


async def _append(index: int, run: str = "") -> None:
    async with write_transaction():
        await ledger.append(ledger.LedgerEntry(
            kind=ledger.PAYMENT, order_ref=900_000 + index, stripe_object_id=f"pi_test_{run}{index:04d}",
            amount_cents=1000 + index, currency="EUR", status="succeeded",
        ), utcnow() + timedelta(microseconds=index))


async def test_concurrent_appends_keep_one_chain() -> None:
    # Counted by this test's own ids: the suite's server settles other tests' payments meanwhile, into the same chain.
    run = f"{secrets.token_hex(3)}_"
    await asyncio.gather(*(_append(i, run) for i in range(40)))
    assert await PaymentLedgerEntry.count().where(PaymentLedgerEntry.stripe_object_id.like(f"pi_test_{run}%")) == 40
    seqs = await PaymentLedgerEntry.select(PaymentLedgerEntry.seq).order_by(PaymentLedgerEntry.seq).output(
        as_list=True)
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
