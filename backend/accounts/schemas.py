from __future__ import annotations

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
