"""Helpers for the holds tests: the seat map as {seat: status}, polling with a deadline, sold seats in the DB,
and the changes channel."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from redis.asyncio.client import PubSub

from backend.infra.redis_client import RedisClient
from backend.seats import _keys as keys
from backend.timeutil import utcnow
from db.tables import Order, Profile, Ticket
from tests.support.pubsub import shard_subscribe


async def seat_map(client: httpx.AsyncClient, show_id: int | str) -> dict:
    response = await client.get(f"/api/v1/shows/{show_id}/map")
    assert response.status_code == 200, response.text
    return response.json()


async def statuses(client: httpx.AsyncClient, show_id: int | str) -> dict[str, str]:
    return {seat["id"]: seat["status"] for seat in (await seat_map(client, show_id))["seats"]}


async def hold(client: httpx.AsyncClient, show_id: int | str, seat_ids: list[str] | None = None,
               **body: object) -> httpx.Response:
    if seat_ids is not None:
        body["seat_ids"] = seat_ids
    return await client.post(f"/api/v1/shows/{show_id}/holds", json=body)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.05) -> float:
    """Poll until `check` is true; returns the time.time() at which it was first seen true."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return time.time()
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(interval)


async def subscribe(redis: RedisClient, show_id: int) -> PubSub:
    return await shard_subscribe(redis, keys.changes_channel(show_id))


async def next_changes(pubsub: PubSub, timeout: float) -> tuple[bytes, float] | None:
    """The next message published on the channel (raw bytes) and when it arrived, or None."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        if message and message["type"] == "smessage":
            return message["data"], time.time()
    return None


async def all_changes(pubsub: PubSub, quiet_for: float) -> list[dict]:
    """Every message until none arrives for `quiet_for` seconds, decoded."""
    messages = []
    while (item := await next_changes(pubsub, quiet_for)) is not None:
        messages.append(json.loads(item[0]))
    return messages


async def insert_sold_tickets(show_id: int, seat_ids: list[str], price_cents: int = 5000) -> int:
    """Seats sold before the test, written straight to the database as the payments code would; the order's id."""
    profile = (await Profile.insert(Profile(email=f"buyer-{secrets.token_hex(6)}@example.com", name="Buyer",
                                            password_hash="not-a-hash")).returning(Profile.id))[0]["id"]
    order = (await Order.insert(Order(
        profile=profile, show=show_id, hold_id=f"seeded-{secrets.token_hex(8)}", status="paid",
        amount_cents=price_cents * len(seat_ids), currency="EUR", expires_at=utcnow() + timedelta(minutes=5),
    )).returning(Order.id))[0]["id"]
    await Ticket.insert(*(Ticket(order=order, show=show_id, seat=int(seat_id), profile=profile,
                                 price_cents=price_cents, currency="EUR") for seat_id in seat_ids))
    return order
