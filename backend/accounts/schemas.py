from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class RegisterBody(msgspec.Struct, forbid_unknown_fields=False):
    email: str
    password: str
    name: str


class LoginBody(msgspec.Struct):
    email: str
    password: str


class ProfileOut(msgspec.Struct):
    profile_id: str
    email: str
    name: str
    # "fan", "scanner" for gate staff (the web app offers them the scanner page), or "organizer" for an
    # organization's staff (the organizer API, backend/organizer).
    role: Literal["fan", "scanner", "organizer"] = "fan"
    # True once the owner confirmed the address with the mailed token (backend/accounts/verification.py).
    email_verified: bool = False


class VerifyEmailBody(msgspec.Struct):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class MailSent(msgspec.Struct):
    sent: bool
