"""The sign-in brake slows the attacker, not the owner: failures pause the client that made them (per account and
per address), and under a distributed attack on one account, or from behind an address that guesses many accounts,
or both at once, the owner's correct password from a client with a clean record still gets in. Client addresses
come from X-Forwarded-For, which the suite's servers trust from loopback (FORWARDED_ALLOW_IPS=127.0.0.1,
tests/support/servers.py) as production trusts its proxy."""

from __future__ import annotations

import asyncio
import secrets

import httpx

from backend.accounts.brake import LIMITS
from tests.conftest import STRONG_PASSWORD, unique_email


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


async def _login(client: httpx.AsyncClient, email: str, password: str, address: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password},
                             headers={"X-Forwarded-For": address})


async def _account(anon: httpx.AsyncClient) -> str:
    email = unique_email("victim")
    response = await anon.post("/api/v1/auth/register",
                               json={"email": email, "password": STRONG_PASSWORD, "name": "Victim"})
    assert response.status_code == 201
    return email


def _assert_braked(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "rate_limited" and int(response.headers["retry-after"]) >= 1


async def test_the_attacking_client_is_paused_and_the_owner_is_not(server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as anon:
        email = await _account(anon)
        attacker = _address()
        statuses = [(await _login(anon, email, "wrong guess", attacker)).status_code for _ in range(LIMITS.pair)]
        assert statuses == [401] * LIMITS.pair
        _assert_braked(await _login(anon, email, "wrong guess", attacker))
        # Even the right password is refused to the client that has been guessing.
        _assert_braked(await _login(anon, email, STRONG_PASSWORD, attacker))
        # The owner, from their own device, signs in at once.
        owner = await _login(anon, email, STRONG_PASSWORD, _address())
        assert owner.status_code == 200 and owner.json()["email"] == email


async def _spray(anon: httpx.AsyncClient, address: str) -> None:
    """One address guessing many made-up accounts, up to the address's limit."""
    for _ in range(LIMITS.address):
        assert (await _login(anon, unique_email("nobody"), "Winter2026!", address)).status_code == 401


async def test_one_address_guessing_many_accounts_is_paused_on_the_accounts_it_tried(server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as anon:
        email = await _account(anon)
        sprayer = _address()
        await _spray(anon, sprayer)
        # Over the address's limit, an account it already failed on is closed to it...
        assert (await _login(anon, email, "Winter2026!", sprayer)).status_code == 401
        _assert_braked(await _login(anon, email, "Spring2026!", sprayer))
        _assert_braked(await _login(anon, email, STRONG_PASSWORD, sprayer))
        # ...and the owner elsewhere is not concerned.
        assert (await _login(anon, email, STRONG_PASSWORD, _address())).status_code == 200


async def test_fans_behind_an_address_that_guesses_still_sign_in(server) -> None:
    """Venue Wi-Fi or carrier NAT: thousands of fans behind one address, one of them guessing. A fan who has not
    failed from there signs in; one who mistypes is paused on their own account only."""
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as anon:
        fans = [await _account(anon) for _ in range(3)]
        venue_wifi = _address()
        await _spray(anon, venue_wifi)
        first = await _login(anon, fans[0], STRONG_PASSWORD, venue_wifi)
        assert first.status_code == 200 and first.json()["email"] == fans[0], first.text
        assert (await _login(anon, fans[0], STRONG_PASSWORD, venue_wifi)).status_code == 200  # and again
        assert (await _login(anon, fans[1], "a typo", venue_wifi)).status_code == 401
        _assert_braked(await _login(anon, fans[1], STRONG_PASSWORD, venue_wifi))
        assert (await _login(anon, fans[2], STRONG_PASSWORD, venue_wifi)).status_code == 200


async def test_the_correct_password_from_a_fresh_client_works_during_a_distributed_attack(server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as anon:
        email = await _account(anon)
        bots = [_address() for _ in range(LIMITS.account_ceiling // LIMITS.pair + 1)]

        async def guess(bot: str) -> list[int]:
            return [(await _login(anon, email, f"guess {n}", bot)).status_code for n in range(LIMITS.pair)]

        results = await asyncio.gather(*(guess(bot) for bot in bots))
        assert all(status in (401, 429) for statuses in results for status in statuses)
        # Over the ceiling: every client that has failed on this account is paused, whatever it sends...
        for bot in bots[:3]:
            _assert_braked(await _login(anon, email, STRONG_PASSWORD, bot))
        # ...a new client's wrong guess costs it its clean record...
        newcomer = _address()
        assert (await _login(anon, email, "one more guess", newcomer)).status_code == 401
        _assert_braked(await _login(anon, email, STRONG_PASSWORD, newcomer))
        # ...and the owner's correct password from a client with a clean record gets in,
        owner = await _login(anon, email, STRONG_PASSWORD, _address())
        assert owner.status_code == 200, owner.text
        # even from an address shared with someone guessing many accounts (both attacks at once).
        shared = _address()
        await _spray(anon, shared)
        assert (await _login(anon, email, STRONG_PASSWORD, shared)).status_code == 200

