"""A gate device's token names the show it scans for: `gate.<show id>.<HMAC of the show id under SCANNER_TOKEN>`.

A gate scans for one show, so a ticket of another show must be `invalid` there however the device asks. A hand-held
device set up with its show's token sends the documented request (`POST /api/v1/tickets/verify {code}`) and the
show comes with its credentials; the operator's SCANNER_TOKEN, which names no show, must name one in the body.
Derived, not stored: nothing per show to keep, and rotating SCANNER_TOKEN revokes every show's token at once. A
leaked token lets its holder scan (and so use up) tickets of that one show only.

`python -m backend.tickets.gate_tokens SHOW_ID` (`just gate-token SHOW_ID`) prints a show's token.
"""

from __future__ import annotations

import hashlib
import hmac
import sys

from backend.ids import ascii_int
from backend.tickets.encoding import b64

PREFIX = "gate"


def gate_token(scanner_token: str, show_id: int) -> str:
    mac = hmac.new(scanner_token.encode(), f"showtime gate token\x00{show_id}".encode(), hashlib.sha256)
    return f"{PREFIX}.{show_id}.{b64(mac.digest())}"


def show_of_gate_token(scanner_token: str, token: str) -> int | None:
    """The show a genuine gate token names, else None."""
    prefix, _, rest = token.partition(".")
    show_text, _, _ = rest.partition(".")
    show_id = ascii_int(show_text)
    if prefix != PREFIX or show_id is None:
        return None
    return show_id if hmac.compare_digest(token.encode(), gate_token(scanner_token, show_id).encode()) else None


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    show_id = ascii_int(args[0]) if len(args) == 1 else None
    if show_id is None:
        raise SystemExit("usage: python -m backend.tickets.gate_tokens SHOW_ID")
    from backend.settings import get_settings

    print(gate_token(get_settings().scanner_token, show_id))


if __name__ == "__main__":
    main()
