"""argon2id hashing, run off the event loop (each hash costs tens of milliseconds by design)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from backend.settings import get_settings

# argon2-cffi's defaults (RFC 9106's low-memory profile) everywhere but the test suite (Settings.cheap_password_hashing).
# A hash carries its own parameters, so either hasher verifies the other's hashes.
_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST) if get_settings().cheap_password_hashing \
    else PasswordHasher()
# Verifying against this when the email is unknown makes both failures cost the same time.
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)
