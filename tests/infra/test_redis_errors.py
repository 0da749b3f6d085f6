"""Which Redis failures answer 503 (API.md: dependency down, with Retry-After) and which stay a 500 (our bug).

The app's own exception handlers on a bare Litestar app whose routes raise what redis-py raises when a cluster is
in failover; the failover test (tests/cluster/test_failover.py) meets the common ones for real, rarely the rest.
"""

from __future__ import annotations

import pytest
from litestar import get
from litestar.testing import create_test_client
from redis.exceptions import (
    AskError,
    BusyLoadingError,
    ClusterDownError,
    ClusterError,
    ConnectionError,
    CrossSlotTransactionError,
    DataError,
    MasterDownError,
    MovedError,
    ReadOnlyError,
    RedisClusterException,
    ResponseError,
    SlotNotCoveredError,
    TimeoutError,
    TryAgainError,
)

from backend.errors import EXCEPTION_HANDLERS


def _cluster_unreachable() -> RedisClusterException:
    """What RedisCluster.initialize raises when no startup node answers."""
    try:
        raise RedisClusterException("Redis Cluster cannot be connected.") from ConnectionError("Connection refused.")
    except RedisClusterException as exc:
        return exc


UNAVAILABLE = [
    ConnectionError("Error 111 connecting to 127.0.0.1:7001. Connection refused."),
    TimeoutError("Timeout reading from socket"),
    BusyLoadingError("LOADING Redis is loading the dataset in memory"),
    ClusterDownError("CLUSTERDOWN The cluster is down"),
    MasterDownError("MASTERDOWN Link with MASTER is down"),
    ClusterError("TTL exhausted."),
    TryAgainError("TRYAGAIN Multiple keys request during rehashing of slot"),
    MovedError("3999 127.0.0.1:7002"),
    AskError("3999 127.0.0.1:7002"),
    ReadOnlyError("READONLY You can't write against a read only replica."),
    SlotNotCoveredError('Slot "3999" is not covered by the cluster.'),
    _cluster_unreachable(),
]
OUR_BUGS = [
    ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
    DataError("Invalid input of type: 'dict'."),
    CrossSlotTransactionError("Cross-slot keys in a transaction"),
    RedisClusterException("No targets were found to execute ('PING',) command on"),
    AttributeError("'NoneType' object has no attribute 'writelines'"),
]


def _answer(exc: Exception):
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise exc

    with create_test_client([boom], exception_handlers=EXCEPTION_HANDLERS) as client:
        return client.get("/boom")


@pytest.mark.parametrize("exc", UNAVAILABLE, ids=lambda e: type(e).__name__)
def test_redis_unavailable_answers_503_with_retry_after(exc: Exception) -> None:
    response = _answer(exc)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"].isdigit()
    assert response.json() == {"error": "unavailable", "detail": "A backing service is unavailable; try again shortly."}


@pytest.mark.parametrize("exc", OUR_BUGS, ids=lambda e: type(e).__name__)
def test_a_redis_error_that_is_our_bug_stays_a_500(exc: Exception) -> None:
    response = _answer(exc)
    assert response.status_code == 500, response.text
    assert response.json()["error"] == "internal_error"
    assert "Traceback" not in response.text
