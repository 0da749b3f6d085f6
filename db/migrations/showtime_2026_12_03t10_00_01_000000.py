"""Ledger chains, second step: one row per (chain, seq); chain 0 (every row written before the ledger was
partitioned: one global chain, hashed without a chain number) gets its head row; the checkpoints' heads are
append-only like the ledger and found by (chain, entries)."""

from importlib import import_module

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-03T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (chain, seq) on payment_ledger; chain 0's head; ledger_checkpoint_head append-only"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS payment_ledger_chain_seq ON payment_ledger (chain, seq)",
    "CREATE INDEX IF NOT EXISTS ledger_checkpoint_head_chain ON ledger_checkpoint_head (chain, entries)",
    "INSERT INTO ledger_chain (chain, entries, prev_hash, head_hash) "
    "SELECT 0, seq, prev_hash, entry_hash FROM payment_ledger WHERE chain = 0 ORDER BY seq DESC LIMIT 1",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)

    async def run():
        from piccolo.engine import engine_finder

        triggers = import_module("db.migrations.showtime_2026_12_01t15_13_00_000000")
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            append_only = triggers.postgres_statements("ledger_checkpoint_head")
        else:
            append_only = triggers.sqlite_statements("ledger_checkpoint_head")
        for statement in (*STATEMENTS, *append_only):
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
