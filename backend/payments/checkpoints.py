"""Signed checkpoints of every ledger chain's head, so cutting off or replacing a chain's newest rows is detected.

A hash chain proves every row since its first is intact, but a chain with its last rows deleted is still a valid
(shorter) chain, and so is one whose tail was replaced by new rows hashed onto the same prefix. On a schedule,
the heads of all chains (one per show, `ledger_chain`) are noted in `ledger_checkpoint`: how many chains and
entries, and the Merkle root over every chain's (chain, entries, head hash), under an HMAC with SECRET_KEY, and
written to the log (a copy outside the database). The heads that moved since the checkpoint before are kept as
`ledger_checkpoint_head` rows, which the signature covers. Verification then requires every chain to pass
through every head a checkpoint saw: at least that many entries (else it was truncated), and that very hash at
that seq (else its rows from there on were replaced, alone or with a re-hashed suffix); and the heads kept must
add up to the newest checkpoint's signed root (else a checkpoint's heads were deleted).

The tables refuse UPDATE and DELETE by trigger; someone who lifts the triggers and deletes checkpoints too is
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
from backend.payments.ledger import GENESIS_HASH, LEGACY_CHAIN
from backend.payments.transactions import is_postgres, write_transaction
from backend.settings import Settings
from backend.timeutil import utcnow
from db.tables import LedgerChain, LedgerCheckpoint, LedgerCheckpointHead

logger = logging.getLogger("showtime.payments.checkpoints")

Head = tuple[int, int, str]  # (chain, entries, head hash)
# Any constant: the advisory lock that lets one checkpoint writer at a time read the heads and note them.
_WRITER_LOCK = 7_220_022


@dataclass(frozen=True)
class Checkpoint:
    taken_at: datetime
    chains: int
    entries: int
    root: str


def _time(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def merkle_root(heads: list[Head]) -> str:
    """The root over every chain's head, leaves in chain order; an odd node at a level moves up as it is."""
    level = [hashlib.sha256(f"leaf|{chain}|{entries}|{head}".encode()).hexdigest()
             for chain, entries, head in sorted(heads)]
    if not level:
        return GENESIS_HASH
    while len(level) > 1:
        level = [hashlib.sha256((level[i] + level[i + 1]).encode()).hexdigest() if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def _digest(moved: list[Head]) -> str:
    return hashlib.sha256(";".join(f"{c}:{n}:{h}" for c, n, h in sorted(moved)).encode()).hexdigest()


def sign(secret_key: str, checkpoint: Checkpoint, moved: list[Head]) -> str:
    message = (f"ledger-checkpoint-v2|{_time(checkpoint.taken_at)}|{checkpoint.chains}|{checkpoint.entries}|"
               f"{checkpoint.root}|{_digest(moved)}")
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_v1(secret_key: str, taken_at: datetime, entries: int, head_hash: str) -> str:
    """The signature of a checkpoint taken before the ledger was partitioned (one chain, now chain 0)."""
    message = f"ledger-checkpoint|{entries}|{head_hash}|{_time(taken_at)}"
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


@metrics.checkpointed
async def write_checkpoint(secret_key: str, now: datetime) -> Checkpoint | None:
    """Note every chain's head unless none moved since the last checkpoint (an idle ledger adds no rows)."""
    async with write_transaction():
        if is_postgres():
            # One writer at a time, so checkpoint ids follow the order in which the heads were read.
            await LedgerCheckpoint.raw("SELECT pg_advisory_xact_lock({})", _WRITER_LOCK)
        rows = await LedgerChain.select(LedgerChain.chain, LedgerChain.entries, LedgerChain.head_hash).order_by(
            LedgerChain.chain)
        heads: list[Head] = [(row["chain"], row["entries"], row["head_hash"]) for row in rows]
        noted = await LedgerCheckpointHead.raw(
            "SELECT chain, MAX(entries) AS entries FROM ledger_checkpoint_head GROUP BY chain")
        known = {row["chain"]: row["entries"] for row in noted}
        moved = [head for head in heads if head[1] > known.get(head[0], 0)]
        if not moved:
            return None
        checkpoint = Checkpoint(taken_at=now.astimezone(UTC), chains=len(heads),
                                entries=sum(head[1] for head in heads), root=merkle_root(heads))
        signature = sign(secret_key, checkpoint, moved)
        [inserted] = await LedgerCheckpoint.insert(LedgerCheckpoint(
            taken_at=checkpoint.taken_at, entries=checkpoint.entries, head_hash=checkpoint.root,
            signature=signature, version=2, chains=checkpoint.chains,
        )).returning(LedgerCheckpoint.id)
        await LedgerCheckpointHead.insert(*(
            LedgerCheckpointHead(checkpoint=inserted["id"], chain=chain, entries=entries, head_hash=head)
            for chain, entries, head in moved
        ))
    logger.info("ledger checkpoint: %d chains, %d entries, root %s (%d heads moved)", checkpoint.chains,
                checkpoint.entries, checkpoint.root, len(moved),
                extra={"ledger_chains": checkpoint.chains, "ledger_entries": checkpoint.entries,
                       "ledger_root": checkpoint.root, "ledger_heads_moved": [list(head) for head in moved],
                       "checkpoint_signature": signature, "checkpoint_at": _time(checkpoint.taken_at)})
    return checkpoint


@dataclass(frozen=True)
class Requirements:
    """What the signed checkpoints require of the ledger: chain -> {seq: entry_hash}, or why they cannot be
    trusted (a forged or edited checkpoint, heads that do not add up to the signed root)."""

    points: dict[int, dict[int, str]]
    problem: str | None = None
    checkpoints: int = 0


async def requirements(secret_key: str) -> Requirements:
    checkpoints = await LedgerCheckpoint.select().order_by(LedgerCheckpoint.id)
    moved_by: dict[int, list[Head]] = {}
    for row in await LedgerCheckpointHead.select().order_by(LedgerCheckpointHead.id):
        moved_by.setdefault(row["checkpoint"], []).append((row["chain"], row["entries"], row["head_hash"]))
    points: dict[int, dict[int, str]] = {}
    latest: dict[int, tuple[int, str]] = {}  # chain -> the newest head any checkpoint saw
    newest: tuple[int, Checkpoint] | None = None
    for row in checkpoints:
        if row["version"] == 1:
            if not hmac.compare_digest(row["signature"], sign_v1(secret_key, row["taken_at"], row["entries"],
                                                                 row["head_hash"])):
                return Requirements(points, f"checkpoint {row['id']} does not carry this server's signature: it "
                                            "was forged or edited")
            points.setdefault(LEGACY_CHAIN, {})[row["entries"]] = row["head_hash"]
            continue
        moved = moved_by.get(row["id"], [])
        checkpoint = Checkpoint(taken_at=row["taken_at"], chains=row["chains"], entries=row["entries"],
                                root=row["head_hash"])
        if not hmac.compare_digest(row["signature"], sign(secret_key, checkpoint, moved)):
            return Requirements(points, f"checkpoint {row['id']} does not carry this server's signature: it, or "
                                        "the heads noted with it, were forged or edited")
        for chain, entries, head in moved:
            points.setdefault(chain, {})[entries] = head
            if entries >= latest.get(chain, (0, ""))[0]:
                latest[chain] = (entries, head)
        newest = (row["id"], checkpoint)
    if newest is not None:
        heads = [(chain, entries, head) for chain, (entries, head) in latest.items()]
        if merkle_root(heads) != newest[1].root or len(heads) != newest[1].chains:
            return Requirements(points, f"the heads kept do not add up to checkpoint {newest[0]}'s signed root: "
                                        "a checkpoint's heads were deleted")
    return Requirements(points, None, len(checkpoints))


async def run_ledger_checkpoints(settings: Settings) -> None:
    """Background job: a checkpoint every LEDGER_CHECKPOINT_SECONDS (each process; unmoved heads add none)."""
    await repeat_forever(lambda: write_checkpoint(settings.secret_key, utcnow()),
                         settings.ledger_checkpoint_seconds, "ledger checkpoint", logger)
