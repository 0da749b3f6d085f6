"""Accounts' part of the app: registration and sign-in (sessions and the sign-in rate limit are the core's)."""

from __future__ import annotations

from backend.accounts.routes import AuthController
from backend.wiring import Contribution, Services


def contribution(_: Services) -> Contribution:
    return Contribution(route_handlers=[AuthController])
