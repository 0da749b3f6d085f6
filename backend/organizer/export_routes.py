"""A show's exports over HTTP (API.md, "Organizers"): `text/csv; charset=utf-8`, streamed (exports.py reads page by
page as the response is sent), one header line. Under the organizer router and its guard; another organization's
show is 404 before a byte is sent. `ledger.csv` is an extension of API.md: the show's ledger chain with its hashes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from litestar import Controller, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Stream

from backend.organizer import exports
from backend.organizer.guard import Organizer
from backend.organizer.ownership import organization_show

# Litestar adds `; charset=utf-8` to a text type (the response's default encoding), as API.md asks.
CSV = "text/csv"


def _csv_spec(what: str) -> dict[int, ResponseSpec]:
    return {200: ResponseSpec(data_container=str, media_type=CSV, generate_examples=False, description=what)}


async def _stream(organizer: Organizer, raw_show_id: str, name: str,
                  rows: Callable[[int], AsyncIterator[str]]) -> Stream:
    show_id = await organization_show(organizer, raw_show_id)
    return Stream(rows(show_id), media_type=CSV, headers={
        "Content-Disposition": f'attachment; filename="show-{show_id}-{name}.csv"', "Cache-Control": "no-store"})


class OrganizerExportsController(Controller):
    path = "/shows"
    tags = ["organizer"]

    @get("/{show_id:str}/orders.csv", operation_id="exportShowOrders",
         responses=_csv_spec("One line per order of the show, every status"))
    async def orders(self, organizer: Organizer, show_id: str) -> Stream:
        """The show's orders as CSV (order, status, fan, seats, amounts, times), streamed whatever their number."""
        return await _stream(organizer, show_id, "orders", exports.orders_csv)

    @get("/{show_id:str}/attendees.csv", operation_id="exportShowAttendees",
         responses=_csv_spec("One line per ticket that admits"))
    async def attendees(self, organizer: Organizer, show_id: str) -> Stream:
        """The show's attendees as CSV: one line per ticket that admits (paid, not refunded), with its seat."""
        return await _stream(organizer, show_id, "attendees", exports.attendees_csv)

    @get("/{show_id:str}/ledger.csv", operation_id="exportShowLedger",
         responses=_csv_spec("The show's ledger chain, in order, with its hashes"))
    async def ledger(self, organizer: Organizer, show_id: str) -> Stream:
        """The show's payments ledger as CSV with each row's prev_hash and entry_hash, so the chain can be checked
        from the file (an extension of API.md)."""
        return await _stream(organizer, show_id, "ledger", exports.ledger_csv)
