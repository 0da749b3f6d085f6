"""The ledger's hash chains, one per show: concurrent appends never fork a chain nor lose or double a row, and
appends to different chains do not wait for each other's commit (tampering: test_ledger_integrity.py)."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import hashlib
import secrets
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from backend.payments import ledger
from backend.payments.transactions import is_postgres, write_transaction
from backend.timeutil import utcnow
from db.tables import LedgerChain, PaymentLedgerEntry

# The server's launcher migrates the suite's database.
pytestmark = pytest.mark.usefixtures("server")


def new_chains(count: int) -> list[int]:
    """Chain numbers no show of the suite uses (shows are numbered from 1): each test appends to its own chains."""
    base = 10**12 + secrets.randbelow(10**9) * 1000
    return [base + i for i in range(count)]


def entry(chain: int, index: int, run: str = "") -> ledger.LedgerEntry:
    return ledger.LedgerEntry(kind=ledger.PAYMENT, order_ref=900_000 + index, stripe_object_id=f"pi_test_{run}{index:04d}",
                              amount_cents=1000 + index, currency="EUR", status="succeeded", chain=chain)


async def _append(chain: int, index: int, run: str = "") -> None:
    async with write_transaction():
        await ledger.append(entry(chain, index, run), utcnow() + timedelta(microseconds=index))


async def test_concurrent_appends_keep_one_chain_per_show() -> None:
    chains = new_chains(4)
    await asyncio.gather(*(_append(chains[i % 4], i) for i in range(40)))
    for chain in chains:
        rows = await PaymentLedgerEntry.select(PaymentLedgerEntry.seq, PaymentLedgerEntry.order_ref).where(
            PaymentLedgerEntry.chain == chain).order_by(PaymentLedgerEntry.seq)
        assert [row["seq"] for row in rows] == list(range(1, 11))
        assert sorted(row["order_ref"] for row in rows) == [900_000 + i for i in range(40) if chains[i % 4] == chain]
        head = await LedgerChain.select().where(LedgerChain.chain == chain).first()
        last = await PaymentLedgerEntry.select().where(
            (PaymentLedgerEntry.chain == chain) & (PaymentLedgerEntry.seq == 10)).first()
        assert (head["entries"], head["head_hash"], head["prev_hash"]) == (10, last["entry_hash"], last["prev_hash"])
    report = await ledger.verify_chain()
    assert report.ok, report
    assert all(report.heads[chain][0] == 10 for chain in chains)


async def test_an_append_to_one_show_does_not_wait_for_another_show_s_commit() -> None:
    """A settlement of show A holds A's chain head until it commits; show B's append goes through meanwhile. With
    one lock for every chain (the table lock this replaced) B waits for A's commit."""
    if not is_postgres():
        pytest.skip("SQLite has one writer at a time: every write transaction waits for the one before")
    first, second = new_chains(2)
    await _append(first, 0)
    async with write_transaction():
        await ledger.append(entry(first, 1), utcnow())  # A's head stays locked until this block commits
        other = asyncio.create_task(_append(second, 2), context=contextvars.Context())
        await asyncio.wait_for(asyncio.shield(other), 5)
        same = asyncio.create_task(_append(first, 3), context=contextvars.Context())
        await asyncio.sleep(0.3)
        assert not same.done(), "a second append to the same chain did not wait for the head"
    await same
    assert (await ledger.verify_chain()).ok


async def test_append_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        await ledger.append(entry(new_chains(1)[0], 1), utcnow())


async def test_the_legacy_chain_takes_no_new_rows() -> None:
    async with write_transaction():
        with pytest.raises(ValueError, match="chain 0"):
            await ledger.append(entry(ledger.LEGACY_CHAIN, 1), utcnow())


def test_the_database_s_hash_is_python_s() -> None:
    """The PostgreSQL statement rebuilds canonical_bytes in SQL; the seq-2 row it writes must verify in Python (the
    concurrent test above walks such rows), and chain 0 keeps the layout it was hashed with before the partition."""
    when = utcnow()
    row = entry(7, 1)
    assert ledger.canonical_bytes(7, 2, when, row, "ab").startswith(b"[7,2,")
    legacy = ledger.canonical_bytes(0, 2, when, row, "ab")
    assert legacy == msgspec.json.encode([2, ledger._time(when), row.kind, row.order_ref, row.stripe_object_id,
                                          row.amount_cents, row.currency, row.status, "ab"])


async def test_append_says_whether_it_wrote_a_row() -> None:
    """`once_per_order`: a second entry of the same kind for the order is skipped, and append says so."""
    chain = new_chains(1)[0]
    order = dataclasses.replace(entry(chain, 1, "once"), order_ref=10**9 + secrets.randbelow(10**9))
    for written in (True, False):
        async with write_transaction():
            assert await ledger.append(order, utcnow(), once_per_order=True) is written
    [row] = await PaymentLedgerEntry.select().where(PaymentLedgerEntry.chain == chain)
    # A chain starts from 64 zeros: what an auditor checking the exported ledger.csv starts from.
    assert (row["seq"], row["prev_hash"]) == (1, "0" * 64)
    canonical = ledger.canonical_bytes(chain, 1, row["recorded_at"], order, "0" * 64)
    assert row["entry_hash"] == hashlib.sha256(("0" * 64).encode() + canonical).hexdigest()


def test_a_time_is_hashed_as_the_same_instant_in_utc_whatever_its_zone() -> None:
    """A stored time can come back naive (UTC by convention) or in another zone; it is hashed as one UTC instant."""
    expected = "2026-12-07T12:00:00.000250Z"
    assert ledger._time(datetime(2026, 12, 7, 12, 0, 0, 250)) == expected
    assert ledger._time(datetime(2026, 12, 7, 12, 0, 0, 250, tzinfo=UTC)) == expected
    assert ledger._time(datetime(2026, 12, 7, 13, 0, 0, 250, tzinfo=timezone(timedelta(hours=1)))) == expected
