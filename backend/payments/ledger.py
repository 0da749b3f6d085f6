"""The payments ledger: an append-only, hash-chained record of money that moved (payments in, refunds out).

Each row stores `entry_hash = sha256(prev_hash + canonical bytes of the row)`, where the canonical bytes are the
JSON array [seq, recorded_at, kind, order_ref, stripe_object_id, amount_cents, currency, status, prev_hash].
Editing, inserting or deleting a row anywhere but at the end breaks the chain from that row on, and
`python -m backend.payments verify-ledger` (`just verify-ledger`) names the first row (by seq) that does not match.

Rows hold Stripe object ids, amounts, currencies, statuses and times; never anything about a card.
Appends happen inside the caller's write transaction with every other writer kept out (SQLite: the IMMEDIATE
transaction's write lock; PostgreSQL: `LOCK TABLE ... IN EXCLUSIVE MODE`), so two writers can never both
chain onto the same previous row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from backend.payments.transactions import in_transaction, is_postgres
from db.tables import PaymentLedgerEntry

GENESIS_HASH = "0" * 64
VERIFY_BATCH = 2000

# Kinds of entries
PAYMENT = "payment"  # a PaymentIntent succeeded: money in
REFUND = "refund"  # money back to the fan


@dataclass(frozen=True)
class LedgerEntry:
    kind: str
    order_ref: int
    stripe_object_id: str
    amount_cents: int
    currency: str
    status: str


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(seq: int, recorded_at: datetime, entry: LedgerEntry, prev_hash: str) -> bytes:
    return msgspec.json.encode([
        seq, _time(recorded_at), entry.kind, entry.order_ref, entry.stripe_object_id, entry.amount_cents,
        entry.currency, entry.status, prev_hash,
    ])


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical).hexdigest()


async def append(entry: LedgerEntry, now: datetime, *, once_per_order: bool = False) -> bool:
    """Append a row; call inside a write transaction. With `once_per_order`, skip if the order has that kind.

    Returns whether a row was written.
    """
    if not in_transaction():
        raise RuntimeError("ledger.append must run inside a write transaction (see payments.transactions)")
    if is_postgres():
        # EXCLUSIVE blocks other writers (and their locks) but not plain reads, so `verify` can run meanwhile.
        await PaymentLedgerEntry.raw("LOCK TABLE payment_ledger IN EXCLUSIVE MODE")
    if once_per_order and await PaymentLedgerEntry.exists().where(
        (PaymentLedgerEntry.kind == entry.kind) & (PaymentLedgerEntry.order_ref == entry.order_ref)
    ):
        return False
    # Appends are serialized, so the newest row by primary key is the chain's head: an index lookup, not a scan.
    last = await PaymentLedgerEntry.select(PaymentLedgerEntry.seq, PaymentLedgerEntry.entry_hash).order_by(
        PaymentLedgerEntry.id, ascending=False
    ).first()
    seq = last["seq"] + 1 if last else 1
    prev_hash = last["entry_hash"] if last else GENESIS_HASH
    # Microseconds at most: what both databases store, so the bytes hashed now are the bytes read back later.
    recorded_at = now.astimezone(UTC)
    await PaymentLedgerEntry.insert(PaymentLedgerEntry(
        seq=seq, recorded_at=recorded_at, kind=entry.kind, order_ref=entry.order_ref,
        stripe_object_id=entry.stripe_object_id, amount_cents=entry.amount_cents, currency=entry.currency,
        status=entry.status, prev_hash=prev_hash,
        entry_hash=chain_hash(prev_hash, canonical_bytes(seq, recorded_at, entry, prev_hash)),
    ))
    return True


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _problem(row: dict, expected_seq: int, prev_hash: str) -> str | None:
    if row["seq"] != expected_seq:
        return f"expected seq {expected_seq} here: a row is missing, was added or was renumbered"
    if row["prev_hash"] != prev_hash:
        return "prev_hash does not match the entry_hash of the row before it"
    entry = LedgerEntry(kind=row["kind"], order_ref=row["order_ref"], stripe_object_id=row["stripe_object_id"],
                        amount_cents=row["amount_cents"], currency=row["currency"], status=row["status"])
    if chain_hash(prev_hash, canonical_bytes(row["seq"], row["recorded_at"], entry, row["prev_hash"])) != (
        row["entry_hash"]
    ):
        return "entry_hash does not match the row's contents: the row was edited"
    return None


async def verify_chain() -> ChainReport:
    """Walk every row in the order it was appended (primary key); stop at the first that does not chain."""
    prev_hash, expected_seq, count, after_id = GENESIS_HASH, 1, 0, None
    table = PaymentLedgerEntry
    while True:
        query = table.select(
            table.id, table.seq, table.recorded_at, table.kind, table.order_ref, table.stripe_object_id,
            table.amount_cents, table.currency, table.status, table.prev_hash, table.entry_hash,
        )
        if after_id is not None:
            query = query.where(table.id > after_id)
        rows = await query.order_by(table.id).limit(VERIFY_BATCH)
        for row in rows:
            problem = _problem(row, expected_seq, prev_hash)
            if problem:
                return ChainReport(entries=count, head=prev_hash, broken_seq=row["seq"], broken_id=row["id"],
                                   problem=problem)
            prev_hash, expected_seq, count = row["entry_hash"], expected_seq + 1, count + 1
        if len(rows) < VERIFY_BATCH:
            return ChainReport(entries=count, head=prev_hash)
        after_id = rows[-1]["id"]
