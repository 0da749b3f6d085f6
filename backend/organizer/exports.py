"""A show's orders, attendees and ledger as CSV, streamed in constant memory whatever the show's size.

Each export is an async generator of text: the header line, then one page of rows at a time read by keyset (`id >
last id ORDER BY id LIMIT PAGE`, an index walk, never OFFSET), written and handed to the response before the next
page is read. So memory holds one page, and the first bytes leave before the last row is read.

CSV injection: a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which
some read past) as a formula; such a cell is written with a leading `'`, which spreadsheets show as text (OWASP's
advice). A fan's name is the obvious carrier; the rule applies to every cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from backend.timeutil import rfc3339
from db.tables import Order, OrderItem, PaymentLedgerEntry, Ticket

PAGE = 500
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    text = rfc3339(value) if isinstance(value, datetime) else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _lines(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[safe_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue()


async def _pages(read: Callable[[int], Any], header: Sequence[str], line: Callable[[dict[str, Any]], Sequence[Any]],
                 key: str = "id") -> AsyncIterator[str]:
    """The header, then page after page: `read(after)` gives the rows whose `key` is above `after`, in its order."""
    yield _lines([header])
    after = 0
    while True:
        rows = await read(after)
        if not rows:
            return
        yield _lines([line(row) for row in rows])
        if len(rows) < PAGE:
            return
        after = rows[-1][key]


ORDER_HEADER = ("order_id", "status", "fan_email", "fan_name", "seats", "amount_cents", "refunded_cents",
                "currency", "refund_reason", "created_at", "paid_at")


def orders_csv(show_id: int) -> AsyncIterator[str]:
    """One line per order of the show, every status (the status column says which)."""
    async def read(after: int) -> list[dict[str, Any]]:
        rows = await Order.select(
            Order.id, Order.status, Order.profile.email, Order.profile.name,  # type: ignore[union-attr]
            Order.amount_cents, Order.refunded_cents, Order.currency, Order.refund_reason, Order.created_at,
            Order.paid_at,
        ).where((Order.show == show_id) & (Order.id > after)).order_by(Order.id).limit(PAGE)
        seats = await OrderItem.select(OrderItem.order, OrderItem.seat).where(
            OrderItem.order.is_in([row["id"] for row in rows])).order_by(OrderItem.seat) if rows else []
        by_order: dict[int, list[str]] = {}
        for item in seats:
            by_order.setdefault(item["order"], []).append(str(item["seat"]))
        for row in rows:
            row["seats"] = " ".join(by_order.get(row["id"], []))
        return rows

    return _pages(read, ORDER_HEADER, lambda row: (
        row["id"], row["status"], row["profile.email"], row["profile.name"], row["seats"], row["amount_cents"],
        row["refunded_cents"], row["currency"], row["refund_reason"], row["created_at"], row["paid_at"]))


ATTENDEE_HEADER = ("ticket_id", "order_id", "seat_id", "section", "row", "number", "price_cents", "currency",
                   "fan_email", "fan_name", "issued_at", "scanned_at", "scanned_gate")


def attendees_csv(show_id: int) -> AsyncIterator[str]:
    """One line per ticket that admits (paid, not refunded): who comes, and to which seat."""
    async def read(after: int) -> list[dict[str, Any]]:
        return await Ticket.select(
            Ticket.id, Ticket.order, Ticket.seat, Ticket.seat.section.name,  # type: ignore[union-attr]
            Ticket.seat.row, Ticket.seat.number, Ticket.price_cents, Ticket.currency, Ticket.profile.email,
            Ticket.profile.name, Ticket.issued_at, Ticket.scanned_at, Ticket.scanned_gate,
        ).where((Ticket.show == show_id) & (Ticket.id > after) & Ticket.revoked_at.is_null()
                & (Ticket.order.status == "paid")).order_by(Ticket.id).limit(PAGE)

    return _pages(read, ATTENDEE_HEADER, lambda row: (
        row["id"], row["order"], row["seat"], row["seat.section.name"], row["seat.row"], row["seat.number"],
        row["price_cents"], row["currency"], row["profile.email"], row["profile.name"], row["issued_at"],
        row["scanned_at"], row["scanned_gate"]))


LEDGER_HEADER = ("chain", "seq", "recorded_at", "kind", "order_id", "stripe_object_id", "amount_cents", "currency",
                 "status", "prev_hash", "entry_hash")


def ledger_csv(show_id: int) -> AsyncIterator[str]:
    """The show's ledger chain in order, with the hashes that chain it (`just verify-ledger` checks them):
    recorded_at exactly as hashed (microseconds, UTC), so the file alone lets anyone recompute the chain."""
    table = PaymentLedgerEntry

    async def read(after: int) -> list[dict[str, Any]]:
        # Keyset on seq, the chain's own order (UNIQUE (chain, seq)).
        return await table.select(
            table.chain, table.seq, table.recorded_at, table.kind, table.order_ref,
            table.stripe_object_id, table.amount_cents, table.currency, table.status, table.prev_hash,
            table.entry_hash,
        ).where((table.chain == show_id) & (table.seq > after)).order_by(table.seq).limit(PAGE)

    return _pages(read, LEDGER_HEADER, lambda row: (
        row["chain"], row["seq"], _ledger_time(row["recorded_at"]), row["kind"], row["order_ref"],
        row["stripe_object_id"], row["amount_cents"], row["currency"], row["status"], row["prev_hash"],
        row["entry_hash"]), key="seq")


def _ledger_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
