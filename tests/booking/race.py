"""A flash sale in miniature, reusable by other tests (payments' end-to-end race builds on it).

`signed_in_fans` gives many signed-in profiles at once (their rows and sessions written straight, as
tests/realtime/fans.py does: these races test seats, not accounts); `register_fans` registers them through the API
(argon2 makes each registration cost tens of milliseconds of server CPU, so with bounded concurrency), for the tests
that sign them in again by password; `hold_race` fires many overlapping hold requests at once and returns what the server
answered, as {hold_id: seats} plus the refusals, for the caller to check against the map and Redis.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from redis.asyncio import Redis

from tests.conftest import STRONG_PASSWORD
from tests.realtime.fans import SESSION_COOKIE, signed_in

REGISTER_CONCURRENCY = 8


@dataclass
class Fan:
    index: int
    email: str
    client: httpx.AsyncClient
    profile_id: int = 0


@dataclass
class Attempt:
    fan: int
    requested: list[str]
    status: int
    body: dict


@dataclass
class RaceOutcome:
    attempts: list[Attempt] = field(default_factory=list)
    holds: dict[str, set[str]] = field(default_factory=dict)  # hold id -> every seat its 201 answers listed
    owners: dict[str, int] = field(default_factory=dict)  # hold id -> fan index

    @property
    def statuses(self) -> Counter[int]:
        return Counter(attempt.status for attempt in self.attempts)

    def answers(self, status: int) -> list[Attempt]:
        return [attempt for attempt in self.attempts if attempt.status == status]


def _client(base_url: str) -> httpx.AsyncClient:
    # Registering a hundred fans takes a while; a connection idle longer than the server's keep-alive (5 s) may
    # be closed by the server just as the race reuses it. Dropping idle connections sooner avoids that race.
    return httpx.AsyncClient(base_url=base_url, timeout=60, limits=httpx.Limits(keepalive_expiry=2))


async def _sign_in(client: httpx.AsyncClient, email: str, register: bool) -> int:
    path = "/api/v1/auth/register" if register else "/api/v1/auth/login"
    body = {"email": email, "password": STRONG_PASSWORD, **({"name": "Racer"} if register else {})}
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    return int(response.json()["profile_id"])


async def register_fans(base_url: str, count: int) -> list[Fan]:
    gate = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def one(index: int) -> Fan:
        fan = Fan(index, f"racer-{secrets.token_hex(6)}@example.com", _client(base_url))
        async with gate:
            fan.profile_id = await _sign_in(fan.client, fan.email, register=True)
        return fan

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def signed_in_fans(redis: Redis, base_url: str, count: int) -> list[Fan]:
    """`count` fans signed in without an argon2 hash each: a profile row and a session per fan, written straight."""
    seeded = await signed_in(redis, count, base_url)
    fans = []
    for index, fan in enumerate(seeded):
        client = _client(base_url)
        client.cookies.set(SESSION_COOKIE, fan.session_id)
        fans.append(Fan(index, fan.email, client, fan.profile_id))
    return fans


async def sign_in_again(fans: list[Fan]) -> None:
    """After Redis lost the sessions: every fan logs in again."""
    gate = asyncio.Semaphore(REGISTER_CONCURRENCY)

    async def one(fan: Fan) -> None:
        fan.client.cookies.clear()
        async with gate:
            await _sign_in(fan.client, fan.email, register=False)

    await asyncio.gather(*(one(fan) for fan in fans))


async def close_fans(fans: list[Fan]) -> None:
    await asyncio.gather(*(fan.client.aclose() for fan in fans))


def plan_requests(fans: list[Fan], seat_pool: list[str], requests: int, seed: int,
                  most_seats: int = 4) -> list[tuple[Fan, list[str]]]:
    """Who asks for which seats: round-robin over fans, 1..most_seats random seats of the pool each."""
    rng = random.Random(seed)
    return [(fans[k % len(fans)], rng.sample(seat_pool, rng.randint(1, most_seats))) for k in range(requests)]


async def hold_race(show_id: int | str, plan: list[tuple[Fan, list[str]]],
                    on_answer: Callable[[Attempt], None] | None = None) -> RaceOutcome:
    """Fire every planned hold request at once; collect the answers."""
    outcome = RaceOutcome()
    start = asyncio.Event()

    async def one(fan: Fan, seats: list[str]) -> None:
        await start.wait()
        try:
            response = await fan.client.post(f"/api/v1/shows/{show_id}/holds", json={"seat_ids": seats})
        except httpx.TransportError as exc:  # recorded as status 0, so the caller's status check names it
            attempt = Attempt(fan.index, seats, 0, {"transport_error": repr(exc)})
        else:
            body = response.json() if response.content else {}
            attempt = Attempt(fan.index, seats, response.status_code, body)
        outcome.attempts.append(attempt)
        if attempt.status == 201:
            outcome.holds.setdefault(attempt.body["hold_id"], set()).update(attempt.body["seat_ids"])
            outcome.owners[attempt.body["hold_id"]] = fan.index
        if on_answer is not None:
            on_answer(attempt)

    tasks = [asyncio.create_task(one(fan, seats)) for fan, seats in plan]
    await asyncio.sleep(0)  # every task is waiting at the gate
    start.set()
    await asyncio.gather(*tasks)
    return outcome


def seats_in_two_holds(holds: dict[str, set[str]]) -> dict[str, list[str]]:
    """Seat -> the holds that claimed it, for every seat claimed by more than one hold (should be empty)."""
    claimed: dict[str, list[str]] = {}
    for hold_id, seats in holds.items():
        for seat in seats:
            claimed.setdefault(seat, []).append(hold_id)
    return {seat: ids for seat, ids in claimed.items() if len(ids) > 1}
