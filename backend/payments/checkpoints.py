"""Signed checkpoints of the payments ledger's head, so cutting off its newest rows is detected.

The hash chain proves every row since the first is intact, but a chain with its last rows deleted is still a valid
(shorter) chain. On a schedule, the head (how many entries, the newest entry_hash) is written to
`ledger_checkpoint` with an HMAC under SECRET_KEY, and to the log (a copy outside the database). Verification then
requires the chain to reach every checkpoint: as many entries at least, and the checkpointed row's hash unchanged.
Both tables refuse UPDATE and DELETE by trigger; someone who lifts the triggers and deletes checkpoints too is
still contradicted by the logged copies, and cannot forge a newer checkpoint without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.infra import metrics
from backend.infra.periodic import repeat_forever
from backend.payments.ledger import ChainReport
from backend.settings import Settings
from backend.timeutil import utcnow
from db.tables import LedgerCheckpoint, PaymentLedgerEntry

logger = logging.getLogger("showtime.payments.checkpoints")


@dataclass(frozen=True)
class Checkpoint:
    taken_at: datetime
    entries: int
    head_hash: str


def _time(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sign(secret_key: str, checkpoint: Checkpoint) -> str:
    message = f"ledger-checkpoint|{checkpoint.entries}|{checkpoint.head_hash}|{_time(checkpoint.taken_at)}"
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


async def _head() -> tuple[int, str] | None:
    row = await PaymentLedgerEntry.select(PaymentLedgerEntry.seq, PaymentLedgerEntry.entry_hash).order_by(
        PaymentLedgerEntry.id, ascending=False).first()
    return (row["seq"], row["entry_hash"]) if row else None


@metrics.checkpointed
async def write_checkpoint(secret_key: str, now: datetime) -> Checkpoint | None:
    """Note the current head unless the newest checkpoint already says the same (an idle ledger adds no rows)."""
    head = await _head()
    if head is None:
        return None
    latest = await LedgerCheckpoint.select(LedgerCheckpoint.entries, LedgerCheckpoint.head_hash).order_by(
        LedgerCheckpoint.id, ascending=False).first()
    if latest and (latest["entries"], latest["head_hash"]) == head:
        return None
    checkpoint = Checkpoint(taken_at=now.astimezone(UTC), entries=head[0], head_hash=head[1])
    signature = sign(secret_key, checkpoint)
    await LedgerCheckpoint.insert(LedgerCheckpoint(taken_at=checkpoint.taken_at, entries=checkpoint.entries,
                                                   head_hash=checkpoint.head_hash, signature=signature))
    logger.info("ledger checkpoint: %d entries, head %s", checkpoint.entries, checkpoint.head_hash,
                extra={"ledger_entries": checkpoint.entries, "ledger_head": checkpoint.head_hash,
                       "checkpoint_signature": signature, "checkpoint_at": _time(checkpoint.taken_at)})
    return checkpoint


async def checkpoint_problem(secret_key: str, chain: ChainReport) -> str | None:
    """Why the (intact) chain contradicts a checkpoint, or None. Every checkpoint must carry this server's
    signature; the newest valid one must be reached by the chain with the same hash at its row."""
    rows = await LedgerCheckpoint.select().order_by(LedgerCheckpoint.id)
    newest: Checkpoint | None = None
    for row in rows:
        checkpoint = Checkpoint(taken_at=row["taken_at"], entries=row["entries"], head_hash=row["head_hash"])
        if not hmac.compare_digest(row["signature"], sign(secret_key, checkpoint)):
            return f"checkpoint {row['id']} does not carry this server's signature: it was forged or edited"
        if newest is None or checkpoint.entries >= newest.entries:
            newest = checkpoint
    if newest is None:
        return None
    if chain.entries < newest.entries:
        return (f"truncated: the checkpoint of {_time(newest.taken_at)} saw {newest.entries} entries, "
                f"the chain has {chain.entries}")
    reached = await PaymentLedgerEntry.select(PaymentLedgerEntry.entry_hash).where(
        PaymentLedgerEntry.seq == newest.entries).first()
    if reached is None or reached["entry_hash"] != newest.head_hash:
        return (f"the entry at seq {newest.entries} is not the one checkpointed at {_time(newest.taken_at)}: "
                "the newest rows were replaced")
    return None


async def run_ledger_checkpoints(settings: Settings) -> None:
    """Background job: a checkpoint every LEDGER_CHECKPOINT_SECONDS (each process; an unchanged head adds none)."""
    await repeat_forever(lambda: write_checkpoint(settings.secret_key, utcnow()),
                         settings.ledger_checkpoint_seconds, "ledger checkpoint", logger)
