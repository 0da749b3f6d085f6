"""The refunds made before refund.released_at existed count as released: each released its seats when it was made
(or a rebuild did since), and releasing them again could free a seat sold since in a state that records no buyer."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T13:00:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "refund released_at of earlier refunds"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)

    async def run():
        from piccolo.engine import engine_finder

        await engine_finder().run_ddl("UPDATE refund SET released_at = created_at WHERE released_at IS NULL")

    manager.add_raw(run)
    return manager
