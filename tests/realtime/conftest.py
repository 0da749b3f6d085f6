"""Server processes for the realtime tests, all sharing the suite's database and Redis with the `server` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ENV
from tests.support.servers import ServerProcess

# One more process for the cross-process tests, and one tuned for expiry and the waiting room: 2 s holds and a
# small shopping capacity, so both finish in seconds. Capacity and hold ttl only matter for the shows they test.
TUNED_ENV = {"HOLD_TTL_SECONDS": "2", "QUEUE_ACTIVE_SHOPPERS": "20", "ADMISSION_TTL_SECONDS": "30"}


def start_server(redis_url: str, name: str, **env: str) -> ServerProcess:
    """A process on the suite's database and Redis, with a var dir (so a Stripe stand-in state file) of its own."""
    var_dir = ENV.var_dir / name
    var_dir.mkdir(parents=True, exist_ok=True)
    return ServerProcess(var_dir=var_dir, name=name, env={"REDIS_URL": redis_url, **env}).start()


@pytest.fixture(scope="session")
def server_b(server: ServerProcess, redis_url: str) -> Iterator[ServerProcess]:
    process = start_server(redis_url, "server-b")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def tuned_server(server: ServerProcess, redis_url: str) -> Iterator[ServerProcess]:
    process = start_server(redis_url, "server-tuned", **TUNED_ENV)
    try:
        yield process
    finally:
        process.stop()
