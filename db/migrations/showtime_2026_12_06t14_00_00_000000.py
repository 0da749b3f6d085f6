"""Organizers (issue 23): organizations; a profile's and a venue's organization; the plan a venue was imported from
(its layout hash and what it carried besides seats); sections' plan category and zone; seats' plan guid."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organizations; venue organization, layout_hash, plan_meta; section category, zone; seat guid"


class Organization(Table, tablename="organization", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


_BASE = {"primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree, "choices": None,
         "db_column_name": None, "secret": False}
_NULLABLE = {**_BASE, "default": None, "null": True}


def _organization_key(on_delete: OnDelete) -> dict:
    return {**_BASE, "references": Organization, "on_delete": on_delete, "on_update": OnUpdate.cascade,
            "target_column": None, "null": True, "index": True}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)
    manager.add_table(class_name="Organization", tablename="organization", schema=None, columns=None)
    manager.add_column(table_class_name="Organization", tablename="organization", column_name="name",
                       db_column_name="name", column_class_name="Varchar", column_class=Varchar,
                       params={**_BASE, "length": 200, "default": "", "null": False, "unique": True}, schema=None)
    manager.add_column(table_class_name="Organization", tablename="organization", column_name="created_at",
                       db_column_name="created_at", column_class_name="Timestamptz", column_class=Timestamptz,
                       params={**_BASE, "default": TimestamptzNow(), "null": False}, schema=None)
    manager.add_column(table_class_name="Profile", tablename="profile", column_name="organization",
                       db_column_name="organization", column_class_name="ForeignKey", column_class=ForeignKey,
                       params=_organization_key(OnDelete.set_null), schema=None)
    manager.add_column(table_class_name="Venue", tablename="venue", column_name="organization",
                       db_column_name="organization", column_class_name="ForeignKey", column_class=ForeignKey,
                       params=_organization_key(OnDelete.restrict), schema=None)
    manager.add_column(table_class_name="Venue", tablename="venue", column_name="layout_hash",
                       db_column_name="layout_hash", column_class_name="Varchar", column_class=Varchar,
                       params={**_NULLABLE, "length": 32}, schema=None)
    manager.add_column(table_class_name="Venue", tablename="venue", column_name="plan_meta",
                       db_column_name="plan_meta", column_class_name="JSON", column_class=JSON,
                       params={**_BASE, "default": "{}", "null": False}, schema=None)
    for column in ("category", "zone"):
        manager.add_column(table_class_name="Section", tablename="section", column_name=column,
                           db_column_name=column, column_class_name="Varchar", column_class=Varchar,
                           params={**_NULLABLE, "length": 100}, schema=None)
    manager.add_column(table_class_name="Seat", tablename="seat", column_name="guid", db_column_name="guid",
                       column_class_name="Varchar", column_class=Varchar, params={**_NULLABLE, "length": 100},
                       schema=None)
    return manager
