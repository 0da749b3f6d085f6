"""Servers with payment-specific settings, each with its own var dir (so its own Stripe stand-in and state file)
but the suite's database and Redis, and fans registered on a given server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest

from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY, STANDIN_SECRET_KEY
from backend.payments.gateway import StripeGateway
from tests.conftest import ENV, STRONG_PASSWORD, unique_email
from tests.support.servers import ServerProcess

# Short holds: lets a test pay after its hold expired. The reconciler runs on start only.
SHORT_HOLD_SECONDS = 3
# Reconciles every second, holds of a few seconds: lost webhooks and expiries settle within a test's patience.
RECONCILING_HOLD_SECONDS = 5


def _server(name: str, redis_url: str, workers: int = 1, **env: str) -> ServerProcess:
    var_dir = ENV.var_dir / name
    var_dir.mkdir(parents=True, exist_ok=True)
    return ServerProcess(var_dir=var_dir, env={"REDIS_URL": redis_url, **env}, name=name, workers=workers)


@pytest.fixture(scope="session")
def short_hold_server(redis_url: str) -> Iterator[ServerProcess]:
    server = _server("short-hold", redis_url, HOLD_TTL_SECONDS=str(SHORT_HOLD_SECONDS),
                     RECONCILE_INTERVAL_SECONDS="3600").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def reconciling_server(redis_url: str) -> Iterator[ServerProcess]:
    server = _server("reconciling", redis_url, HOLD_TTL_SECONDS=str(RECONCILING_HOLD_SECONDS),
                     RECONCILE_INTERVAL_SECONDS="1").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def race_server(redis_url: str) -> Iterator[ServerProcess]:
    """Two worker processes: settlements of one sale really run in parallel processes."""
    server = _server("race", redis_url, workers=2).start()
    try:
        yield server
    finally:
        server.stop()


FanFactory = Callable[[ServerProcess], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def fan_on() -> AsyncIterator[FanFactory]:
    """Registers a fresh profile on the given server; the client carries its session cookie."""
    clients: list[httpx.AsyncClient] = []

    async def make(server: ServerProcess) -> httpx.AsyncClient:
        # Idle connections are dropped well before the server's 5 s keep-alive ends, so a request never goes out
        # on a connection the server is closing at that moment.
        client = httpx.AsyncClient(base_url=server.url, timeout=60, limits=httpx.Limits(keepalive_expiry=2))
        clients.append(client)
        response = await client.post("/api/v1/auth/register",
                                     json={"email": unique_email(), "password": STRONG_PASSWORD, "name": "Fan"})
        assert response.status_code == 201, response.text
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def gateway(server: ServerProcess) -> AsyncIterator[StripeGateway]:
    """The app's Stripe gateway, in the test process, talking to the session server's stand-in."""
    made = StripeGateway(secret_key=STANDIN_SECRET_KEY, publishable_key=STANDIN_PUBLISHABLE_KEY,
                         webhook_secret=None, api_base=server.standin_url)
    yield made
    await made.close()
