"""Tickets' part of the app: a fan's tickets and the gate scanners' check."""

from __future__ import annotations

from backend.tickets.routes import TicketsController
from backend.wiring import Contribution, Services


def contribution(_: Services) -> Contribution:
    return Contribution(route_handlers=[TicketsController])
