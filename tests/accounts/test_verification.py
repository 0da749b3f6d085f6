"""E-mail verification: registration mails a signed token (written to the log when no SMTP_URL is set, as here),
the token verifies the profile once it is presented, and a forged, altered or expired token does not. And new
accounts are limited per client address."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator

import httpx
import pytest

from backend.accounts import verification
from backend.errors import Invalid
from tests.conftest import ENV, STRONG_PASSWORD, unique_email
from tests.support.servers import ServerProcess

ARABIC_ONE = "\u0661"  # passes str.isdigit(), must not read as 1


def mailed_tokens(server: ServerProcess, email: str, count: int = 1) -> list[str]:
    """The tokens mailed to `email` so far, waiting a little for the log (written by a queue listener)."""
    deadline = time.monotonic() + 10
    while True:
        tokens = [entry["verify_token"] for entry in map(json.loads, (
            line for line in server.log_text().splitlines() if '"verify_token"' in line))
            if entry.get("mail_to") == email]
        if len(tokens) >= count or time.monotonic() > deadline:
            return tokens
        time.sleep(0.1)


async def test_the_mailed_token_verifies_the_profile(fan: httpx.AsyncClient, server) -> None:
    email = fan.profile["email"]  # type: ignore[attr-defined]
    assert fan.profile["email_verified"] is False  # type: ignore[attr-defined]
    [token] = mailed_tokens(server, email)
    async with httpx.AsyncClient(base_url=server.url) as other_device:  # no session needed
        response = await other_device.post("/api/v1/auth/verify-email", json={"token": token})
        assert response.status_code == 200, response.text
        assert response.json()["email_verified"] is True and response.json()["email"] == email
        again = await other_device.post("/api/v1/auth/verify-email", json={"token": token})
        assert again.status_code == 200
    assert (await fan.get("/api/v1/auth/me")).json()["email_verified"] is True
    assert (await fan.post("/api/v1/auth/verify-email/send")).json() == {"sent": False}


async def test_altered_forged_and_foreign_tokens_are_refused(make_fan, server) -> None:
    fan, other = await make_fan(), await make_fan()
    [token] = mailed_tokens(server, fan.profile["email"])
    profile_id, expires, signature = token.split(".")
    other_id = other.profile["profile_id"]
    bad = {
        "altered signature": f"{profile_id}.{expires}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}",
        "longer life": f"{profile_id}.{int(expires) + 3600}.{signature}",
        "another profile": f"{other_id}.{expires}.{signature}",
        "garbage": "not-a-token",
        "unicode digits": f"{ARABIC_ONE * len(profile_id)}.{expires}.{signature}",
        "huge id": f"{'9' * 30}.{expires}.{signature}",
        "unknown profile": f"999999999.{expires}.{signature}",
    }
    for name, forged in bad.items():
        response = await fan.post("/api/v1/auth/verify-email", json={"token": forged})
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"] == "invalid_token", name
    assert (await fan.get("/api/v1/auth/me")).json()["email_verified"] is False
    assert (await other.get("/api/v1/auth/me")).json()["email_verified"] is False


async def test_a_verification_mail_can_be_asked_for_again(fan: httpx.AsyncClient, server) -> None:
    response = await fan.post("/api/v1/auth/verify-email/send")
    assert response.status_code == 202 and response.json() == {"sent": True}
    tokens = mailed_tokens(server, fan.profile["email"], count=2)  # type: ignore[attr-defined]
    assert len(tokens) == 2
    assert (await fan.post("/api/v1/auth/verify-email", json={"token": tokens[-1]})).status_code == 200


def test_tokens_expire_and_name_their_address() -> None:
    key = secrets.token_urlsafe(32)
    token = verification.make_token(key, 7, "a@example.com", now=time.time() - verification.TOKEN_TTL_S - 1)
    with pytest.raises(Invalid, match="expired"):
        verification.check_token(key, token, "a@example.com")
    fresh = verification.make_token(key, 7, "a@example.com")
    verification.check_token(key, fresh, "a@example.com")
    with pytest.raises(Invalid):
        verification.check_token(key, fresh, "b@example.com")
    with pytest.raises(Invalid):
        verification.check_token("another key", fresh, "a@example.com")


LIMIT = 3


@pytest.fixture(scope="module")
def limited_server(server: ServerProcess, redis_url: str) -> Iterator[ServerProcess]:
    var_dir = ENV.var_dir / "register-limit"
    var_dir.mkdir(parents=True, exist_ok=True)
    process = ServerProcess(var_dir=var_dir, name="register-limit",
                            env={"REDIS_URL": redis_url, "REGISTRATIONS_PER_ADDRESS_PER_HOUR": str(LIMIT)}).start()
    try:
        yield process
    finally:
        process.stop()


async def test_registrations_are_limited_per_address(limited_server: ServerProcess) -> None:
    bot, neighbour = f"10.77.{secrets.randbelow(250)}.1", f"10.78.{secrets.randbelow(250)}.2"

    async def register(address: str, password: str = STRONG_PASSWORD) -> httpx.Response:
        async with httpx.AsyncClient(base_url=limited_server.url, timeout=30) as client:
            return await client.post("/api/v1/auth/register", headers={"X-Forwarded-For": address},
                                     json={"email": unique_email("bot"), "password": password, "name": "Bot"})

    # A refused registration (weak password) does not use up a place.
    assert (await register(bot, "password")).status_code == 422
    assert [(await register(bot)).status_code for _ in range(LIMIT)] == [201] * LIMIT
    refused = await register(bot)
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 60
    assert (await register(neighbour)).status_code == 201
