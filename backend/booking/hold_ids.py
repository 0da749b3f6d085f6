"""Hold ids: opaque to clients, but they carry the show id, so a hold's keys can be found from its id.

`h<show_id>_<random>`; the random part is 96 bits from the OS, so ids cannot be guessed from one another.
"""

from __future__ import annotations

import re
import secrets

_HOLD_ID = re.compile(r"h([1-9][0-9]{0,17})_[A-Za-z0-9_-]{16}")


def new_hold_id(show_id: int) -> str:
    return f"h{show_id}_{secrets.token_urlsafe(12)}"


def show_of_hold(hold_id: str) -> int | None:
    """The show a hold id belongs to, or None when the text is not a hold id this service issues."""
    match = _HOLD_ID.fullmatch(hold_id)
    return int(match.group(1)) if match else None
