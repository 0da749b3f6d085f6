"""Unpadded base64url, the alphabet of every ticket code (static and rotating)."""

from __future__ import annotations

import base64
import re

MAX_ENCODED = 1024
# The decoder would skip any other character silently: '!!!' decodes to nothing instead of failing.
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    """Raises ValueError for anything but unpadded base64url of sane length."""
    if not text or len(text) > MAX_ENCODED or not _ALPHABET.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
