"""Write transactions that serialize the writers that must not interleave, on both database engines.

- SQLite: `BEGIN IMMEDIATE` takes the database's write lock up front, so two settlements of one order (or two
  ledger appends) run one after the other instead of both reading "pending" and failing at commit.
- PostgreSQL: an ordinary transaction plus explicit row locks (`SELECT ... FOR UPDATE`) where a status is guarded.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
    assert isinstance(engine, PostgresEngine)
    return _postgres_transaction(engine)


@asynccontextmanager
async def _postgres_transaction(engine: PostgresEngine) -> AsyncIterator[Any]:
    """Piccolo's transaction, made safe against the connection dying under it (a PostgreSQL failover).

    When its COMMIT or ROLLBACK fails, Piccolo's `__aexit__` raises before it gives the connection back and before it
    forgets the transaction: the task's context keeps pointing at a dead transaction, so every later query of that
    task fails ("connection has been released back to the pool"). Requests live one context each, but the
    background jobs (the reconciler, the ledger checkpoints) live forever in theirs and would never recover."""
    transaction = engine.transaction()
    if transaction._parent is not None:  # nested: the outer transaction owns the connection
        async with transaction as inner:
            yield inner
        return
    try:
        await transaction.__aenter__()
    except BaseException:
        await _give_back(engine, getattr(transaction, "connection", None))
        raise
    try:
        yield transaction
    except BaseException as exc:
        await _finish(engine, transaction, exc)
        raise
    else:
        await _finish(engine, transaction, None)


async def _finish(engine: PostgresEngine, transaction: Any, exc: BaseException | None) -> None:
    try:
        await transaction.__aexit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
    except BaseException:
        current = engine.current_transaction.get()
        if current is not None and current is transaction:
            engine.current_transaction.reset(current.context)
        await _give_back(engine, transaction.connection)
        if exc is None:
            raise  # the commit failed: the caller must not believe it happened


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


async def _give_back(engine: PostgresEngine, connection: Any) -> None:
    """The connection back to the pool (which drops a broken one), or closed when there is no pool."""
    if connection is None:
        return
    with contextlib.suppress(Exception):
        if engine.pool is not None:
            await engine.pool.release(connection)
        else:
            connection.terminate()
