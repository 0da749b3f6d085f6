"""Organizers' shows (issue 23): a show's sale state, seat limit per order and waiting-room settings; its price per
seat category (`show_price`); its sales counters (`show_sales`), which the organizer's dashboard reads instead of
the orders table. Their unique indexes and the counters' starting values follow in the next migration: Piccolo
runs a migration's raw SQL before its tables and columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import BigInt, ForeignKey, Integer, Serial, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "show sale, max_seats_per_order, queue_capacity, queue_outflow_per_minute; show_price; show_sales"


class Show(Table, tablename="show", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


_PLAIN = {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
          "choices": None, "db_column_name": None, "secret": False}


def _add(manager: MigrationManager, class_name: str, table: str, name: str, column_class: type, **params) -> None:
    manager.add_column(table_class_name=class_name, tablename=table, column_name=name, db_column_name=name,
                       column_class_name=column_class.__name__, column_class=column_class,
                       params={**_PLAIN, **params}, schema=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)
    _add(manager, "Show", "show", "sale", Varchar, default="open", length=10)
    for name in ("max_seats_per_order", "queue_capacity", "queue_outflow_per_minute"):
        _add(manager, "Show", "show", name, Integer, default=None, null=True)

    manager.add_table(class_name="ShowPrice", tablename="show_price", schema=None, columns=None)
    _add(manager, "ShowPrice", "show_price", "show", ForeignKey, default=None, index=True, references=Show,
         on_delete=OnDelete.cascade, on_update=OnUpdate.cascade, target_column=None)
    _add(manager, "ShowPrice", "show_price", "category", Varchar, default="", length=100)
    _add(manager, "ShowPrice", "show_price", "price_cents", Integer, default=0)

    manager.add_table(class_name="ShowSales", tablename="show_sales", schema=None, columns=None)
    _add(manager, "ShowSales", "show_sales", "show", BigInt, default=0)
    _add(manager, "ShowSales", "show_sales", "stripe", Integer, default=0)
    for name in ("paid_orders", "refunded_orders", "pending_orders", "revenue_cents", "seats_sold"):
        _add(manager, "ShowSales", "show_sales", name, BigInt, default=0)
    return manager
