"""Unpadded base64url, the alphabet of every ticket code (static and rotating)."""

from __future__ import annotations

import base64

MAX_ENCODED = 1024


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    """Raises ValueError for anything but unpadded base64url of sane length."""
    if not text or len(text) > MAX_ENCODED or "=" in text:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
