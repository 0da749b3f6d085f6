"""Reading tickets and verifying them at the gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend.errors import Forbidden
from backend.tickets import rotating
from backend.tickets.codes import TicketClaim, public_key, read_ticket_code, sign_ticket
from backend.tickets.rotating import Verdict
from backend.tickets.schemas import (
    CodeKind,
    InvalidReason,
    TicketOut,
    TicketSeat,
    TicketShow,
    TicketVenue,
    VerifyResult,
)
from backend.timeutil import rfc3339, utcnow
from db.tables import Ticket

_COLUMNS = (
    Ticket.id, Ticket.order, Ticket.price_cents, Ticket.currency, Ticket.issued_at, Ticket.scanned_at,
    Ticket.show.id, Ticket.show.title, Ticket.show.starts_at,
    Ticket.show.venue.name, Ticket.show.venue.city,  # type: ignore[union-attr]
    Ticket.seat.id, Ticket.seat.section.name,  # type: ignore[union-attr]
    Ticket.seat.row, Ticket.seat.number, Ticket.order.status, Ticket.scanned_gate, Ticket.code_serial,
    Ticket.revoked_at,
)
# The static code (TKT1) is certificate serial 0: valid until the ticket is bound to a device.
STATIC_SERIAL = 0


def invalid(reason: InvalidReason) -> VerifyResult:
    return VerifyResult(result="invalid", ticket=None, scanned_at=None, reason=reason)


def _ticket_out(secret_key: str, row: dict) -> TicketOut:
    code = sign_ticket(secret_key, TicketClaim(row["id"], row["show.id"], row["seat.id"]))
    return TicketOut(
        ticket_id=str(row["id"]),
        order_id=str(row["order"]),
        show=TicketShow(
            id=str(row["show.id"]), title=row["show.title"], starts_at=rfc3339(row["show.starts_at"]),
            venue=TicketVenue(name=row["show.venue.name"], city=row["show.venue.city"]),
        ),
        seat=TicketSeat(id=str(row["seat.id"]), section=row["seat.section.name"], row=row["seat.row"],
                        number=row["seat.number"]),
        price_cents=row["price_cents"],
        currency=row["currency"],
        issued_at=rfc3339(row["issued_at"]),
        code=code,
    )


def resolve_profile(path_value: str, caller: int) -> int:
    if path_value == "me" or path_value == str(caller):
        return caller
    raise Forbidden("These are another profile's tickets.", code="not_your_tickets")


async def tickets_of_profile(secret_key: str, profile_id: int) -> list[TicketOut]:
    rows = await Ticket.select(*_COLUMNS).where(
        (Ticket.profile == profile_id) & (Ticket.order.status == "paid") & Ticket.revoked_at.is_null()
    ).order_by(Ticket.show.starts_at).order_by(Ticket.id)
    return [_ticket_out(secret_key, row) for row in rows]


async def tickets_of_order(secret_key: str, order_id: int) -> list[TicketOut]:
    """The order's tickets that still admit: a refunded seat's ticket is gone from the fan's order."""
    rows = await Ticket.select(*_COLUMNS).where(
        (Ticket.order == order_id) & Ticket.revoked_at.is_null()).order_by(Ticket.id)
    return [_ticket_out(secret_key, row) for row in rows]


@dataclass(frozen=True)
class CodeCheck:
    """What the signatures alone say about a code: which ticket, which certificate serial, and the verdict."""

    kind: CodeKind
    claim: TicketClaim
    serial: int
    verdict: Verdict


def check_code(secret_key: str, code: str, now: float) -> CodeCheck | None:
    """Signatures, validity window and time step; None when the code is not genuine at all."""
    if code.startswith(rotating.PREFIX):
        show_id = rotating.claimed_show(code)
        key = None if show_id is None else Ed25519PublicKey.from_public_bytes(
            rotating.show_public_key(secret_key, show_id))
        read = rotating.read_rotating_code(key, code, now)
        if read is None:
            return None
        cert = read.certificate
        return CodeCheck("rotating", TicketClaim(cert.ticket_id, cert.show_id, cert.seat_id), cert.serial,
                         read.verdict)
    claim = read_ticket_code(public_key(secret_key), code)
    return None if claim is None else CodeCheck("static", claim, STATIC_SERIAL, Verdict.VALID)


async def verify(secret_key: str, code: str, *, show_id: int | None, gate: str | None = None,
                 at: datetime | None = None) -> VerifyResult:
    """The authority on a code: genuine, for the show this gate scans for, not revoked, paid, in its time step,
    and the first scan. `show_id` None is the operator's SCANNER_TOKEN asking about any show's ticket, as API.md's
    verify contract has it; every gate (a show's gate token, a scanner account) names its show."""
    scanned_at = at or utcnow()
    check = check_code(secret_key, code, scanned_at.timestamp())
    if check is None or check.verdict is Verdict.INVALID:
        return invalid("not_genuine")
    if show_id is not None and check.claim.show_id != show_id:
        return invalid("other_show")
    claim = check.claim
    row = await Ticket.select(*_COLUMNS).where(
        (Ticket.id == claim.ticket_id) & (Ticket.show == claim.show_id) & (Ticket.seat == claim.seat_id)
    ).first()
    if row is None:
        return invalid("unknown_ticket")
    if row["revoked_at"] is not None:  # its seat was refunded (the order may still be paid for its others)
        return invalid("refunded")
    if row["order.status"] != "paid":
        return invalid("refunded" if row["order.status"] == "refunded" else "not_paid")
    # A serial other than the ticket's current one is a revoked certificate (the ticket moved to another device,
    # or the static code of a ticket bound to a device).
    if row["code_serial"] != check.serial:
        return invalid("revoked")
    ticket = _ticket_out(secret_key, row)
    if check.verdict is Verdict.EXPIRED:
        return VerifyResult(result="expired", ticket=ticket, scanned_at=None, kind=check.kind)
    if row["scanned_at"] is not None:
        return VerifyResult(result="already_scanned", ticket=ticket, scanned_at=rfc3339(row["scanned_at"]),
                            kind=check.kind, scanned_gate=row["scanned_gate"])
    # Only the first scan flips scanned_at; a racing second scan updates nothing and reads the first's time.
    updated = await Ticket.update({Ticket.scanned_at: scanned_at, Ticket.scanned_gate: gate}).where(
        (Ticket.id == claim.ticket_id) & Ticket.scanned_at.is_null()
    ).returning(Ticket.id)
    if not updated:
        first = await Ticket.select(Ticket.scanned_at, Ticket.scanned_gate).where(
            Ticket.id == claim.ticket_id).first()
        return VerifyResult(result="already_scanned", ticket=ticket,
                            scanned_at=rfc3339(first["scanned_at"] if first else scanned_at), kind=check.kind,
                            scanned_gate=first["scanned_gate"] if first else None)
    return VerifyResult(result="valid", ticket=ticket, scanned_at=rfc3339(scanned_at), kind=check.kind,
                        scanned_gate=gate)
