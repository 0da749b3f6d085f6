"""Registration, sign-in and the brute-force brake on sign-in."""

from __future__ import annotations

import re
from datetime import datetime

from redis.asyncio import Redis

from backend.accounts import brake, verification
from backend.accounts.passwords import hash_password, verify_password
from backend.accounts.schemas import ProfileOut
from backend.errors import AppError, Conflict, Invalid
from db.tables import Profile

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
COMMON_PASSWORDS = {
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "iloveyou",
    "sunshine1",
    "letmein123",
    "football1",
    "baseball1",
    "welcome1",
    "admin123",
    "abc12345",
    "qwerty123",
    "11111111",
    "00000000",
    "passw0rd",
    "trustno1",
}
MIN_PASSWORD, MAX_PASSWORD = 8, 256


class InvalidCredentials(AppError):
    status_code = 401
    code = "invalid_credentials"


def reject_control_characters(**fields: str) -> None:
    # NUL and friends are never part of a real email, name or password, and PostgreSQL refuses NUL in text.
    for name, value in fields.items():
        if any(ord(ch) < 32 for ch in value):
            raise Invalid(f"{name} contains control characters.", code="invalid_characters")


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise Invalid("That does not look like an email address.", code="invalid_email")
    return email


def check_password_strength(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"The password must have at least {MIN_PASSWORD} characters.", code="weak_password")
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"The password may have at most {MAX_PASSWORD} characters.", code="weak_password")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4 or lowered == email or lowered == email.split("@")[0]:
        raise Invalid("That password is too easy to guess; choose a longer, less common one.", code="weak_password")


PROFILE_COLUMNS = (Profile.id, Profile.email, Profile.name, Profile.role, Profile.email_verified_at)


def profile_out(profile: dict) -> ProfileOut:
    return ProfileOut(
        profile_id=str(profile["id"]),
        email=profile["email"],
        name=profile["name"],
        role=profile["role"] if profile.get("role") in ("scanner", "organizer") else "fan",
        email_verified=profile["email_verified_at"] is not None,
    )


async def register(email: str, password: str, name: str) -> ProfileOut:
    reject_control_characters(email=email, password=password, name=name)
    email = normalise_email(email)
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("The name must have 1 to 100 characters.", code="invalid_name")
    check_password_strength(password, email)
    if await Profile.exists().where(Profile.email == email):
        raise Conflict("An account with this email already exists.", code="email_taken")
    password_hash = await hash_password(password)
    try:
        rows = await Profile.insert(Profile(email=email, name=name, password_hash=password_hash)).returning(
            *PROFILE_COLUMNS
        )
    except Exception as exc:  # two registrations racing for one email: the unique index decides
        if await Profile.exists().where(Profile.email == email):
            raise Conflict("An account with this email already exists.", code="email_taken") from exc
        raise
    return profile_out(rows[0])


async def login(redis: Redis, email: str, password: str, address: str) -> ProfileOut:
    """`address` is the client's (after trusted proxies): the brake counts failures per client, not per victim."""
    reject_control_characters(email=email, password=password)
    key_email = email.strip().lower()[:254]
    await brake.check(redis, key_email, address)
    row = await Profile.select(*PROFILE_COLUMNS, Profile.password_hash).where(Profile.email == key_email).first()
    if not await verify_password(row["password_hash"] if row else None, password):
        await brake.record_failure(redis, key_email, address)
        raise InvalidCredentials("The email or password is not right.")
    await brake.record_success(redis, key_email, address)
    assert row is not None
    return profile_out(row)


async def get_profile(profile_id: int) -> ProfileOut | None:
    row = await Profile.select(*PROFILE_COLUMNS).where(Profile.id == profile_id).first()
    return profile_out(row) if row else None


async def verify_email(secret_key: str, token: str, now: datetime) -> ProfileOut:
    """Marks the token's profile verified (again is fine); 422 invalid_token / token_expired otherwise."""
    profile_id = verification.token_profile_id(token)
    row = await Profile.select(*PROFILE_COLUMNS).where(Profile.id == profile_id).first()
    if row is None:
        raise verification.InvalidToken("This verification link is not valid.")
    verification.check_token(secret_key, token, row["email"])
    if row["email_verified_at"] is None:
        await Profile.update({Profile.email_verified_at: now}).where(Profile.id == profile_id)
        row["email_verified_at"] = now
    return profile_out(row)


VERIFIED_LOOKUP_CHUNK = 5_000  # ids per query: within SQLite's bound on parameters, few round trips for a big line


async def verified_among(profile_ids: list[int]) -> set[int]:
    """Which of these profiles are verified (docs/architecture.md, "What "verified" means"): primary-key lookups,
    a chunk of ids per query, so the waiting room's draw asks once for a whole line instead of once per join."""
    verified: set[int] = set()
    for start in range(0, len(profile_ids), VERIFIED_LOOKUP_CHUNK):
        chunk = profile_ids[start : start + VERIFIED_LOOKUP_CHUNK]
        rows = (
            await Profile.select(Profile.id)
            .where(Profile.id.is_in(chunk) & Profile.email_verified_at.is_not_null())
            .output(as_list=True)
        )
        verified.update(int(row) for row in rows)
    return verified
