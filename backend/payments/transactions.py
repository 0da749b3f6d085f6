"""Write transactions that serialize the writers that must not interleave, on both database engines.

- SQLite: `BEGIN IMMEDIATE` takes the database's write lock up front, so two settlements of one order (or two
  ledger appends) run one after the other instead of both reading "pending" and failing at commit.
- PostgreSQL: an ordinary transaction plus explicit row locks (`SELECT ... FOR UPDATE`) where a status is guarded.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from asyncpg.exceptions import DeadlockDetectedError, SerializationError, UniqueViolationError
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from db.tables import Order


def is_postgres() -> bool:
    return isinstance(engine_finder(), PostgresEngine)


def write_transaction() -> Any:
    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()  # type: ignore[union-attr]


def in_transaction() -> bool:
    engine = engine_finder()
    return engine is not None and engine.current_transaction.get() is not None  # type: ignore[attr-defined]


async def lock_order(order_id: int) -> dict[str, Any] | None:
    """Inside a write transaction: the order's row, locked until commit on PostgreSQL (SQLite: already locked)."""
    if is_postgres():
        rows = await Order.raw(
            "SELECT id, status, show, profile, hold_id, amount_cents, currency, payment_intent_id, paying_at "
            "FROM orders WHERE id = {} FOR UPDATE", order_id,
        )
        return rows[0] if rows else None
    return await Order.select(
        Order.id, Order.status, Order.show, Order.profile, Order.hold_id, Order.amount_cents, Order.currency,
        Order.payment_intent_id, Order.paying_at,
    ).where(Order.id == order_id).first()


def is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc).upper()
    return isinstance(exc, UniqueViolationError)


def is_transient(exc: BaseException) -> bool:
    """Errors a retry cures: lock timeouts on SQLite, deadlocks or serialization failures on PostgreSQL."""
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc).lower() or "busy" in str(exc).lower()
    return isinstance(exc, DeadlockDetectedError | SerializationError)
