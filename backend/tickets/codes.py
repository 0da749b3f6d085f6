"""Ticket codes: a payload naming ticket, show and seat, signed with Ed25519.

A gate scanner holding only the public key can tell a real ticket from a forged or altered one offline; the verify
endpoint adds the one thing a signature cannot know: whether the ticket was already scanned or refunded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from backend.tickets.encoding import b64, unb64

PREFIX = "TKT1"


@dataclass(frozen=True)
class TicketClaim:
    ticket_id: int
    show_id: int
    seat_id: int


@lru_cache(maxsize=4)
def signing_key(secret_key: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(b"showtime ticket signing key\x00" + secret_key.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(secret_key: str) -> Ed25519PublicKey:
    return signing_key(secret_key).public_key()


def sign_ticket(secret_key: str, claim: TicketClaim) -> str:
    payload = msgspec.json.encode([claim.ticket_id, claim.show_id, claim.seat_id])
    signature = signing_key(secret_key).sign(PREFIX.encode() + payload)
    return f"{PREFIX}.{b64(payload)}.{b64(signature)}"


def read_ticket_code(key: Ed25519PublicKey, code: str) -> TicketClaim | None:
    """The claim in a code whose signature holds, else None (forged, altered, truncated or garbage)."""
    try:
        prefix, payload_b64, signature_b64 = code.strip().split(".")
        if prefix != PREFIX or len(code) > 512:
            return None
        payload = unb64(payload_b64)
        key.verify(unb64(signature_b64), PREFIX.encode() + payload)
        ticket_id, show_id, seat_id = msgspec.json.decode(payload, type=tuple[int, int, int])
        return TicketClaim(ticket_id, show_id, seat_id)
    except (ValueError, InvalidSignature, msgspec.DecodeError, TypeError):
        return None
