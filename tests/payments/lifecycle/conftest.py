"""One server tuned for the purchase lifecycle: short holds, a payment grace longer than the hold, short
admissions and a small waiting room, so expiry, grace and re-joining all happen within a test's patience. The
reconciler does not run on its own (the tests run passes themselves, in this process, against the same database,
Redis and stand-in), so a lost webhook stays lost until a test says otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY, STANDIN_SECRET_KEY
from backend.payments.gateway import StripeGateway
from tests.conftest import ENV, STRONG_PASSWORD, unique_email
from tests.support.servers import ServerProcess

HOLD_SECONDS = 2
GRACE_SECONDS = 4
ADMISSION_SECONDS = 3
ACTIVE_SHOPPERS = 2


# The state machine's server: holds long enough that a loaded CI machine does not let every hold lapse between two
# steps (its "let holds expire" rule waits them out on purpose), the grace shorter than the hold.
MACHINE_HOLD_SECONDS = 6
MACHINE_GRACE_SECONDS = 3
MACHINE_ADMISSION_SECONDS = 10


def _server(redis_url: str, name: str, hold: int, grace: int, admission: int) -> ServerProcess:
    var_dir = ENV.var_dir / name
    var_dir.mkdir(parents=True, exist_ok=True)
    return ServerProcess(var_dir=var_dir, name=name, env={
        "REDIS_URL": redis_url, "HOLD_TTL_SECONDS": str(hold), "PAYMENT_GRACE_SECONDS": str(grace),
        "ADMISSION_TTL_SECONDS": str(admission), "QUEUE_ACTIVE_SHOPPERS": str(ACTIVE_SHOPPERS),
        "RECONCILE_INTERVAL_SECONDS": "3600",
        # A processing payment settles when its test says so (the stand-in's finish_processing), never mid-test.
        "STANDIN_PROCESSING_SECONDS": "600",
    })


@pytest.fixture(scope="session")
def lifecycle_server(redis_url: str) -> Iterator[ServerProcess]:
    process = _server(redis_url, "lifecycle", HOLD_SECONDS, GRACE_SECONDS, ADMISSION_SECONDS).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def machine_server(redis_url: str) -> Iterator[ServerProcess]:
    process = _server(redis_url, "lifecycle-machine", MACHINE_HOLD_SECONDS, MACHINE_GRACE_SECONDS,
                      MACHINE_ADMISSION_SECONDS).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
async def lifecycle_gateway(lifecycle_server: ServerProcess) -> AsyncIterator[StripeGateway]:
    """The app's own Stripe gateway, in the test process, talking to the lifecycle server's stand-in."""
    made = StripeGateway(secret_key=STANDIN_SECRET_KEY, publishable_key=STANDIN_PUBLISHABLE_KEY,
                         webhook_secret=None, api_base=lifecycle_server.standin_url)
    yield made
    await made.close()


async def register(server: ServerProcess) -> httpx.AsyncClient:
    """A fresh profile on the server; the client carries its session cookie (the caller closes it)."""
    client = httpx.AsyncClient(base_url=server.url, timeout=60, limits=httpx.Limits(keepalive_expiry=2))
    response = await client.post("/api/v1/auth/register",
                                 json={"email": unique_email(), "password": STRONG_PASSWORD, "name": "Fan"})
    assert response.status_code == 201, response.text
    client.profile_id = response.json()["profile_id"]  # type: ignore[attr-defined]
    return client


@pytest.fixture
async def lifecycle_fans(lifecycle_server: ServerProcess) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Three signed-in fans on the lifecycle server."""
    fans = [await register(lifecycle_server) for _ in range(3)]
    yield fans
    for client in fans:
        await client.aclose()
