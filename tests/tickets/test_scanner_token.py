"""Gate scanners authenticate with `Authorization: Bearer <SCANNER_TOKEN>`: the bare token, another scheme or no
header is 401 `scanner_token_required`."""

from __future__ import annotations

import httpx
import pytest

TOKEN = "dev-scanner-token"


@pytest.mark.parametrize("header", [TOKEN, f"Basic {TOKEN}", f"Token {TOKEN}", f"Bearer{TOKEN}", "Bearer",
                                    f"Bearer {TOKEN}x", ""])
async def test_the_token_without_the_bearer_scheme_is_refused(anon: httpx.AsyncClient, header: str) -> None:
    response = await anon.post("/api/v1/tickets/verify", json={"code": "not-a-code"},
                               headers={"Authorization": header} if header else {})
    assert response.status_code == 401, (header, response.text)
    assert response.json()["error"] == "scanner_token_required"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_the_bearer_token_is_accepted(anon: httpx.AsyncClient, scheme: str) -> None:
    response = await anon.post("/api/v1/tickets/verify", json={"code": "not-a-code"},
                               headers={"Authorization": f"{scheme} {TOKEN}"})
    assert response.status_code == 200 and response.json()["result"] == "invalid"
