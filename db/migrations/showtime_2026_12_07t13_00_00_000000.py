"""refund.released_at: when Redis gave a refund's seats back (backend/payments/refunds.py); the reconciler releases
again the refunds without it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "refund released_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)
    manager.add_column(table_class_name="Refund", tablename="refund", column_name="released_at",
                       db_column_name="released_at", column_class_name="Timestamptz", column_class=Timestamptz,
                       params={"default": None, "null": True, "primary_key": False, "unique": False, "index": False,
                               "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
                               "secret": False},
                       schema=None)
    return manager
