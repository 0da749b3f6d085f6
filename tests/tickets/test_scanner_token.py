"""Gate scanners authenticate with `Authorization: Bearer <SCANNER_TOKEN>`: the bare token, another scheme or no
header is 401 `scanner_token_required`."""

from __future__ import annotations

import httpx
import pytest

from backend.tickets.gate_tokens import gate_token

TOKEN = "dev-scanner-token"


@pytest.mark.parametrize("header", [TOKEN, f"Basic {TOKEN}", f"Token {TOKEN}", f"Bearer{TOKEN}", "Bearer",
                                    f"Bearer {TOKEN}x", "", gate_token(TOKEN, 1), f"Bearer {gate_token(TOKEN, 1)}x",
                                    f"Bearer {gate_token('another token', 1)}",
                                    f"Bearer {gate_token(TOKEN, 1).replace('gate.1.', 'gate.2.')}"])
async def test_the_token_without_the_bearer_scheme_is_refused(anon: httpx.AsyncClient, header: str) -> None:
    response = await anon.post("/api/v1/tickets/verify", json={"code": "not-a-code"},
                               headers={"Authorization": header} if header else {})
    assert response.status_code == 401, (header, response.text)
    assert response.json()["error"] == "scanner_token_required"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_the_bearer_token_is_accepted(anon: httpx.AsyncClient, scheme: str) -> None:
    response = await anon.post("/api/v1/tickets/verify", json={"code": "not-a-code", "show_id": "1"},
                               headers={"Authorization": f"{scheme} {TOKEN}"})
    assert response.status_code == 200 and response.json()["result"] == "invalid"
    # A show's gate token is a bearer token too, and names the show.
    response = await anon.post("/api/v1/tickets/verify", json={"code": "not-a-code"},
                               headers={"Authorization": f"{scheme} {gate_token(TOKEN, 1)}"})
    assert response.status_code == 200 and response.json()["result"] == "invalid"
