"""payment_watermark: how far back each Stripe account's PaymentIntents have been held against the database (see
backend/payments/repair.py). In the database itself on purpose: a failover that loses recent commits loses the
watermark's recent moves with them, so the reconciler looks again at exactly the payments whose records were lost."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payment watermark table"


def _params(default: object, unique: bool = False, **extra: object) -> dict:
    return {"default": default, "null": False, "primary_key": False, "unique": unique, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)
    manager.add_table(class_name="PaymentWatermark", tablename="payment_watermark", schema=None, columns=None)
    for name, column_class, params in (
        ("account", Varchar, _params("", unique=True, length=64)),
        ("created_since", BigInt, _params(0)),
        ("updated_at", Timestamptz, _params(TimestamptzNow())),
    ):
        manager.add_column(table_class_name="PaymentWatermark", tablename="payment_watermark", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=params, schema=None)
    return manager
