"""The sign-in brake: slow the attacker, never lock the owner out.

A plain per-account counter lets anyone lock a victim out by failing on purpose, and a plain per-address counter
lets anyone lock out everyone behind the same address (venue Wi-Fi, carrier NAT: thousands of fans). Failures are
counted three ways, in Redis, over a sliding-free fixed window:
- per (account, client address): the one client guessing this account's password is paused;
- per client address: above its limit (one client guessing many accounts), clients from that address that have
  failed on the account they now try are paused;
- per account, from everywhere: above a ceiling (a distributed attack), clients that have failed on this account
  are paused.
A client with a clean record on an account (no failure from its address on that account) always gets its try, so
the owner signing in from their own device, or from a crowded address, gets in under either attack and under both
at once. What that costs: a sprayer on one address gets one guess per account (not ten) once over the address
limit, an attacker one guess per fresh address over the ceiling; each guess an argon2 verification, within the
route's per-address request limit.
Emails are hashed in key names: no personal data in Redis keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from backend.errors import RateLimited


@dataclass(frozen=True)
class BrakeLimits:
    pair: int = 10  # failures of one address on one account
    address: int = 50  # failures of one address, all accounts
    account_ceiling: int = 100  # failures on one account, all addresses
    window_s: int = 300


LIMITS = BrakeLimits()


@dataclass(frozen=True)
class _Keys:
    pair: str
    address: str
    account: str

    @property
    def all(self) -> tuple[str, str, str]:
        return self.pair, self.address, self.account


def _keys(email: str, address: str) -> _Keys:
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    return _Keys(pair=f"login:fail:pair:{account}:{address}", address=f"login:fail:addr:{address}",
                 account=f"login:fail:acct:{account}")


def _count(raw: bytes | str | None) -> int:
    return int(raw) if raw else 0


async def check(redis: Redis, email: str, address: str, limits: BrakeLimits = LIMITS) -> None:
    """Raises RateLimited (429, Retry-After) when this client must wait before trying this account again."""
    keys = _keys(email, address)
    # The three keys live in three slots of a Redis Cluster: read them with one pipelined GET each (MGET would be
    # refused there as CROSSSLOT).
    async with redis.pipeline(transaction=False) as pipe:
        for key in keys.all:
            pipe.get(key)
        pair, from_address, on_account = map(_count, await pipe.execute())
    if pair >= limits.pair:
        blocking = keys.pair
    elif pair and from_address >= limits.address:
        blocking = keys.address
    elif pair and on_account >= limits.account_ceiling:
        blocking = keys.account
    else:
        return  # a clean record on this account: the owner behind a crowded address gets in
    retry_after = await redis.ttl(blocking)
    raise RateLimited("Too many failed sign-ins from this client; try again later.",
                      retry_after=max(retry_after, 1))


async def record_failure(redis: Redis, email: str, address: str, limits: BrakeLimits = LIMITS) -> None:
    # Not a MULTI: the counters are in different cluster slots. Each key's EXPIRE NX follows its INCR on the same
    # connection, and a later failure sets a missing expiry again.
    async with redis.pipeline(transaction=False) as pipe:
        for key in _keys(email, address).all:
            pipe.incr(key)
            pipe.expire(key, limits.window_s, nx=True)
        await pipe.execute()


async def record_success(redis: Redis, email: str, address: str) -> None:
    """The owner got in from here: this client's record on this account is clean again. The account's and the
    address's counts stay: an attack elsewhere goes on being braked."""
    await redis.delete(_keys(email, address).pair)
