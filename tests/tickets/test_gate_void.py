"""A refunded order's tickets are void everywhere a gate looks: the bundle offline gates download lists them
`void: true` (whether or not they were ever bound to a device), the online check answers `invalid` with the reason
`refunded`, and so do uploaded scans. The browser's verifier honours the flag (frontend/test/gate.test.ts, and the
offline table in e2e/test_gate.py).

Here the paid order's status is moved with the ORM, to judge the gate's reading of a refunded order alone; the
organizer's refund (tests/organizer/test_refunds.py) checks the same answers for seats refunded through the API,
where the order may stay `paid` for its other seats."""

from __future__ import annotations

import secrets
import time

import httpx

from db.tables import Order
from tests.support.data import create_show
from tests.tickets.devices import SCANNER, Device, buy, gate


async def refund(order_id: str) -> None:
    await Order.update({Order.status: "refunded"}).where(Order.id == int(order_id))


async def test_the_bundle_marks_a_refunded_orders_tickets_void(server, fan, make_fan) -> None:
    show = await create_show(rows=1, seats_per_row=6)
    kept = await buy(server, fan, show.id, show.rows["Front/A"][:2])
    refunded = await buy(server, await make_fan(), show.id, show.rows["Front/A"][2:5])
    device = Device()
    await device.certificate(fan, kept[0]["ticket_id"])
    await refund(refunded[0]["order_id"])
    async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=SCANNER) as scanner:
        bundle = (await scanner.get(f"/api/v1/shows/{show.id}/gate")).json()
    revocations = {r["ticket_id"]: r for r in bundle["revocations"]}
    for ticket in refunded:
        assert revocations[ticket["ticket_id"]] == {"ticket_id": ticket["ticket_id"], "min_serial": 0, "void": True}
    # A paid ticket is listed only when its codes changed (bound to a device), and never void.
    assert revocations[kept[0]["ticket_id"]] == {"ticket_id": kept[0]["ticket_id"], "min_serial": 1, "void": False}
    assert kept[1]["ticket_id"] not in revocations


async def test_a_refunded_ticket_is_invalid_online_and_in_uploads(server, anon, fan) -> None:
    show = await create_show(rows=1, seats_per_row=4)
    tickets = await buy(server, fan, show.id, show.rows["Front/A"][:2])
    device = Device()
    certificate = await device.certificate(fan, tickets[0]["ticket_id"])
    await refund(tickets[0]["order_id"])
    for code in (device.code(certificate), tickets[1]["code"]):
        answer = (await anon.post("/api/v1/tickets/verify", json={"code": code}, headers=gate(show.id))).json()
        assert (answer["result"], answer["reason"]) == ("invalid", "refunded"), answer
    upload = await anon.post("/api/v1/gate/scans", headers=SCANNER, json={
        "show_id": str(show.id), "gate": "North",
        "scans": [{"scan_id": secrets.token_hex(8), "code": tickets[1]["code"],
                   "scanned_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]})
    assert [(i["result"], i["reason"]) for i in upload.json()["items"]] == [("invalid", "refunded")]
