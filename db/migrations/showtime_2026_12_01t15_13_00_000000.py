"""The payments ledger and its checkpoints are append-only in the database itself: UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE) are refused by triggers, whatever code or console runs them. The hash chain detects an edit
made by someone who lifts the triggers; the checkpoints detect the newest rows being cut off.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-01T15:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only triggers on payment_ledger and ledger_checkpoint"

TABLES = ("payment_ledger", "ledger_checkpoint")


def sqlite_statements(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
        for verb in ("UPDATE", "DELETE")
    ]


POSTGRES_FUNCTION = (
    "CREATE OR REPLACE FUNCTION refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
)


def postgres_statements(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change()",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)

    async def run():
        from piccolo.engine import engine_finder

        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            statements = [POSTGRES_FUNCTION, *(s for table in TABLES for s in postgres_statements(table))]
        else:
            statements = [s for table in TABLES for s in sqlite_statements(table)]
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
