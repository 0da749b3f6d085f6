"""Many signed-in profiles, fast: rows in the database plus server-side sessions in Redis.

Registering through the API costs an argon2 hash each (most of a second on a loaded 2-core machine); the realtime
tests need hundreds of profiles and test nothing about accounts, so they write what a sign-in leaves behind: a
profile row and the session the app's RedisStore keeps under `sessions:<id>` ({"profile_id": N}). `signed_in`
checks one of them through GET /auth/me, so a change of the session layout fails here, loudly, not as 401s later.
The profiles are verified (e-mail confirmed), as the waiting room's draw requires, unless asked otherwise.
"""

from __future__ import annotations

import json
import secrets
import ssl
from dataclasses import dataclass

import httpx
from redis.asyncio import Redis

from backend.timeutil import utcnow
from db.tables import Profile

SESSION_COOKIE = "session"
SESSION_TTL_S = 3600
# One for every fan's client: building a TLS context per client (certificates loaded each time) took 35 s for 300
# clients on a loaded machine, longer than the waiting-room test's 20 s before the sale opens.
CLIENT_TLS = ssl.create_default_context()


@dataclass(frozen=True)
class Fan:
    profile_id: int
    session_id: str
    email: str = ""

    def client(self, base_url: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url, cookies={SESSION_COOKIE: self.session_id}, timeout=30, verify=CLIENT_TLS
        )


async def signed_in(redis: Redis, count: int, base_url: str, verified: bool = True) -> list[Fan]:
    label = secrets.token_hex(4)
    emails = [f"rt-{label}-{i}@example.com" for i in range(count)]
    confirmed_at = utcnow() if verified else None
    rows = await Profile.insert(
        *[
            Profile(
                email=email, name=f"Fan {i}", password_hash="!no-password-test-profile", email_verified_at=confirmed_at
            )
            for i, email in enumerate(emails)
        ]
    ).returning(Profile.id, Profile.email)
    fans = [Fan(int(row["id"]), secrets.token_hex(32), row["email"]) for row in rows]
    async with redis.pipeline(transaction=False) as pipe:
        for fan in fans:
            pipe.set(f"sessions:{fan.session_id}", json.dumps({"profile_id": fan.profile_id}), ex=SESSION_TTL_S)
        await pipe.execute()
    async with fans[0].client(base_url) as client:
        me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200 and int(me.json()["profile_id"]) == fans[0].profile_id, (
        f"the session layout changed; update tests/realtime/fans.py: {me.status_code} {me.text}"
    )
    return fans
