"""Which database failures answer 503 `database_unavailable` (API.md: dependency down, with Retry-After) and which
stay a 500 (our bug).

The app's own exception handlers on a bare Litestar app whose routes raise what asyncpg raises while a PostgreSQL
primary fails over to its standby; the failover test (tests/ops/test_postgres_failover.py) meets the common ones for
real, rarely the rest.
"""

from __future__ import annotations

import errno

import pytest
from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    ConnectionDoesNotExistError,
    CrashShutdownError,
    InterfaceError,
    InternalClientError,
    ReadOnlySQLTransactionError,
    TargetServerAttributeNotMatched,
    TooManyConnectionsError,
    UndefinedColumnError,
    UniqueViolationError,
)
from litestar import get
from litestar.testing import create_test_client

from backend.errors import EXCEPTION_HANDLERS

UNAVAILABLE = [
    ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    CannotConnectNowError("the database system is starting up"),
    AdminShutdownError("terminating connection due to administrator command"),
    CrashShutdownError("terminating connection because of crash of another server process"),
    ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"),
    TargetServerAttributeNotMatched("None of the hosts match the target attribute requirement"),
    TooManyConnectionsError("sorry, too many clients already"),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 5432)"),
    ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed, [Errno 99] Cannot assign requested address"),
    OSError(errno.EHOSTUNREACH, "No route to host"),
    TimeoutError(),
    InterfaceError("cannot call Connection.fetch(): connection is closed"),
    InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
]
OUR_BUGS = [
    UniqueViolationError("duplicate key value violates unique constraint"),
    UndefinedColumnError('column "nope" does not exist'),
    InterfaceError("cannot perform operation: another operation is in progress"),
    InternalClientError("something unexpected"),
    FileNotFoundError(errno.ENOENT, "No such file or directory"),
    PermissionError(errno.EACCES, "Permission denied"),
]


def _answer(exc: Exception):
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise exc

    with create_test_client([boom], exception_handlers=EXCEPTION_HANDLERS) as client:
        return client.get("/boom")


@pytest.mark.parametrize("exc", UNAVAILABLE, ids=lambda e: f"{type(e).__name__}-{str(e)[:20]}")
def test_the_database_unavailable_answers_503_with_retry_after(exc: Exception) -> None:
    response = _answer(exc)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert response.json() == {"error": "database_unavailable",
                               "detail": "The database is not answering; try again shortly."}


@pytest.mark.parametrize("exc", OUR_BUGS, ids=lambda e: f"{type(e).__name__}-{str(e)[:20]}")
def test_a_database_error_that_is_our_bug_stays_a_500(exc: Exception) -> None:
    response = _answer(exc)
    assert response.status_code == 500, response.text
    assert response.json()["error"] == "internal_error"
    assert "Traceback" not in response.text
