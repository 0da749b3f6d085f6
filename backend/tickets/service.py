"""Reading tickets and verifying them at the gate."""

from __future__ import annotations

from datetime import datetime

from backend.errors import Forbidden
from backend.tickets.codes import TicketClaim, public_key, read_ticket_code, sign_ticket
from backend.tickets.schemas import TicketOut, TicketSeat, TicketShow, TicketVenue, VerifyResult
from backend.timeutil import rfc3339, utcnow
from db.tables import Ticket

_COLUMNS = (
    Ticket.id, Ticket.order, Ticket.price_cents, Ticket.currency, Ticket.issued_at, Ticket.scanned_at,
    Ticket.show.id, Ticket.show.title, Ticket.show.starts_at,
    Ticket.show.venue.name, Ticket.show.venue.city,  # type: ignore[union-attr]
    Ticket.seat.id, Ticket.seat.section.name,  # type: ignore[union-attr]
    Ticket.seat.row, Ticket.seat.number, Ticket.order.status,
)


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
        (Ticket.profile == profile_id) & (Ticket.order.status == "paid")
    ).order_by(Ticket.show.starts_at).order_by(Ticket.id)
    return [_ticket_out(secret_key, row) for row in rows]


async def tickets_of_order(secret_key: str, order_id: int) -> list[TicketOut]:
    rows = await Ticket.select(*_COLUMNS).where(Ticket.order == order_id).order_by(Ticket.id)
    return [_ticket_out(secret_key, row) for row in rows]


async def verify(secret_key: str, code: str, now: datetime | None = None) -> VerifyResult:
    claim = read_ticket_code(public_key(secret_key), code)
    if claim is None:
        return VerifyResult(result="invalid", ticket=None, scanned_at=None)
    row = await Ticket.select(*_COLUMNS).where(
        (Ticket.id == claim.ticket_id) & (Ticket.show == claim.show_id) & (Ticket.seat == claim.seat_id)
    ).first()
    if row is None or row["order.status"] != "paid":
        return VerifyResult(result="invalid", ticket=None, scanned_at=None)
    ticket = _ticket_out(secret_key, row)
    if row["scanned_at"] is not None:
        return VerifyResult(result="already_scanned", ticket=ticket, scanned_at=rfc3339(row["scanned_at"]))
    scanned_at = now or utcnow()
    # Only the first scan flips scanned_at; a racing second scan updates nothing and reads the first's time.
    updated = await Ticket.update({Ticket.scanned_at: scanned_at}).where(
        (Ticket.id == claim.ticket_id) & Ticket.scanned_at.is_null()
    ).returning(Ticket.id)
    if not updated:
        first = await Ticket.select(Ticket.scanned_at).where(Ticket.id == claim.ticket_id).first()
        scanned = first["scanned_at"] if first else scanned_at
        return VerifyResult(result="already_scanned", ticket=ticket, scanned_at=rfc3339(scanned))
    return VerifyResult(result="valid", ticket=ticket, scanned_at=rfc3339(scanned_at))


