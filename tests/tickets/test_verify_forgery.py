"""The verify endpoint against forgery, aimed at a real, paid, unscanned ticket (so a build that skipped a check
would answer `valid`): an altered payload, a code signed with another key, an unsigned code, another ticket's
signature; the scanner token missing, wrong or without its scheme; and gates scanning one code at once (exactly one
`valid`)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import msgspec

from backend.settings import get_settings
from backend.tickets.codes import PREFIX, TicketClaim, public_key, read_ticket_code, sign_ticket
from backend.tickets.encoding import b64, unb64
from backend.tickets.service import verify
from backend.timeutil import utcnow
from tests.conftest import ENV
from tests.payments.helpers import Standin, hold_and_checkout, order_status_becomes
from tests.support.data import create_show
from tests.tickets.devices import gate


async def _paid_tickets(server, fan: httpx.AsyncClient, seats: int) -> list[dict]:
    show = await create_show()
    order = await hold_and_checkout(fan, show.id, show.rows["Front/A"][:seats])
    await Standin(server).pay(order["payment"]["client_secret"])
    return (await order_status_becomes(fan, order["order_id"], "paid"))["tickets"]


async def _verify(server, code: str, show_id: int | str, headers: dict[str, str] | None = None) -> httpx.Response:
    """The documented request (the code alone) from a gate device set up for the show (its gate token)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as device:
        return await device.post("/api/v1/tickets/verify", json={"code": code},
                                 headers=gate(show_id) if headers is None else headers)


def _claim(ticket: dict) -> TicketClaim:
    return TicketClaim(int(ticket["ticket_id"]), int(ticket["show"]["id"]), int(ticket["seat"]["id"]))


async def test_forged_codes_for_a_real_ticket_are_invalid(server, fan) -> None:
    first, target = await _paid_tickets(server, fan, 2)
    real_key = (ENV.var_dir / "secret_key").read_text().strip()
    claim = _claim(target)
    payload = msgspec.json.encode([claim.ticket_id, claim.show_id, claim.seat_id])
    _, first_payload, first_signature = first["code"].split(".")
    genuine_payload_b64, genuine_signature = target["code"].split(".")[1:]
    assert unb64(genuine_payload_b64) == payload  # the forgeries below name exactly this ticket
    forgeries = {
        "signed with another key": sign_ticket("an attacker's key " + "x" * 40, claim),
        "unsigned": f"{PREFIX}.{b64(payload)}.",
        "another ticket's signature": f"{PREFIX}.{b64(payload)}.{first_signature}",
        "altered payload": f"{PREFIX}.{first_payload[:-2]}{'AA' if first_payload[-2:] != 'AA' else 'AB'}"
                           f".{first_signature}",
        "payload of another ticket, this signature": f"{PREFIX}.{first_payload}.{genuine_signature}",
        "truncated signature": f"{PREFIX}.{genuine_payload_b64}.{genuine_signature[:-4]}",
        "another prefix": f"TKT0.{genuine_payload_b64}.{genuine_signature}",
        "real key, unknown ticket": sign_ticket(real_key, TicketClaim(claim.ticket_id + 10**9, claim.show_id,
                                                                       claim.seat_id)),
        "real key, another seat": sign_ticket(real_key, TicketClaim(claim.ticket_id, claim.show_id,
                                                                     claim.seat_id + 1)),
    }
    for name, code in forgeries.items():
        response = await _verify(server, code, claim.show_id)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["result"] == "invalid" and response.json()["ticket"] is None, name
    # None of those consumed the ticket: its genuine code is still valid once.
    assert (await _verify(server, target["code"], claim.show_id)).json()["result"] == "valid"


async def test_the_scanner_token_is_required(server, fan) -> None:
    [ticket] = await _paid_tickets(server, fan, 1)
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "dev-scanner-token"},
                    {"Authorization": "Basic dev-scanner-token"}):
        response = await _verify(server, ticket["code"], ticket["show"]["id"], headers)
        assert response.status_code == 401 and response.json()["error"] == "scanner_token_required", headers
    # The fan's own session is no scanner either.
    response = await fan.post("/api/v1/tickets/verify", json={"code": ticket["code"]})
    assert response.status_code in (401, 403), response.text
    assert (await _verify(server, ticket["code"], ticket["show"]["id"])).json()["result"] == "valid"


async def test_gates_scanning_one_code_at_once_let_exactly_one_in(server, fan) -> None:
    [ticket] = await _paid_tickets(server, fan, 1)
    answers = await asyncio.gather(*(_verify(server, ticket["code"], ticket["show"]["id"]) for _ in range(12)))
    results = sorted(answer.json()["result"] for answer in answers)
    assert results == ["already_scanned"] * 11 + ["valid"], results
    firsts = {answer.json()["scanned_at"] for answer in answers}
    assert len(firsts) == 1, firsts  # every gate is told the one first scan's time


async def test_scans_racing_past_the_first_look_are_told_the_first_scan_s_time_and_gate(server, fan) -> None:
    """In-process, so each scan names its own time: scans that all found the ticket unscanned race to flip it; the
    one that loses is told the winner's time and gate, not its own."""
    [ticket] = await _paid_tickets(server, fan, 1)
    start = utcnow().replace(microsecond=0)
    scans = await asyncio.gather(*(
        verify(get_settings().secret_key, ticket["code"], show_id=int(ticket["show"]["id"]), gate=f"Gate {k}",
               at=start + timedelta(minutes=k)) for k in range(8)))
    [first] = [scan for scan in scans if scan.result == "valid"]
    assert [(scan.scanned_at, scan.scanned_gate) for scan in scans if scan.result == "already_scanned"] == [
        (first.scanned_at, first.scanned_gate)] * 7


def test_a_code_is_read_up_to_512_characters_as_sent_and_refused_past_them() -> None:
    """The length bound counts what was sent, padding included, so a scanner's garbage is cut short before any
    decoding: a genuine code padded to 512 characters reads, one character more does not."""
    secret = "length-bound"
    key = public_key(secret)
    claim = TicketClaim(7, 8, 9)
    code = sign_ticket(secret, claim)
    assert read_ticket_code(key, code.ljust(512)) == claim
    assert read_ticket_code(key, code.ljust(513)) is None
    assert read_ticket_code(key, " " + code) == claim
