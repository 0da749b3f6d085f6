"""Refunds, part two (a raw migration runs before the column changes of its own manager, hence apart):

- a refunded seat can be sold again: UNIQUE (show, seat) on tickets now holds among the tickets not revoked (a
  partial unique index, which both databases keep however settlements race), replacing the plain one;
- a refund is found again by its order and idempotency key (a retried request, the cancellation job after a crash).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-06T17:10:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (show, seat) among live tickets; unique refund per order and idempotency key"

LIVE_SEAT = ('CREATE UNIQUE INDEX IF NOT EXISTS ticket_live_show_seat ON ticket ("show", "seat") '
             'WHERE revoked_at IS NULL')
REFUND_KEY = 'CREATE UNIQUE INDEX IF NOT EXISTS refund_order_key ON refund ("order", "idempotency_key")'


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)

    async def run():
        from piccolo.engine import engine_finder

        engine = engine_finder()
        # The new index first: no moment without the rule.
        await engine.run_ddl(LIVE_SEAT)
        if isinstance(engine, SQLiteEngine):
            await engine.run_ddl("DROP INDEX IF EXISTS unique_show_seat")
        else:
            await engine.run_ddl("ALTER TABLE ticket DROP CONSTRAINT IF EXISTS unique_show_seat")
        await engine.run_ddl(REFUND_KEY)

    manager.add_raw(run)
    return manager
