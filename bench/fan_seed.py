"""Bench-only: tens of thousands of signed-in fans in seconds, written straight to the database and the session store.

Registering through the API costs one argon2id hash per fan (tens of milliseconds of CPU by design), and signing in
one more: 20,000 fans would take longer than the sale they are meant to load. So the bench writes the profile rows
itself, all with one password hash computed once by the app's own hasher, and puts a session for each fan in the
app's session store exactly as signing in does (`{"profile_id": N}` under a random id, in the Redis store the app
reads, namespace "sessions"); the fan's client then carries `session=<id>` as its cookie. The app is unchanged and
nothing here is imported by it. `verify_one` signs one fan's cookie through `GET /api/v1/auth/me`, so a change in
the app's session format fails the bench at once instead of yielding 20,000 anonymous fans.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import msgspec

PASSWORD = "correct horse battery staple"
INSERT_BATCH = 1_000
SESSION_NAMESPACE = "sessions"  # backend/app.py: RedisStore(redis, namespace="sessions")
SESSION_COOKIE = "session"  # backend/app.py: SessionConfig(key="session")
SESSION_TTL_S = 3_600


@dataclass(frozen=True)
class Fan:
    profile_id: int
    session_id: str

    @property
    def cookie(self) -> str:
        return f"{SESSION_COOKIE}={self.session_id}"


async def seed_fans(redis: Any, count: int, label: str) -> list[Fan]:
    """`count` profiles (one shared password hash) and a live session for each, in the app's Redis (a client or
    a cluster client); returns them in id order."""
    from argon2 import PasswordHasher

    from db.tables import Profile

    password_hash = PasswordHasher().hash(PASSWORD)
    ids: list[int] = []
    for start in range(0, count, INSERT_BATCH):
        rows = [Profile(email=f"fan-{label}-{i}@flash.example", name=f"Fan {i}", password_hash=password_hash)
                for i in range(start, min(count, start + INSERT_BATCH))]
        ids += [row["id"] for row in await Profile.insert(*rows).returning(Profile.id)]
    fans = [Fan(profile_id=profile_id, session_id=secrets.token_hex(16)) for profile_id in ids]
    for start in range(0, len(fans), INSERT_BATCH):
        # Litestar's RedisStore has no bulk write; one pipeline per batch writes the keys as its set() does
        # (`<namespace>:<key>`, value, expiry).
        async with redis.pipeline(transaction=False) as pipe:
            for fan in fans[start:start + INSERT_BATCH]:
                pipe.set(f"{SESSION_NAMESPACE}:{fan.session_id}",
                         msgspec.json.encode({"profile_id": fan.profile_id}), ex=SESSION_TTL_S)
            await pipe.execute()
    return fans


def verify_one(base_url: str, fan: Fan) -> None:
    import httpx

    response = httpx.get(f"{base_url}/api/v1/auth/me", headers={"Cookie": fan.cookie}, timeout=10)
    if response.status_code != 200 or int(response.json()["profile_id"]) != fan.profile_id:
        raise RuntimeError(f"a seeded session does not sign in ({response.status_code} {response.text[:200]}): "
                           "has the app's session format changed? (bench/fan_seed.py)")
