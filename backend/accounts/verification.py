"""E-mail verification: what "verified" means in Showtime.

A profile is verified once its owner has shown they read mail at the profile's address: registration mails a
token, and `POST /api/v1/auth/verify-email` with that token sets `profile.email_verified_at`. The token is signed
(HMAC with SECRET_KEY) over the profile id, the address and an expiry, so nothing is stored, it cannot be forged,
and it stops working if the address changes. Verified profiles are what the waiting room's pre-open draw counts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time

from backend.errors import Invalid
from backend.infra.mail import MailNotSent, send_mail
from backend.settings import Settings

logger = logging.getLogger("showtime.accounts.verification")
TOKEN_TTL_S = 48 * 3600


class InvalidToken(Invalid):
    code = "invalid_token"


def _signature(secret_key: str, profile_id: int, email: str, expires: int) -> str:
    mac = hmac.new(secret_key.encode(), f"verify-email|{profile_id}|{email}|{expires}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode().rstrip("=")


def make_token(secret_key: str, profile_id: int, email: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + TOKEN_TTL_S)
    return f"{profile_id}.{expires}.{_signature(secret_key, profile_id, email, expires)}"


def token_profile_id(token: str) -> int:
    """The profile a well-formed token names (not yet checked: `check_token` does that with the address)."""
    profile, _, _ = token.partition(".")
    if not (profile.isascii() and profile.isdigit() and len(profile) < 19):
        raise InvalidToken("This verification link is not valid.")
    return int(profile)


def check_token(secret_key: str, token: str, email: str, now: float | None = None) -> None:
    parts = token.split(".")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit() and len(parts[1]) < 12):
        raise InvalidToken("This verification link is not valid.")
    profile_id, expires = token_profile_id(token), int(parts[1])
    if not hmac.compare_digest(parts[2], _signature(secret_key, profile_id, email, expires)):
        raise InvalidToken("This verification link is not valid.")
    if expires < (now or time.time()):
        raise InvalidToken("This verification link has expired; ask for a new one.", code="token_expired")


async def send_verification(settings: Settings, profile_id: int, email: str) -> None:
    """Mails the token; a mail server that is down does not fail the registration (the owner can ask again)."""
    token = make_token(settings.secret_key, profile_id, email)
    link = f"{settings.public_origin or ''}/verify-email?token={token}"
    text = f"Confirm your e-mail address for Showtime by opening this link:\n\n{link}\n\nIt works for 48 hours."
    try:
        await send_mail(settings, email, "Confirm your e-mail address", text, verify_token=token)
    except MailNotSent:
        logger.warning("verification mail for profile %s not sent; the owner can ask again", profile_id)
