"""The catalog's own Redis keys, under the show's hash tag; apart from the modules that use them so that a module
may name a key without importing the seat state (the organizer domain marks a cancellation, and may not import
backend.seats' scripts even indirectly)."""

from __future__ import annotations

from backend.infra.keyspace import show_tag


def detail_cache_key(show_id: int) -> str:
    """The show's cached detail JSON (detail.py)."""
    return f"{show_tag(show_id)}:detail"


def cancelled_key(show_id: int) -> str:
    """Present once the show was cancelled (cancellations.py)."""
    return f"{show_tag(show_id)}:cancelled"
