"""A write transaction whose connection dies under it (a PostgreSQL failover) must not outlive itself in the task.

Piccolo's transaction, when its ROLLBACK or COMMIT fails, raises before it forgets itself: the task's context kept
pointing at the dead transaction and every later query of that task failed, which stranded the reconciler (a
background task that lives forever) after a failover. PostgreSQL only: SQLite has no connection to lose.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from asyncpg.exceptions import InterfaceError, OperatorInterventionError, PostgresConnectionError

from backend.payments.transactions import in_transaction, write_transaction
from db.tables import Order
from tests.conftest import ENV

pytestmark = pytest.mark.skipif(not ENV.postgres, reason="a PostgreSQL connection to lose (CI's second pass)")


async def test_a_transaction_whose_connection_dies_leaves_the_task_able_to_query() -> None:
    with pytest.raises((OperatorInterventionError, PostgresConnectionError)):
        async with write_transaction():
            # The server ends this very connection: the statement fails, then so does the ROLLBACK.
            await Order.raw("SELECT pg_terminate_backend(pg_backend_pid())")
    assert not in_transaction()
    assert await Order.raw("SELECT 1 AS one") == [{"one": 1}]  # the task's next query runs on a live connection


async def test_a_commit_that_fails_is_reported_and_forgotten() -> None:
    with pytest.raises((OperatorInterventionError, PostgresConnectionError, InterfaceError)):
        async with write_transaction():
            pid = (await Order.raw("SELECT pg_backend_pid() AS pid"))[0]["pid"]
            # Another connection ends this one after its last statement: the COMMIT meets a dead connection.
            other = await asyncpg.connect(ENV.database_url)
            try:
                await other.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await other.close()
            await asyncio.sleep(0.2)
    assert not in_transaction()
    async with write_transaction():
        assert await Order.raw("SELECT 1 AS one") == [{"one": 1}]
