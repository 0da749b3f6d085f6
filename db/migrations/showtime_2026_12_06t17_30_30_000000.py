"""Organizers' shows, part two: one price per (show, category) and one counters row per (show, stripe), each a
unique index; the counters start from the orders and tickets already there (the one time they are counted from
those tables: from now on every change of an order's status keeps them, backend/tickets/sales.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T17:30:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique show_price (show, category), show_sales (show, stripe); counters from existing orders"

STRIPES = 8  # backend/tickets/sales.py STRIPES: rows are never re-striped, so a change there needs none here

STATEMENTS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS show_price_show_category ON show_price ("show", "category")',
    'CREATE UNIQUE INDEX IF NOT EXISTS show_sales_show_stripe ON show_sales ("show", "stripe")',
    "INSERT INTO show_sales (show, stripe, paid_orders, refunded_orders, pending_orders, revenue_cents, seats_sold) "
    f"SELECT o.show, o.id % {STRIPES}, "
    "SUM(CASE WHEN o.status = 'paid' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN o.status = 'refunded' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN o.status = 'pending_payment' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN o.status = 'paid' THEN o.amount_cents ELSE 0 END), "
    "SUM(CASE WHEN o.status = 'paid' THEN (SELECT COUNT(*) FROM ticket t WHERE t.\"order\" = o.id) ELSE 0 END) "
    f"FROM orders o GROUP BY o.show, o.id % {STRIPES}",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)

    async def run():
        from piccolo.engine import engine_finder

        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
