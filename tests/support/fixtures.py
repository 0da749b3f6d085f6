"""Suite-wide fixtures for tests/ and e2e/, registered once by the root conftest.py so both share one server.

The environment is chosen before the app or Piccolo is imported (see support.environment)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager

import pytest

from tests.support import environment

ENV = environment.prepare()

import httpx  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from backend.infra.redis_client import RedisClient  # noqa: E402
from backend.launcher.embedded_valkey import start_valkey  # noqa: E402
from backend.launcher.processes import stop  # noqa: E402
from tests.support.cluster import ValkeyCluster, cluster_client  # noqa: E402
from tests.support.log_check import fail_session_on_log_problems  # noqa: E402
from tests.support.servers import SERVER_LOGS, ServerProcess  # noqa: E402


def pytest_report_header(config: pytest.Config) -> str:
    return f"backends: {ENV.label}; var dir {ENV.var_dir}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    fail_session_on_log_problems(session, SERVER_LOGS)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The suite's Redis URL for the servers it starts; "" on the cluster pass, where the servers inherit
    REDIS_CLUSTER_NODES from the environment instead (an empty REDIS_URL counts as unset)."""
    if ENV.redis_cluster:
        cluster = ValkeyCluster(ENV.var_dir / "valkey-cluster").start()
        os.environ["REDIS_CLUSTER_NODES"] = cluster.startup_nodes
        try:
            yield ""
        finally:
            os.environ.pop("REDIS_CLUSTER_NODES", None)
            cluster.stop()
        return
    if ENV.redis_url_given:
        import redis

        client = redis.Redis.from_url(ENV.redis_url_given)
        client.flushdb()
        client.close()
        yield ENV.redis_url_given
        return
    with private_valkey("valkey") as url:
        yield url


@contextmanager
def private_valkey(name: str) -> Iterator[str]:
    """A Valkey of a test module's own (its data in the run's var dir under `name`), for tests whose counts or
    limits the rest of the suite's traffic on the shared one would disturb."""
    process, url = start_valkey(ENV.var_dir / name)
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def server(redis_url: str) -> Iterator[ServerProcess]:
    """The app with demo data, shared by the tests that do not need a server of their own."""
    process = ServerProcess(var_dir=ENV.var_dir, env={"REDIS_URL": redis_url}, name="server").start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session", autouse=True)
def _drop_test_database() -> Iterator[None]:
    yield
    environment.drop(ENV)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisClient]:
    client: RedisClient = cluster_client(os.environ["REDIS_CLUSTER_NODES"]) if ENV.redis_cluster \
        else Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def anon(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


def unique_email(prefix: str = "fan") -> str:
    return f"{prefix}-{secrets.token_hex(6)}@example.com"


STRONG_PASSWORD = "correct horse battery staple"


@pytest.fixture
async def make_fan(server: ServerProcess) -> AsyncIterator[Callable[[], Awaitable[httpx.AsyncClient]]]:
    """Registers fresh profiles; each returned client carries its own session cookie."""
    clients: list[httpx.AsyncClient] = []

    async def make() -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=server.url, timeout=30)
        response = await client.post("/api/v1/auth/register",
                                     json={"email": unique_email(), "password": STRONG_PASSWORD, "name": "Fan"})
        assert response.status_code == 201, response.text
        client.profile = response.json()  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def fan(make_fan: Callable[[], Awaitable[httpx.AsyncClient]]) -> httpx.AsyncClient:
    return await make_fan()
