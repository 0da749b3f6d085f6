"""A show's exports (API.md, "Organizers"): orders and attendees as CSV, and the ledger with its chain hashes (an
extension), streamed page by page; a fan's formula of a name arrives as text."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta

import httpx

from backend.organizer.exports import ATTENDEE_HEADER, LEDGER_HEADER, ORDER_HEADER, PAGE
from backend.payments.ledger import GENESIS_HASH, LedgerEntry, canonical_bytes, chain_hash
from backend.timeutil import utcnow
from db.tables import Order, Profile
from tests.conftest import STRONG_PASSWORD, unique_email
from tests.organizer.support import show_of
from tests.payments.helpers import hold_and_checkout
from tests.tickets.devices import buy

FORMULA_NAME = "=HYPERLINK(\"http://evil.example\",\"x\")"


async def export(organizer: httpx.AsyncClient, show_id: int, name: str) -> tuple[httpx.Response, list[list[str]]]:
    async with organizer.stream("GET", f"/api/v1/organizer/shows/{show_id}/{name}.csv") as response:
        body = (await response.aread()).decode("utf-8")
    return response, list(csv.reader(io.StringIO(body)))


async def test_orders_attendees_and_ledger(server, make_organizer) -> None:
    organizer = await make_organizer()
    show = await show_of(organizer, rows=1, seats_per_row=6)
    fan = httpx.AsyncClient(base_url=server.url, timeout=30)
    registered = await fan.post("/api/v1/auth/register", json={"email": unique_email(), "password": STRONG_PASSWORD,
                                                                "name": FORMULA_NAME})
    assert registered.status_code == 201, registered.text
    tickets = await buy(server, fan, show.id, show.rows["Front/A"][:2])
    refunded = await organizer.post(f"/api/v1/organizer/orders/{tickets[0]['order_id']}/refund",
                                    json={"seat_ids": [tickets[0]["seat"]["id"]], "reason": "@SUM(1+1)"})
    assert refunded.status_code == 200, refunded.text
    pending = await hold_and_checkout(fan, show.id, show.rows["Front/A"][4:5])
    await fan.aclose()

    response, rows = await export(organizer, show.id, "orders")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "content-length" not in response.headers  # streamed
    assert rows[0] == list(ORDER_HEADER)
    by_id = {row[0]: dict(zip(ORDER_HEADER, row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {tickets[0]["order_id"], pending["order_id"]}
    paid = by_id[tickets[0]["order_id"]]
    assert (paid["status"], paid["fan_name"], paid["refunded_cents"]) == ("paid", f"'{FORMULA_NAME}",
                                                                          str(tickets[0]["price_cents"]))
    assert paid["seats"].split() == sorted(t["seat"]["id"] for t in tickets)
    assert by_id[pending["order_id"]]["status"] == "pending_payment"

    _, rows = await export(organizer, show.id, "attendees")
    assert rows[0] == list(ATTENDEE_HEADER)
    assert [(row[0], row[2], row[8][:1]) for row in rows[1:]] == [
        (tickets[1]["ticket_id"], tickets[1]["seat"]["id"], "f")]
    assert rows[1][9] == f"'{FORMULA_NAME}"

    _, rows = await export(organizer, show.id, "ledger")
    assert rows[0] == list(LEDGER_HEADER)
    assert [row[3] for row in rows[1:]] == ["payment", "refund"]
    # The chain checks from the file alone.
    prev = GENESIS_HASH
    for row in rows[1:]:
        cells = dict(zip(LEDGER_HEADER, row, strict=True))
        entry = LedgerEntry(kind=cells["kind"], order_ref=int(cells["order_id"]),
                            stripe_object_id=cells["stripe_object_id"], amount_cents=int(cells["amount_cents"]),
                            currency=cells["currency"], status=cells["status"], chain=int(cells["chain"]))
        recorded_at = datetime.strptime(cells["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert cells["prev_hash"] == prev
        canonical = canonical_bytes(entry.chain, int(cells["seq"]), recorded_at, entry, prev)
        assert chain_hash(prev, canonical) == cells["entry_hash"]
        prev = cells["entry_hash"]

    stranger = await make_organizer()
    for name in ("orders", "attendees", "ledger"):
        answer = await stranger.get(f"/api/v1/organizer/shows/{show.id}/{name}.csv")
        assert (answer.status_code, answer.json()["error"]) == (404, "show_not_found")


async def test_an_export_larger_than_a_page_is_every_order_once(server, make_organizer) -> None:
    organizer = await make_organizer()
    show = await show_of(organizer, rows=1, seats_per_row=2)
    profile = (await Profile.insert(Profile(email=f"many-{secrets.token_hex(6)}@example.com", name="-1+1",
                                            password_hash="!")).returning(Profile.id))[0]["id"]
    count = 2 * PAGE + 7
    await Order.insert(*(Order(profile=profile, show=show.id, hold_id=f"many-{show.id}-{i}-{secrets.token_hex(4)}",
                               status="expired", amount_cents=100, currency="EUR",
                               expires_at=utcnow() - timedelta(minutes=1)) for i in range(count)))
    _, rows = await export(organizer, show.id, "orders")
    ids = [row[0] for row in rows[1:]]
    assert len(ids) == count and len(set(ids)) == count and ids == sorted(ids, key=int)
    assert {row[3] for row in rows[1:]} == {"'-1+1"}
