"""Refunds and cancellations (issue 23): an order's refunded amount, a ticket's revocation and its refund, a show's
cancellation, and the refunds an organizer makes (table `refund`)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, BigInt, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "order refunded_cents; ticket revoked_at, refund; show cancelled_at, cancel_reason, cancellation_done_at; table refund"


class Order(Table, tablename="orders", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


_BASE = {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree, "choices": None,
         "db_column_name": None, "secret": False}
_NULLABLE = {**_BASE, "default": None, "null": True}


def _column(manager: MigrationManager, class_name: str, tablename: str, name: str, column_class: type,
            params: dict) -> None:
    manager.add_column(table_class_name=class_name, tablename=tablename, column_name=name, db_column_name=name,
                       column_class_name=column_class.__name__, column_class=column_class, params=params,
                       schema=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)
    _column(manager, "Order", "orders", "refunded_cents", Integer, {**_BASE, "default": 0, "null": False})
    _column(manager, "Ticket", "ticket", "revoked_at", Timestamptz, _NULLABLE)
    _column(manager, "Ticket", "ticket", "refund", BigInt, _NULLABLE)
    _column(manager, "Show", "show", "cancelled_at", Timestamptz, _NULLABLE)
    _column(manager, "Show", "show", "cancel_reason", Varchar, {**_NULLABLE, "length": 500})
    _column(manager, "Show", "show", "cancellation_done_at", Timestamptz, _NULLABLE)

    manager.add_table(class_name="Refund", tablename="refund", schema=None, columns=None)
    _column(manager, "Refund", "refund", "order", ForeignKey,
            {**_BASE, "references": Order, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade,
             "target_column": None, "null": True, "index": True, "default": None})
    _column(manager, "Refund", "refund", "show", BigInt, {**_BASE, "default": 0, "null": False, "index": True})
    _column(manager, "Refund", "refund", "amount_cents", Integer, {**_BASE, "default": 0, "null": False})
    _column(manager, "Refund", "refund", "currency", Varchar, {**_BASE, "length": 3, "default": "", "null": False})
    _column(manager, "Refund", "refund", "reason", Varchar, {**_BASE, "length": 500, "default": "", "null": False})
    _column(manager, "Refund", "refund", "kind", Varchar, {**_BASE, "length": 20, "default": "", "null": False})
    _column(manager, "Refund", "refund", "idempotency_key", Varchar,
            {**_BASE, "length": 128, "default": "", "null": False})
    _column(manager, "Refund", "refund", "seat_ids", JSON, {**_BASE, "default": "[]", "null": False})
    _column(manager, "Refund", "refund", "created_at", Timestamptz,
            {**_BASE, "default": TimestamptzNow(), "null": False})
    _column(manager, "Refund", "refund", "stripe_refund_id", Varchar, {**_NULLABLE, "length": 64})
    _column(manager, "Refund", "refund", "refunded_at", Timestamptz, _NULLABLE)
    return manager
