"""Organizers of fresh organizations, signed in; a scanner for "any other role"."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from backend.accounts.staff import create_scanner
from backend.organizer.staff import create_organizer
from tests.conftest import STRONG_PASSWORD, unique_email
from tests.support.servers import ServerProcess

MakeOrganizer = Callable[..., Awaitable[httpx.AsyncClient]]


async def signed_in(server: ServerProcess, email: str, role: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.url, timeout=120)
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
    assert response.status_code == 200 and response.json()["role"] == role, response.text
    return client


@pytest.fixture
async def make_organizer(server: ServerProcess) -> AsyncIterator[MakeOrganizer]:
    """`await make_organizer()`: an organizer of a new organization; `make_organizer(name)` of that one."""
    clients: list[httpx.AsyncClient] = []

    async def make(organization: str | None = None) -> httpx.AsyncClient:
        email = unique_email("organizer")
        account = await create_organizer(email, organization or f"Org {secrets.token_hex(4)}",
                                         password=STRONG_PASSWORD)
        client = await signed_in(server, email, "organizer")
        client.organization_id = account.organization_id  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def scanner(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    email = unique_email("gate")
    await create_scanner(email, password=STRONG_PASSWORD)
    client = await signed_in(server, email, "scanner")
    yield client
    await client.aclose()
