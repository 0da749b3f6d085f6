"""The purchase lifecycle (issue 10): when the fan said they are paying (the grace is given once), and why an order
that took money was refunded."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "orders.paying_at and orders.refund_reason"

_NULLABLE = {"default": None, "null": True, "primary_key": False, "unique": False, "index": False,
             "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)
    manager.add_column(table_class_name="Order", tablename="orders", column_name="paying_at",
                       db_column_name="paying_at", column_class_name="Timestamptz", column_class=Timestamptz,
                       params=_NULLABLE, schema=None)
    manager.add_column(table_class_name="Order", tablename="orders", column_name="refund_reason",
                       db_column_name="refund_reason", column_class_name="Varchar", column_class=Varchar,
                       params={**_NULLABLE, "length": 40}, schema=None)
    return manager
