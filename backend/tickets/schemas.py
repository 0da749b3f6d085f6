from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

CodeKind = Literal["rotating", "static"]
GateName = Annotated[str, Meta(min_length=1, max_length=60)]
Code = Annotated[str, Meta(max_length=1024)]


class TicketVenue(msgspec.Struct):
    name: str
    city: str


class TicketShow(msgspec.Struct):
    id: str
    title: str
    starts_at: str
    venue: TicketVenue


class TicketSeat(msgspec.Struct):
    id: str
    section: str
    row: str
    number: int


class TicketOut(msgspec.Struct):
    ticket_id: str
    order_id: str
    show: TicketShow
    seat: TicketSeat
    price_cents: int
    currency: str
    issued_at: str
    code: str


class TicketList(msgspec.Struct):
    items: list[TicketOut]


class VerifyBody(msgspec.Struct):
    code: Code
    # The show this gate scans for: required unless the scanner's gate token names it (then it must match), so
    # another show's genuine ticket is `invalid` here.
    show_id: str | None = None
    gate: GateName | None = None


# Why a code is `invalid`: not a code this server signed (forged, altered, wrong device, outside its certificate's
# window), a genuine ticket of another show, one that does not exist, a refunded (or otherwise unpaid) order's, or
# a code the ticket's move to another device revoked.
InvalidReason = Literal["not_genuine", "other_show", "unknown_ticket", "refunded", "not_paid", "revoked"]


class VerifyResult(msgspec.Struct):
    """`scanned_at`/`scanned_gate` are the FIRST scan's (for `valid`, this one's). `kind` is null for `invalid`,
    `reason` null for every other result."""

    result: Literal["valid", "already_scanned", "invalid", "expired"]
    ticket: TicketOut | None
    scanned_at: str | None
    kind: CodeKind | None = None
    scanned_gate: str | None = None
    reason: InvalidReason | None = None


class DeviceBody(msgspec.Struct):
    """A device's public key: Ed25519 raw 32 bytes, or ES256 (P-256) uncompressed 65 bytes, base64url."""

    alg: Literal["Ed25519", "ES256"]
    public_key: Annotated[str, Meta(min_length=40, max_length=100, pattern="^[A-Za-z0-9_-]+$")]
    # A ticket already on another device moves only when asked to; moving revokes the other device's codes.
    move: bool = False


class DeviceCertificate(msgspec.Struct):
    ticket_id: str
    certificate: str
    serial: int
    step_seconds: int
    not_after: str
    # The page steps by the server's clock rather than the phone's, which may be minutes off.
    server_time_ms: int


class GateKey(msgspec.Struct):
    kid: str
    use: Literal["rotating", "static"]
    alg: Literal["Ed25519"]
    public_key: str


class Revocation(msgspec.Struct):
    """Codes of this ticket with a serial below `min_serial` are revoked (0 is the static code); `void`: the ticket
    itself is (refunded). A serial above it is a binding newer than the list, and passes offline."""

    ticket_id: str
    min_serial: int
    void: bool = False


class GateBundle(msgspec.Struct):
    """All a scanner needs to verify one show's codes offline."""

    show_id: str
    title: str
    starts_at: str
    venue: TicketVenue
    step_seconds: int
    step_tolerance: int
    generated_at: str
    keys: list[GateKey]
    revocations: list[Revocation]


class ScanIn(msgspec.Struct):
    # Names one scan: one ticket at one gate. Uploading it again gets the stored answer; with another ticket (or
    # gate, or show) the whole upload is refused, 409 scan_id_reused, before any of its scans is judged.
    scan_id: Annotated[str, Meta(min_length=8, max_length=64, pattern="^[A-Za-z0-9_-]+$")]
    code: Code
    scanned_at: Annotated[str, Meta(max_length=40)]


class ScanUpload(msgspec.Struct):
    show_id: str
    gate: GateName
    scans: Annotated[list[ScanIn], Meta(min_length=1, max_length=200)]


class ScanOutcome(msgspec.Struct):
    """The server's verdict on one uploaded scan; `duplicate` is true when another gate (or scan) got in first."""

    scan_id: str
    result: Literal["valid", "already_scanned", "invalid", "expired"]
    kind: CodeKind | None
    ticket_id: str | None
    scanned_at: str | None
    scanned_gate: str | None
    duplicate: bool
    reason: InvalidReason | None = None


class ScanOutcomes(msgspec.Struct):
    items: list[ScanOutcome]
