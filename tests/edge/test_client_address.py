"""Whose address a request comes from: X-Forwarded-For counts only from the proxies in FORWARDED_ALLOW_IPS.

By default (no proxy named) a client on the server's own host could write any address into the header: register
past its limit, escape the sign-in brake, spend another address's places. Here it cannot: every request counts
for the address it connects from. With the proxy named, the header the proxy writes is the client's address, and
only that proxy's: a client connecting from elsewhere (another loopback address) still counts as itself.

Each case runs on a server of its own that allows LIMIT registrations per address and hour, both on a private Valkey:
the suite's own clients, all from 127.0.0.1, have used that address's places in the shared one."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from backend.launcher.serve import proxy_options
from tests.conftest import ENV, STRONG_PASSWORD, unique_email
from tests.support.fixtures import private_valkey
from tests.support.servers import ServerProcess

LIMIT = 2
# Other source addresses on this host (all of 127.0.0.0/8 is loopback), one per case.
ELSEWHERE = "127.0.0.2"
NOT_THE_PROXY = "127.0.0.3"


def _server(redis_url: str, name: str, trusted: str) -> ServerProcess:
    var_dir = ENV.var_dir / name
    var_dir.mkdir(parents=True, exist_ok=True)
    return ServerProcess(var_dir=var_dir, name=name, env={
        "REDIS_URL": redis_url, "REGISTRATIONS_PER_ADDRESS_PER_HOUR": str(LIMIT), "FORWARDED_ALLOW_IPS": trusted})


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with private_valkey("client-address-valkey") as url:
        yield url


@pytest.fixture(scope="module")
def trusting_no_one(redis_url: str) -> Iterator[ServerProcess]:
    server = _server(redis_url, "trusts-no-proxy", "").start()  # empty: the default
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def behind_a_proxy(redis_url: str) -> Iterator[ServerProcess]:
    server = _server(redis_url, "trusts-loopback-proxy", "127.0.0.1").start()
    try:
        yield server
    finally:
        server.stop()


def _forged() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


async def _register(server: ServerProcess, forwarded_for: str | None = None,
                    source: str = "127.0.0.1") -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, transport=transport) as client:
        return await client.post("/api/v1/auth/register", headers=headers,
                                 json={"email": unique_email("addr"), "password": STRONG_PASSWORD, "name": "A"})


def test_the_launcher_turns_proxy_headers_off_unless_a_proxy_is_named() -> None:
    assert proxy_options(()) == ["--no-proxy-headers"]
    assert proxy_options(("10.0.0.5", "10.0.1.0/24")) == ["--proxy-headers", "--forwarded-allow-ips",
                                                          "10.0.0.5,10.0.1.0/24"]


async def test_a_forged_header_changes_nothing_by_default(trusting_no_one: ServerProcess) -> None:
    server = trusting_no_one
    victim = _forged()
    # The client's own places, each spent under a different forged address (and one under the victim's).
    assert [(await _register(server, forwarded)).status_code for forwarded in (_forged(), victim)] == [201] * LIMIT
    refused = await _register(server, _forged())
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited", refused.text
    # Another address on the host (another client) still has all its places: the forged header took none of them.
    assert [(await _register(server, source=ELSEWHERE)).status_code for _ in range(LIMIT)] == [201] * LIMIT


async def test_the_named_proxy_says_who_the_client_is(behind_a_proxy: ServerProcess) -> None:
    server = behind_a_proxy
    first, second = _forged(), _forged()
    # Through the proxy (127.0.0.1), each client address has its own places.
    assert [(await _register(server, first)).status_code for _ in range(LIMIT)] == [201] * LIMIT
    assert (await _register(server, first)).status_code == 429
    assert (await _register(server, second)).status_code == 201
    # A client that is not the proxy cannot choose its address: its header is ignored, it counts as itself.
    assert [(await _register(server, first, source=NOT_THE_PROXY)).status_code for _ in range(LIMIT)] == [201] * LIMIT
    assert (await _register(server, second, source=NOT_THE_PROXY)).status_code == 429
