"""Settlement without a global lock (issue 22): the payments ledger is chained per show (`payment_ledger.chain`, a
head row per chain in `ledger_chain`), checkpoints cover every chain's head (`ledger_checkpoint.version`, `chains`, and
`ledger_checkpoint_head`), and a show's sales are counted from its tickets instead of `show.seats_sold`, a row every settlement of
the show locked. The unique (chain, seq) index and chain 0's head (the rows written before) follow in the next
migration: Piccolo runs a migration's raw SQL before its tables and columns."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger chains per show, checkpoints over every chain head, no shows.seats_sold"

_PLAIN = {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
          "choices": None, "db_column_name": None, "secret": False}


def _add(manager: MigrationManager, class_name: str, table: str, name: str, column_class: type, **params) -> None:
    manager.add_column(table_class_name=class_name, tablename=table, column_name=name, db_column_name=name,
                       column_class_name=column_class.__name__, column_class=column_class,
                       params={**_PLAIN, **params}, schema=None)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="showtime", description=DESCRIPTION)
    manager.add_table(class_name="LedgerChain", tablename="ledger_chain", schema=None, columns=None)
    _add(manager, "LedgerChain", "ledger_chain", "chain", BigInt, default=0, unique=True)
    _add(manager, "LedgerChain", "ledger_chain", "entries", BigInt, default=0)
    _add(manager, "LedgerChain", "ledger_chain", "prev_hash", Varchar, default="", length=64)
    _add(manager, "LedgerChain", "ledger_chain", "head_hash", Varchar, default="", length=64)
    _add(manager, "PaymentLedgerEntry", "payment_ledger", "chain", BigInt, default=0)
    _add(manager, "LedgerCheckpoint", "ledger_checkpoint", "version", Integer, default=1)
    _add(manager, "LedgerCheckpoint", "ledger_checkpoint", "chains", BigInt, default=0)
    manager.add_table(class_name="LedgerCheckpointHead", tablename="ledger_checkpoint_head", schema=None,
                      columns=None)
    _add(manager, "LedgerCheckpointHead", "ledger_checkpoint_head", "checkpoint", BigInt, default=0, index=True)
    _add(manager, "LedgerCheckpointHead", "ledger_checkpoint_head", "chain", BigInt, default=0)
    _add(manager, "LedgerCheckpointHead", "ledger_checkpoint_head", "entries", BigInt, default=0)
    _add(manager, "LedgerCheckpointHead", "ledger_checkpoint_head", "head_hash", Varchar, default="", length=64)
    manager.drop_column(table_class_name="Show", tablename="show", column_name="seats_sold",
                        db_column_name="seats_sold", schema=None)
    return manager
