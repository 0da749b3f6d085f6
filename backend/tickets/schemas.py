from __future__ import annotations

import msgspec


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
    code: str


class VerifyResult(msgspec.Struct):
    result: str
    ticket: TicketOut | None
    scanned_at: str | None
