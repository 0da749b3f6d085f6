"""The edge screens every body of every route before a handler sees it: card data (422), invalid UTF-8 (400),
absurd nesting (400), forms (415) and bodies over the limit (413), all in the error shape, none a 5xx; a card
number sent anywhere is neither stored nor logged."""

from __future__ import annotations

import secrets

import httpx
import pytest
from piccolo.engine import engine_finder

from backend.edge.screening import MAX_BODY_BYTES, MAX_JSON_DEPTH
from db.tables import Profile
from tests.conftest import STRONG_PASSWORD, unique_email

CARD = "4111111111111111"
JSON = {"Content-Type": "application/json"}

# Every route that takes a body, with one well-formed body each: the screen must hold on all of them.
ROUTES = [
    ("POST", "/api/v1/auth/register", {"email": "a@example.com", "password": STRONG_PASSWORD, "name": "A"}),
    ("POST", "/api/v1/auth/login", {"email": "a@example.com", "password": STRONG_PASSWORD}),
    ("POST", "/api/v1/shows/1/holds", {"seat_ids": ["1"]}),
    ("POST", "/api/v1/shows/1/checkout", {"hold_id": "h"}),
    ("POST", "/api/v1/tickets/verify", {"code": "c"}),
    ("POST", "/api/v1/shows/1/queue", {}),
    ("DELETE", "/api/v1/holds/abc", {}),
    ("POST", "/api/v1/nowhere", {}),
]


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["error"] == code and isinstance(body["detail"], str), body
    assert "Traceback" not in response.text and CARD not in response.text


async def test_register_with_a_card_number_as_name_is_refused_and_not_stored(anon: httpx.AsyncClient,
                                                                             server) -> None:
    email = unique_email("card")
    response = await anon.post("/api/v1/auth/register",
                               json={"email": email, "password": STRONG_PASSWORD, "name": CARD})
    assert_refused(response, 422, "card_data_forbidden")
    assert not await Profile.exists().where(Profile.email == email)
    assert CARD not in server.log_text()


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=lambda v: v if isinstance(v, str) else "")
async def test_card_data_is_refused_on_every_route(fan: httpx.AsyncClient, method: str, path: str,
                                                   body: dict) -> None:
    spaced = f"{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}"
    for carrying in ({**body, "note": spaced}, {**body, "extra": [{"cvc": "123"}]}):
        response = await fan.request(method, path, json=carrying)
        assert_refused(response, 422, "card_data_forbidden")
    escaped = b'{"extra": {"\\u0063vc": "123"}}'
    assert_refused(await fan.request(method, path, content=escaped, headers=JSON), 422, "card_data_forbidden")
    # A body that does not decode (cut short, or nested past the limit) is still screened for card fields first:
    # refused as card data, not as malformed or too deep.
    for broken in (b'{"extra": {"cvc": "123"', b"[" * (MAX_JSON_DEPTH + 2) + b'{"exp_month": 1}'):
        assert_refused(await fan.request(method, path, content=broken, headers=JSON), 422, "card_data_forbidden")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=lambda v: v if isinstance(v, str) else "")
async def test_hostile_bodies_are_4xx_on_every_route(fan: httpx.AsyncClient, method: str, path: str,
                                                     body: dict) -> None:
    cases = [
        (b"[" * 10_000, 400, "json_too_deep"),
        (b"{\"a\":" * 5_000 + b"1" + b"}" * 5_000, 400, "json_too_deep"),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), 400, "json_too_deep"),
        (b'{"email": "\xff", "password": "x", "name": "y"}', 400, "invalid_encoding"),
        (b"\xff\xfe\x00", 400, "invalid_encoding"),
        (b"{not json", 400, "malformed_json"),
        (b"a" * 1_000_000, 413, "body_too_large"),
        (b'{"name": "' + b"a" * MAX_BODY_BYTES + b'"}', 413, "body_too_large"),
    ]
    for raw, status, code in cases:
        assert_refused(await fan.request(method, path, content=raw, headers=JSON), status, code)
    form = await fan.request(method, path, content=b"email=a&password=b",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_refused(form, 415, "unsupported_media_type")


async def test_a_streamed_body_over_the_limit_is_413_without_a_declared_length(anon: httpx.AsyncClient) -> None:
    async def chunks():  # no Content-Length: the edge counts what arrives
        for _ in range(10):
            yield b"a" * 100_000

    response = await anon.post("/api/v1/auth/register", content=chunks(), headers=JSON)
    assert_refused(response, 413, "body_too_large")


async def test_a_body_within_the_limits_still_reaches_the_handler(anon: httpx.AsyncClient) -> None:
    email = unique_email()
    nested_note = {"a": [[[{"b": 1}]]]}
    response = await anon.post("/api/v1/auth/register", json={
        "email": email, "password": STRONG_PASSWORD, "name": "Ann " + secrets.token_hex(2), "note": nested_note})
    assert response.status_code == 201, response.text


async def test_no_card_number_reaches_the_database_through_any_body(fan: httpx.AsyncClient) -> None:
    for method, path, body in ROUTES:
        await fan.request(method, path, json={**body, "name": CARD, "note": CARD})
    engine = engine_finder()
    assert engine is not None
    rows = await Profile.select(Profile.name, Profile.email)
    assert not any(CARD in (row["name"] + row["email"]) for row in rows)
