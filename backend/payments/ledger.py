"""The payments ledger: an append-only, hash-chained record of money that moved (payments in, refunds out), one
chain per show.

Each row stores `entry_hash = sha256(prev_hash + canonical bytes of the row)`, where the canonical bytes are the
JSON array [chain, seq, recorded_at, kind, order_ref, stripe_object_id, amount_cents, currency, status, prev_hash]
(chain 0, the rows written before the ledger was partitioned, leaves `chain` out: they were hashed that way).
Editing, inserting or deleting a row anywhere but at the end of its chain breaks that chain from the row on, and
`python -m backend.payments verify-ledger` (`just verify-ledger`) names the chain and the first row (by seq) that
does not match; the signed checkpoints (checkpoints.py) catch a chain whose newest rows were cut off or replaced.

Why a chain per show: a chain is a sequence, so its appends are serialized; one chain for the whole platform made
every settlement of every show wait for one lock (`LOCK TABLE payment_ledger`, 79-253 paid orders/s in all). Now
an append locks only its show's head row (`ledger_chain`), and for as short as possible: on PostgreSQL the head is
advanced, the new hash computed (`sha256` in SQL) and the row inserted by ONE statement, the settlement's last
before COMMIT; so the lock is held for that statement and the commit, and settlements of different shows never
wait for each other. On SQLite the write transaction (BEGIN IMMEDIATE) already keeps every other writer out.

Rows hold Stripe object ids, amounts, currencies, statuses and times; never anything about a card.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec

from backend.payments.transactions import in_transaction, is_postgres
from db.tables import LedgerChain, PaymentLedgerEntry

GENESIS_HASH = "0" * 64
LEGACY_CHAIN = 0  # the one chain of the rows written before the ledger was partitioned
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
    chain: int  # the order's show: its chain


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _body(recorded_at: datetime, entry: LedgerEntry) -> bytes:
    """The canonical bytes between seq and prev_hash: what the row says, the same wherever it lands in its chain."""
    return msgspec.json.encode([
        _time(recorded_at), entry.kind, entry.order_ref, entry.stripe_object_id, entry.amount_cents,
        entry.currency, entry.status,
    ])[1:-1]


def _canonical(chain: int, seq: int, body: bytes, prev_hash: str) -> bytes:
    head = b"[" if chain == LEGACY_CHAIN else b"[%d," % chain
    return head + b"%d," % seq + body + b',"' + prev_hash.encode() + b'"]'


def canonical_bytes(chain: int, seq: int, recorded_at: datetime, entry: LedgerEntry, prev_hash: str) -> bytes:
    return _canonical(chain, seq, _body(recorded_at, entry), prev_hash)


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical).hexdigest()


# One statement: advance the chain's head (locking its row until commit), hash the new row in SQL exactly as
# `chain_hash(prev, _canonical(chain, seq, body, prev))` does, insert it. A chain's first row is hashed by Python
# (the INSERT branch); `body` is ASCII-safe JSON text, so convert_to gives the bytes Python hashes.
_APPEND_POSTGRES = (
    "WITH link AS ("
    " INSERT INTO ledger_chain AS c (chain, entries, prev_hash, head_hash) VALUES ({}::bigint, 1, {}::text, {}::text)"
    " ON CONFLICT (chain) DO UPDATE SET entries = c.entries + 1, prev_hash = c.head_hash,"
    " head_hash = encode(sha256(convert_to(c.head_hash || '[' || c.chain::text || ',' || (c.entries + 1)::text"
    " || ',' || {}::text || ',\"' || c.head_hash || '\"]', 'UTF8')), 'hex')"
    " RETURNING c.chain, c.entries, c.prev_hash, c.head_hash)"
    " INSERT INTO payment_ledger (chain, seq, recorded_at, kind, order_ref, stripe_object_id, amount_cents,"
    " currency, status, prev_hash, entry_hash)"
    " SELECT chain, entries, {}::timestamptz, {}::text, {}::bigint, {}::text, {}::integer, {}::text, {}::text,"
    " prev_hash, head_hash FROM link"
)


async def append(entry: LedgerEntry, now: datetime, *, once_per_order: bool = False) -> bool:
    """Append a row to the entry's chain; call inside a write transaction, as its last statement before commit
    (the chain's head stays locked from here to the commit). With `once_per_order`, skip if the order has that kind.

    Returns whether a row was written.
    """
    if not in_transaction():
        raise RuntimeError("ledger.append must run inside a write transaction (see payments.transactions)")
    if entry.chain == LEGACY_CHAIN:
        raise ValueError("chain 0 holds the rows from before the ledger was partitioned; append to the show's chain")
    if once_per_order and await PaymentLedgerEntry.exists().where(
        (PaymentLedgerEntry.kind == entry.kind) & (PaymentLedgerEntry.order_ref == entry.order_ref)
    ):
        return False
    # Microseconds at most: what both databases store, so the bytes hashed now are the bytes read back later.
    recorded_at = now.astimezone(UTC)
    body = _body(recorded_at, entry)
    first_hash = chain_hash(GENESIS_HASH, _canonical(entry.chain, 1, body, GENESIS_HASH))
    if is_postgres():
        await PaymentLedgerEntry.raw(
            _APPEND_POSTGRES, entry.chain, GENESIS_HASH, first_hash, body.decode(), recorded_at, entry.kind,
            entry.order_ref, entry.stripe_object_id, entry.amount_cents, entry.currency, entry.status,
        )
        return True
    head = await LedgerChain.select(LedgerChain.entries, LedgerChain.head_hash).where(
        LedgerChain.chain == entry.chain).first()
    seq = head["entries"] + 1 if head else 1
    prev_hash = head["head_hash"] if head else GENESIS_HASH
    entry_hash = chain_hash(prev_hash, _canonical(entry.chain, seq, body, prev_hash))
    await PaymentLedgerEntry.insert(PaymentLedgerEntry(
        chain=entry.chain, seq=seq, recorded_at=recorded_at, kind=entry.kind, order_ref=entry.order_ref,
        stripe_object_id=entry.stripe_object_id, amount_cents=entry.amount_cents, currency=entry.currency,
        status=entry.status, prev_hash=prev_hash, entry_hash=entry_hash,
    ))
    await LedgerChain.raw(
        "INSERT INTO ledger_chain (chain, entries, prev_hash, head_hash) VALUES ({}, {}, {}, {}) "
        "ON CONFLICT (chain) DO UPDATE SET entries = excluded.entries, prev_hash = excluded.prev_hash, "
        "head_hash = excluded.head_hash", entry.chain, seq, prev_hash, entry_hash,
    )
    return True


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class ChainReport:
    """What a walk of every chain found: each chain's length and head, and the first row that does not chain."""

    entries: int
    heads: dict[int, tuple[int, str]] = field(default_factory=dict)  # chain -> (entries, head hash)
    broken_chain: int | None = None
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def chains(self) -> int:
        return len(self.heads)


def _problem(row: dict, expected_seq: int, prev_hash: str) -> str | None:
    if row["seq"] != expected_seq:
        return f"expected seq {expected_seq} here: a row is missing, was added or was renumbered"
    if row["prev_hash"] != prev_hash:
        return "prev_hash does not match the entry_hash of the row before it"
    entry = LedgerEntry(kind=row["kind"], order_ref=row["order_ref"], stripe_object_id=row["stripe_object_id"],
                        amount_cents=row["amount_cents"], currency=row["currency"], status=row["status"],
                        chain=row["chain"])
    canonical = canonical_bytes(row["chain"], row["seq"], row["recorded_at"], entry, row["prev_hash"])
    if chain_hash(prev_hash, canonical) != row["entry_hash"]:
        return "entry_hash does not match the row's contents: the row was edited"
    return None


async def verify_chain(required: dict[int, dict[int, str]] | None = None) -> ChainReport:
    """Walk every chain in order (chain, seq); stop at the first row that does not chain.

    `required` (from the signed checkpoints): chain -> {seq: entry_hash} points each chain must pass through; a
    chain that is shorter than one of them was truncated, a row there with another hash was replaced (alone, or
    with every row after it re-hashed)."""
    required = required or {}
    table = PaymentLedgerEntry
    heads: dict[int, tuple[int, str]] = {}
    count = 0
    chain, prev_hash, expected_seq = -1, GENESIS_HASH, 1
    after: tuple[int, int] | None = None

    def broken(row: dict, problem: str) -> ChainReport:
        return ChainReport(entries=count, heads=heads, broken_chain=row["chain"], broken_seq=row["seq"],
                           broken_id=row["id"], problem=problem)

    while True:
        query = table.select(
            table.id, table.chain, table.seq, table.recorded_at, table.kind, table.order_ref,
            table.stripe_object_id, table.amount_cents, table.currency, table.status, table.prev_hash,
            table.entry_hash,
        )
        if after is not None:
            query = query.where((table.chain > after[0]) | ((table.chain == after[0]) & (table.seq > after[1])))
        rows = await query.order_by(table.chain).order_by(table.seq).limit(VERIFY_BATCH)
        for row in rows:
            if row["chain"] != chain:
                chain, prev_hash, expected_seq = row["chain"], GENESIS_HASH, 1
            problem = _problem(row, expected_seq, prev_hash)
            if problem:
                return broken(row, problem)
            checkpointed = required.get(chain, {}).get(row["seq"])
            if checkpointed is not None and checkpointed != row["entry_hash"]:
                return broken(row, "this is not the row a signed checkpoint saw at this seq: the chain's rows from "
                                   "here on were replaced (or edited and re-hashed)")
            prev_hash, expected_seq, count = row["entry_hash"], expected_seq + 1, count + 1
            heads[chain] = (row["seq"], row["entry_hash"])
        if len(rows) < VERIFY_BATCH:
            break
        after = (rows[-1]["chain"], rows[-1]["seq"])
    for required_chain, points in sorted(required.items()):
        length = heads.get(required_chain, (0, GENESIS_HASH))[0]
        if points and max(points) > length:
            return ChainReport(entries=count, heads=heads, broken_chain=required_chain, broken_seq=length + 1,
                               problem=f"truncated: a signed checkpoint saw {max(points)} entries in chain "
                                       f"{required_chain}, the chain has {length}")
    return ChainReport(entries=count, heads=heads)
