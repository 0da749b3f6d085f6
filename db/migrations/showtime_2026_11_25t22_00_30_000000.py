"""UNIQUE (show, seat) on tickets: the database refuses a second sale of a seat whatever Redis says.

SQLite cannot ALTER TABLE ... ADD CONSTRAINT, so there the same rule is a unique index.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-25T22:00:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique (show, seat) on ticket"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)

    async def run():
        from piccolo.engine import engine_finder

        engine = engine_finder()
        if isinstance(engine, SQLiteEngine):
            await engine.run_ddl('CREATE UNIQUE INDEX IF NOT EXISTS unique_show_seat ON ticket ("show", "seat")')
        else:
            await engine.run_ddl('ALTER TABLE ticket ADD CONSTRAINT unique_show_seat UNIQUE ("show", "seat")')

    manager.add_raw(run)
    return manager
