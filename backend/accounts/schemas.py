from __future__ import annotations

from typing import Literal

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
    # "fan", or "scanner" for gate staff: the web app offers the scanner page to those.
    role: Literal["fan", "scanner"] = "fan"
