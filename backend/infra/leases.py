"""Leases in Redis: a periodic job runs once per show across the fleet, not once per process.

Every process runs the job's loop; before working on a show it asks for that show's lease. The first to ask gets
it for LEASE_TTL_MS and keeps it by asking again every tick; the others skip the show. When the holder dies (or
stalls, or loses Redis) its lease runs out and the next process to ask takes it over: within LEASE_TTL_MS plus
one tick. Different shows' leases land in different processes, so the work spreads over the fleet.

Fencing: each grant of a lease carries a token, one more than the previous grant's (a counter that outlives the
lease). A holder passes its token with every write the job makes, and the write's Lua script refuses it unless
the token is still the lease's current one (FENCE_GUARD, in the same atomic step as the write). A holder that
paused past its lease and woke up after another took over therefore cannot write: its token is older.

Both keys live under the show's hash tag, so on a Redis Cluster the lease, its counter and the data the job writes
are on one shard and one script can check the token and write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket

from redis.asyncio import Redis

from backend.infra.keyspace import show_tag
from backend.infra.lua import LuaScript

logger = logging.getLogger("showtime.leases")

LEASE_TTL_MS = 3_000

# KEYS: lease (HASH owner, token), fence counter.  ARGV: owner, ttl ms.
# -> {token, 1 if granted by this call} while the caller holds the lease, {0, 0} while someone else does.
_ACQUIRE = LuaScript("""
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {tonumber(redis.call('HGET', KEYS[1], 'token')), 0}
end
if owner then return {0, 0} end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {token, 1}
""")

# KEYS: lease.  ARGV: owner.  Lets go of a lease the caller still holds (a clean shutdown hands over at once).
_RELEASE = LuaScript("""
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
""")

# For the scripts a lease holder writes with: `if fenced(KEYS[n], ARGV[m]) then return <refused> end` first.
# An empty token is a write made outside the job (a request's own step), which the lease does not govern.
FENCE_GUARD = """
local function fenced(lease_key, token)
  if token == '' then return false end
  return redis.call('HGET', lease_key, 'token') ~= token
end
"""

UNFENCED = ""  # the token of a write made outside any lease


class Fenced(Exception):
    """A write refused because the lease it was made under has passed to another holder."""


def lease_key(job: str, show_id: int | str) -> str:
    return f"{show_tag(show_id)}:lease:{job}"


def _fence_key(job: str, show_id: int | str) -> str:
    return f"{show_tag(show_id)}:lease:{job}:fence"


def process_owner() -> str:
    """This process's name as a lease holder: host and pid for people, a random part for uniqueness."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Leases:
    """The leases one process asks for, on behalf of one job."""

    def __init__(self, redis: Redis, job: str, owner: str | None = None, ttl_ms: int = LEASE_TTL_MS) -> None:
        self.redis = redis
        self.job = job
        self.owner = owner or process_owner()
        self.ttl_ms = ttl_ms
        self.held: dict[int, int] = {}  # show -> token, as of the last ask

    async def hold(self, show_id: int) -> int | None:
        """Take or keep the show's lease: its fencing token while this process holds it, else None."""
        token, granted = await _ACQUIRE(self.redis, [lease_key(self.job, show_id), _fence_key(self.job, show_id)],
                                        [self.owner, self.ttl_ms])
        if not token:
            if self.held.pop(show_id, None) is not None:
                logger.info("lost the %s lease of show %s", self.job, show_id)
            return None
        if granted:
            logger.info("took the %s lease of show %s (token %d, holder %s)", self.job, show_id, token, self.owner)
        self.held[show_id] = int(token)
        return int(token)

    def fence(self, show_id: int) -> tuple[str, str]:
        """What a fenced write passes to its script: the lease's key and this holder's token."""
        return lease_key(self.job, show_id), str(self.held[show_id])

    def forget(self, show_id: int) -> None:
        """The show needs no more work: stop counting its lease as held (it runs out by itself)."""
        self.held.pop(show_id, None)

    async def release_all(self, timeout_s: float = 1.0) -> None:
        """Let go of every lease held (a clean shutdown hands the shows over at once); bounded, so a Redis that
        does not answer cannot hold up the shutdown: its leases then run out by themselves."""
        async def release() -> None:
            for show_id in list(self.held):
                await _RELEASE(self.redis, [lease_key(self.job, show_id)], [self.owner])
                del self.held[show_id]

        with contextlib.suppress(Exception):
            await asyncio.wait_for(release(), timeout_s)
