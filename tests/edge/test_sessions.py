"""Signing out deletes the session cookie once (Max-Age=0); later responses do not touch it again."""

from __future__ import annotations

import httpx


def _set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def test_logout_clears_the_cookie_once_with_max_age_zero(fan: httpx.AsyncClient) -> None:
    assert (await fan.get("/api/v1/auth/me")).status_code == 200
    stale = fan.cookies.get("session")
    response = await fan.post("/api/v1/auth/logout")
    assert response.status_code == 204
    cookies = _set_cookies(response)
    assert len(cookies) == 1, cookies
    assert cookies[0].startswith("session=;") or cookies[0].startswith('session="";'), cookies
    assert "Max-Age=0" in cookies[0] and "HttpOnly" in cookies[0], cookies
    assert "session" not in fan.cookies  # the client dropped it, as a browser does

    for _ in range(3):
        later = await fan.get("/api/v1/shows", params={"limit": 1})
        assert later.status_code == 200 and _set_cookies(later) == []
    assert (await fan.get("/api/v1/auth/me")).status_code == 401

    # A client that keeps sending the old cookie is not signed in, and gets no cookie churn either.
    async with httpx.AsyncClient(base_url=str(fan.base_url), cookies={"session": stale}) as replayer:
        again = await replayer.get("/api/v1/auth/me")
        assert again.status_code == 401 and _set_cookies(again) == []
