"""Accounts over HTTP against the real server: register, login, logout, me, sessions, brute-force brakes."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import STRONG_PASSWORD, unique_email


async def test_register_signs_in_and_me_answers(anon: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await anon.post("/api/v1/auth/register", json={"email": email, "password": STRONG_PASSWORD,
                                                                "name": "Ada"})
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == email and body["name"] == "Ada" and body["profile_id"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    me = await anon.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json() == body


async def test_email_taken_is_409_case_insensitively(anon: httpx.AsyncClient) -> None:
    email = unique_email()
    first = await anon.post("/api/v1/auth/register", json={"email": email, "password": STRONG_PASSWORD, "name": "A"})
    assert first.status_code == 201
    again = await anon.post("/api/v1/auth/register",
                            json={"email": email.upper(), "password": STRONG_PASSWORD, "name": "B"})
    assert again.status_code == 409
    assert again.json()["error"] == "email_taken"


async def test_weak_password_and_bad_email_are_422(anon: httpx.AsyncClient) -> None:
    for password in ("short", "password123", "aaaaaaaaaaaa"):
        response = await anon.post("/api/v1/auth/register",
                                   json={"email": unique_email(), "password": password, "name": "A"})
        assert response.status_code == 422, password
        assert response.json()["error"] == "weak_password"
    response = await anon.post("/api/v1/auth/register",
                               json={"email": "not-an-email", "password": STRONG_PASSWORD, "name": "A"})
    assert response.status_code == 422 and response.json()["error"] == "invalid_email"


@pytest.mark.cluster
async def test_login_logout_cycle(server) -> None:
    email = unique_email()
    async with httpx.AsyncClient(base_url=server.url) as first:
        await first.post("/api/v1/auth/register", json={"email": email, "password": STRONG_PASSWORD, "name": "C"})
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/api/v1/auth/me")).status_code == 401
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
        assert login.status_code == 200 and login.json()["email"] == email
        assert (await client.get("/api/v1/auth/me")).status_code == 200
        logout = await client.post("/api/v1/auth/logout")
        assert logout.status_code == 204
        assert "max-age=0" in logout.headers.get("set-cookie", "").lower() or "expires" in logout.headers.get(
            "set-cookie", "").lower()
        assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_unknown_email_and_wrong_password_look_the_same(anon: httpx.AsyncClient) -> None:
    email = unique_email()
    await anon.post("/api/v1/auth/register", json={"email": email, "password": STRONG_PASSWORD, "name": "D"})
    wrong = await anon.post("/api/v1/auth/login", json={"email": email, "password": "not the password"})
    unknown = await anon.post("/api/v1/auth/login", json={"email": unique_email(), "password": "whatever123"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_credentials"


@pytest.mark.cluster
async def test_repeated_failed_logins_are_rate_limited(anon: httpx.AsyncClient) -> None:
    email = unique_email()
    await anon.post("/api/v1/auth/register", json={"email": email, "password": STRONG_PASSWORD, "name": "E"})
    statuses = []
    for _ in range(12):
        response = await anon.post("/api/v1/auth/login", json={"email": email, "password": "wrong password"},
                                   headers={"X-Forwarded-For": "ignored"})
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["error"] == "rate_limited"


async def test_anonymous_reads_get_no_session_cookie(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/api/v1/shows")
    assert "set-cookie" not in response.headers


async def test_cross_site_unsafe_requests_are_refused(anon: httpx.AsyncClient) -> None:
    body = {"email": unique_email(), "password": STRONG_PASSWORD, "name": "F"}
    evil = await anon.post("/api/v1/auth/register", json=body, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and evil.json()["error"] == "cross_site_request"
    fetch_site = await anon.post("/api/v1/auth/register", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch_site.status_code == 403
    same = await anon.post("/api/v1/auth/register", json=body, headers={"Origin": str(anon.base_url).rstrip("/")})
    assert same.status_code == 201


@pytest.mark.cluster
async def test_session_id_rotates_on_login(server) -> None:
    email = unique_email()
    async with httpx.AsyncClient(base_url=server.url) as client:
        await client.post("/api/v1/auth/register", json={"email": email, "password": STRONG_PASSWORD, "name": "G"})
        first = client.cookies["session"]
        other = unique_email()
        async with httpx.AsyncClient(base_url=server.url) as helper:
            await helper.post("/api/v1/auth/register",
                              json={"email": other, "password": STRONG_PASSWORD, "name": "H"})
        await client.post("/api/v1/auth/login", json={"email": other, "password": STRONG_PASSWORD})
        assert client.cookies["session"] != first
        assert (await client.get("/api/v1/auth/me")).json()["email"] == other


async def test_the_address_rate_limit_guards_sign_in_only(anon: httpx.AsyncClient) -> None:
    login = await anon.post("/api/v1/auth/login", json={"email": unique_email(), "password": "whatever123"})
    assert login.headers["ratelimit-policy"] == "300; w=60"
    for response in (await anon.get("/api/v1/shows"), await anon.post("/api/v1/auth/logout")):
        assert not any(name.startswith("ratelimit") for name in response.headers), response.headers


async def _signed_in_cookie(server) -> str:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post("/api/v1/auth/register",
                                     json={"email": unique_email(), "password": STRONG_PASSWORD, "name": "N"})
        assert response.status_code == 201
        return client.cookies["session"]


async def _me(server, cookie: str) -> int:
    async with httpx.AsyncClient(base_url=server.url, cookies={"session": cookie}) as client:
        return (await client.get("/api/v1/auth/me")).status_code


async def test_a_signed_out_session_replayed_to_the_same_process_is_refused_at_once(server) -> None:
    """The per-process session near-cache forgets a session the moment this process signs it out."""
    cookie = await _signed_in_cookie(server)
    assert await _me(server, cookie) == 200  # now in the server's near-cache
    async with httpx.AsyncClient(base_url=server.url, cookies={"session": cookie}) as client:
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
    assert await _me(server, cookie) == 401


@pytest.mark.cluster
async def test_a_session_signed_out_by_another_process_stops_working_within_the_cache_bound(server, redis) -> None:
    """Another process's sign-out only deletes the stored session: this process may answer from memory for at most
    SESSION_CACHE_SECONDS (1 s by default) more, then it reads the store again."""
    import time

    cookie = await _signed_in_cookie(server)
    primed = time.monotonic()
    assert await _me(server, cookie) == 200
    assert await redis.delete(f"sessions:{cookie}") == 1  # what a sign-out elsewhere does to the store
    if time.monotonic() - primed < 0.5:  # still well inside the bound: served from memory, not from Redis
        assert await _me(server, cookie) == 200
    while await _me(server, cookie) == 200:
        assert time.monotonic() - primed < 1.0 + 2.0, "the near-cache outlived its bound"
    assert await _me(server, cookie) == 401
