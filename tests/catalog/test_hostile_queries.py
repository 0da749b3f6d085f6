"""Catalog queries a client cannot mean, answered 400 in the error shape: times outside what a datetime can hold
once converted to UTC (in from, to and inside cursors), cursors holding ids past 64 bits, and ids in paths that
are not ASCII digits (unicode digits pass str.isdigit() but are not ids)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

EXTREME = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
NEAR = "48.8566,2.3522"


def cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def assert_400(response: httpx.Response, code: str) -> None:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.json()["error"] == code and response.json()["detail"], response.json()


@pytest.mark.parametrize("moment", EXTREME)
async def test_extreme_dates_are_400(anon: httpx.AsyncClient, moment: str) -> None:
    for name in ("from", "to"):
        assert_400(await anon.get("/api/v1/shows", params={name: moment}), "invalid_parameter")
        assert_400(await anon.get("/api/v1/shows", params={name: moment, "near": NEAR}), "invalid_parameter")
    assert_400(await anon.get("/api/v1/shows", params={"cursor": cursor(moment, 1)}), "invalid_cursor")
    assert_400(await anon.get("/api/v1/shows", params={"cursor": cursor(1.5, moment, 1), "near": NEAR}),
               "invalid_cursor")


@pytest.mark.parametrize("show_id", [2**63, 2**64, -(2**63) - 1, 10**30])
async def test_cursor_ids_past_64_bits_are_400(anon: httpx.AsyncClient, show_id: int) -> None:
    assert_400(await anon.get("/api/v1/shows", params={"cursor": cursor("2026-12-01T00:00:00Z", show_id)}),
               "invalid_cursor")
    assert_400(await anon.get("/api/v1/shows", params={"cursor": cursor(1.5, "2026-12-01T00:00:00Z", show_id),
                                                        "near": NEAR}), "invalid_cursor")
    assert_400(await anon.get("/api/v1/shows", params={"cursor": cursor(1e308, "2026-12-01T00:00:00Z", 1),
                                                        "near": NEAR}), "invalid_cursor")
