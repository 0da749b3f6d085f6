"""PCI SAQ-A: a checkout body carrying card data is refused (422 card_data_forbidden) before anything else, and
no trace of it reaches the server's log, the database or Redis."""

from __future__ import annotations

import secrets

import httpx
import pytest
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from redis.asyncio import Redis

from backend.edge.card_data import carries_card_data
from backend.settings import get_settings
from db.tables import Order
from tests.payments.helpers import hold
from tests.support.data import create_show

CARD = "4242424242424242"


def _bodies(hold_id: str, marker: str) -> list[object]:
    card = {"number": CARD, "exp_month": 12, "exp_year": 2031, "cvc": "123", "name": marker}
    return [
        {"hold_id": hold_id, "payment_details": card},
        {"hold_id": hold_id, "card": card},
        {"hold_id": hold_id, "payment_method_data": {"type": "card", "card": card}},
        {"hold_id": hold_id, "extra": [{"deep": {"deeper": {"cardNumber": CARD, "note": marker}}}]},
        {"hold_id": hold_id, "billing": {"Card-Number": f"4242 4242 4242 4242 {marker}"}},
        {"hold_id": hold_id, "sec_code": "123", "note": marker},
        {"hold_id": hold_id, "CVV": "123", "note": marker},
        {"hold_id": hold_id, "exp_year": 2031, "note": marker},
        {"hold_id": hold_id, "note": f"my card is {CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:]} {marker}"},
        {"hold_id": CARD, "note": marker},
        {"hold_id": hold_id, "pan": int(CARD), "note": marker},
    ]


async def _database_text() -> bytes:
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        tables = await Order.raw("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        chunks = []
        for table in tables:
            rows = await Order.raw(f'SELECT string_agg(t::text, \'\n\') AS dump FROM "{table["tablename"]}" t')
            chunks.append((rows[0]["dump"] or "").encode())
        return b"\n".join(chunks)
    path = get_settings().sqlite_path
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


async def _redis_text(redis: Redis) -> bytes:
    chunks = []
    async for key in redis.scan_iter(count=1000):
        chunks.append(key)
        kind = (await redis.type(key)).decode()
        if kind == "string":
            chunks.append(await redis.get(key) or b"")
        elif kind == "hash":
            chunks.extend(b"%s=%s" % item for item in (await redis.hgetall(key)).items())
        elif kind == "list":
            chunks.extend(await redis.lrange(key, 0, -1))
        elif kind == "set":
            chunks.extend(await redis.smembers(key))
        elif kind == "zset":
            chunks.extend(await redis.zrange(key, 0, -1))
    return b"\n".join(chunks)


async def test_card_data_is_refused_and_leaves_no_trace(server, make_fan, anon, redis: Redis) -> None:
    show = await create_show()
    fan = await make_fan()
    held = await hold(fan, show.id, show.rows["Front/A"][:1])
    marker = f"card-marker-{secrets.token_hex(6)}"
    for client in (fan, anon):  # refused before the session is even looked at
        for body in _bodies(held["hold_id"], marker):
            for path in (f"/api/v1/shows/{show.id}/checkout", f"/api/v1/{show.id}/checkout"):
                response = await client.post(path, json=body)
                assert response.status_code == 422, (body, response.text)
                answer = response.json()
                assert answer["error"] == "card_data_forbidden" and answer["detail"]
                assert CARD not in response.text and marker not in response.text
    # Not JSON at all, but a card number in it: still refused, still not echoed.
    raw = await fan.post(f"/api/v1/shows/{show.id}/checkout", content=f"number={CARD}&{marker}".encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 422 and raw.json()["error"] == "card_data_forbidden"

    assert await Order.count().where(Order.hold_id == held["hold_id"]) == 0
    # A clean body still works afterwards: nothing was half-done.
    ok = await fan.post(f"/api/v1/shows/{show.id}/checkout", json={"hold_id": held["hold_id"]})
    assert ok.status_code == 201

    async with httpx.AsyncClient(base_url=server.url) as probe:  # flush the access log's queue
        await probe.get("/healthz")
    log = server.log_path.read_bytes()
    for needle in (CARD.encode(), b"4242 4242 4242 4242", b"4242-4242-4242-4242", marker.encode()):
        assert needle not in log, f"{needle!r} found in the server log"
    database = await _database_text()
    assert CARD.encode() not in database and marker.encode() not in database
    keyspace = await _redis_text(redis)
    assert CARD.encode() not in keyspace and marker.encode() not in keyspace


@pytest.mark.parametrize("raw", [
    b'{"hold_id": "h1_abcdefghijklmnop"}',
    b'{"hold_id": "h12_0123456789012345"}',
    b'{"hold_id": "h1_abcdefghijklmnop", "client_time": 1764110000000}',
    b'{"hold_id": "h1_abcdefghijklmnop", "numbers_seen": 3}',
    b"not json",
])
def test_ordinary_bodies_are_not_mistaken_for_card_data(raw: bytes) -> None:
    assert not carries_card_data(raw)


def test_deep_nesting_is_handled() -> None:
    assert carries_card_data(b'{"a":' * 200 + b'{"cvc": "1"}' + b"}" * 200)
    assert not carries_card_data(b"[" * 5000 + b"]" * 5000)


def test_card_fields_are_found_in_broken_or_escaped_json() -> None:
    assert carries_card_data(b'{"hold_id": "x", "cvc": "123"')  # truncated
    assert carries_card_data(b'{"hold_id": "x", "\\u0063vc": "123"}')  # escaped key
    assert carries_card_data(b"[" * 5000 + b'{"exp_month": 1}' + b"]" * 5000)
