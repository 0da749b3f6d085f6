"""A gate scans for one show, and a scan id names one scan.

- The show is part of every gate's verification: a device's gate token names it (and API.md's request, the code
  alone, works unchanged with it), a scanner account's request must; a genuine ticket of another show is `invalid`,
  reason `other_show`. Leaving the show out used to verify another show's ticket `valid` at any gate. The operator's
  SCANNER_TOKEN is no gate: API.md lets it verify any show's ticket with the code alone.
- A scan id uploaded again gets its stored answer; reused for another ticket (or gate, or show) the upload is
  refused, 409 scan_id_reused, before any of its scans is judged: it used to return the other ticket's stored answer
  and never judge the new scan, which could hide a duplicate."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from backend.settings import get_settings
from backend.tickets import gate as gate_scans
from backend.tickets.gate_tokens import gate_token, show_of_gate_token
from backend.tickets.schemas import ScanIn, ScanUpload
from tests.support.data import create_show
from tests.tickets.devices import SCANNER, SCANNER_TOKEN, Device, buy, gate
from tests.tickets.test_rotating_codes import signed_in_scanner


@pytest.fixture
async def two_shows(server, fan) -> tuple[object, object, list[dict], list[dict]]:
    here, there = await create_show(rows=1, seats_per_row=4), await create_show(rows=1, seats_per_row=4)
    return (here, there, await buy(server, fan, here.id, here.rows["Front/A"][:3]),
            await buy(server, fan, there.id, there.rows["Front/A"][:3]))


async def _verify(client: httpx.AsyncClient, body: dict, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/api/v1/tickets/verify", json=body, headers=headers)


def test_gate_tokens_name_their_show_and_nothing_else() -> None:
    token = gate_token(SCANNER_TOKEN, 42)
    assert show_of_gate_token(SCANNER_TOKEN, token) == 42
    assert show_of_gate_token("another scanner token", token) is None
    for forged in (token.replace("gate.42.", "gate.43."), token[:-1], token + "A", "gate.42.", "gate..x", "42",
                   token.replace("gate.", "gate.\u0664")):
        assert show_of_gate_token(SCANNER_TOKEN, forged) is None, forged


async def test_another_shows_ticket_is_invalid_at_this_gate_however_it_asks(anon, two_shows) -> None:
    here, there, _, theirs = two_shows
    code = theirs[0]["code"]
    # The documented request (the code alone) from a device set up for this show.
    answer = (await _verify(anon, {"code": code}, gate(here.id))).json()
    assert (answer["result"], answer["reason"], answer["ticket"]) == ("invalid", "other_show", None)
    # The operator's token naming this show: the same.
    named = (await _verify(anon, {"code": code, "show_id": str(here.id)}, SCANNER)).json()
    assert (named["result"], named["reason"]) == ("invalid", "other_show")
    # A device of this show cannot ask about another one.
    other = await _verify(anon, {"code": code, "show_id": str(there.id)}, gate(here.id))
    assert other.status_code == 403 and other.json()["error"] == "wrong_show", other.text
    # None of that used the ticket up: at its own show's gate it is valid, once.
    assert (await _verify(anon, {"code": code}, gate(there.id))).json()["result"] == "valid"
    assert (await _verify(anon, {"code": code}, gate(there.id))).json()["result"] == "already_scanned"


async def test_the_operator_token_verifies_any_shows_ticket_as_api_md_documents(anon, two_shows) -> None:
    """API.md's request: `Authorization: Bearer <SCANNER_TOKEN>` and `{code}` alone. The operator's token is not a
    gate: it may ask about any show's ticket, and the answer names the ticket's show."""
    here, there, ours, theirs = two_shows
    for show, tickets in ((here, ours), (there, theirs)):
        answer = (await _verify(anon, {"code": tickets[2]["code"]}, SCANNER)).json()
        assert (answer["result"], answer["ticket"]["show"]["id"]) == ("valid", str(show.id)), answer


async def test_a_scanner_account_names_the_show(server, two_shows) -> None:
    here, _, ours, theirs = two_shows
    scanner = await signed_in_scanner(server)
    try:
        missing = await _verify(scanner, {"code": ours[0]["code"]}, {})
        assert missing.status_code == 422 and missing.json()["error"] == "show_required"
        foreign = (await _verify(scanner, {"code": theirs[1]["code"], "show_id": str(here.id)}, {})).json()
        assert (foreign["result"], foreign["reason"]) == ("invalid", "other_show")
        assert (await _verify(scanner, {"code": ours[0]["code"], "show_id": str(here.id)}, {})).json()[
            "result"] == "valid"
    finally:
        await scanner.aclose()


async def test_a_gate_token_opens_its_own_shows_bundle_and_uploads_only(anon, two_shows) -> None:
    here, there, ours, _ = two_shows
    assert (await anon.get(f"/api/v1/shows/{here.id}/gate", headers=gate(here.id))).status_code == 200
    foreign = await anon.get(f"/api/v1/shows/{there.id}/gate", headers=gate(here.id))
    assert foreign.status_code == 403 and foreign.json()["error"] == "wrong_show"
    upload = {"show_id": str(there.id), "gate": "North",
              "scans": [{"scan_id": secrets.token_hex(8), "code": ours[0]["code"], "scanned_at": _now()}]}
    refused = await anon.post("/api/v1/gate/scans", json=upload, headers=gate(here.id))
    assert refused.status_code == 403 and refused.json()["error"] == "wrong_show"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


async def _upload(client: httpx.AsyncClient, show_id: int, gate_name: str, *scans: tuple[str, str]
                  ) -> httpx.Response:
    return await client.post("/api/v1/gate/scans", headers=SCANNER, json={
        "show_id": str(show_id), "gate": gate_name,
        "scans": [{"scan_id": scan_id, "code": code, "scanned_at": _now()} for scan_id, code in scans]})


def _reused(response: httpx.Response, scan_id: str) -> None:
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "scan_id_reused" and response.json()["scan_id"] == scan_id


async def test_a_reused_scan_id_is_refused_and_the_new_scan_is_not_hidden(anon, two_shows) -> None:
    here, there, ours, theirs = two_shows
    scan_id = secrets.token_hex(8)
    first = await _upload(anon, here.id, "North", (scan_id, ours[0]["code"]))
    assert [(i["result"], i["ticket_id"]) for i in first.json()["items"]] == [("valid", ours[0]["ticket_id"])]
    # The same scan again (a lost answer): the stored answer.
    assert (await _upload(anon, here.id, "North", (scan_id, ours[0]["code"]))).json() == first.json()
    # The same id with another ticket, at another gate, at another show: refused, naming the id.
    _reused(await _upload(anon, here.id, "North", (scan_id, ours[1]["code"])), scan_id)
    _reused(await _upload(anon, here.id, "South", (scan_id, ours[0]["code"])), scan_id)
    _reused(await _upload(anon, there.id, "North", (scan_id, theirs[0]["code"])), scan_id)
    # Nothing in a refused upload was judged, not even its other scans: ticket 1 is still unscanned.
    fresh = secrets.token_hex(8)
    _reused(await _upload(anon, here.id, "North", (fresh, ours[2]["code"]), (scan_id, ours[1]["code"])), scan_id)
    # (Under new scan ids: a scan judged in the refused upload would answer its stored `valid` again.)
    judged = await _upload(anon, here.id, "North", (secrets.token_hex(8), ours[1]["code"]),
                           (secrets.token_hex(8), ours[2]["code"]))
    assert [(i["result"], i["duplicate"]) for i in judged.json()["items"]] == [("valid", False), ("valid", False)]


async def test_one_scan_id_for_two_tickets_in_one_upload_is_refused(anon, two_shows) -> None:
    here, _, ours, _ = two_shows
    scan_id = secrets.token_hex(8)
    _reused(await _upload(anon, here.id, "North", (scan_id, ours[0]["code"]), (scan_id, ours[1]["code"])), scan_id)
    both = await _upload(anon, here.id, "North", (scan_id, ours[0]["code"]), (scan_id, ours[0]["code"]))
    assert [i["result"] for i in both.json()["items"]] == ["valid", "valid"]  # one scan, uploaded twice


async def test_a_bundle_describes_its_own_show(anon, two_shows) -> None:
    """The title and venue a gate shows come from the show it asked for, never another one."""
    here, there, _, _ = two_shows
    for show in (here, there):
        bundle = (await anon.get(f"/api/v1/shows/{show.id}/gate", headers=gate(show.id))).json()
        details = await anon.get(f"/api/v1/shows/{show.id}")
        assert details.status_code == 200, details.text
        expected = details.json()
        assert (bundle["show_id"], bundle["title"], bundle["venue"]["name"]) == (
            str(show.id), expected["title"], expected["venue"]["name"])
        assert bundle["keys"][0]["kid"] == f"show-{show.id}"


async def test_a_device_certificate_comes_with_the_servers_clock_and_lasts_the_show(anon, fan, two_shows) -> None:
    """The phone sets its code steps by the server's time (its own clock may be off): milliseconds since the
    epoch, now (within a minute of this test's clock, which shares the server's). Its codes are good until a day
    after the show starts (backend.tickets.gate.VALID_AFTER_START), not a day before."""
    here, _, ours, _ = two_shows
    before_ms = int(time.time() * 1000)
    answer = await Device().bind(fan, ours[0]["ticket_id"])
    assert answer.status_code == 200, answer.text
    assert before_ms - 60_000 <= answer.json()["server_time_ms"] <= int(time.time() * 1000) + 60_000
    starts_at = datetime.fromisoformat((await anon.get(f"/api/v1/shows/{here.id}")).json()["starts_at"])
    assert datetime.fromisoformat(answer.json()["not_after"]) == starts_at + timedelta(days=1)


async def test_one_scan_uploaded_by_many_requests_at_once_gets_one_answer(anon, two_shows) -> None:
    """A scanner that retries an upload while the first is still in flight: every request gets the answer of the
    one scan stored, none is refused as a reuse, and the ticket is scanned once."""
    here, _, ours, _ = two_shows
    scan_id = secrets.token_hex(8)
    answers = await asyncio.gather(*(_upload(anon, here.id, "North", (scan_id, ours[0]["code"])) for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers if a.status_code != 200]
    assert len({a.text for a in answers}) == 1, {a.text for a in answers}
    assert answers[0].json()["items"][0]["result"] == "valid"


async def test_scans_for_a_show_that_does_not_exist_are_404(anon, two_shows) -> None:
    here, _, ours, _ = two_shows
    answer = await _upload(anon, 999_999_999, "North", (secrets.token_hex(8), ours[0]["code"]))
    assert answer.status_code == 404 and answer.json()["error"] == "show_not_found", answer.text
    assert (await _upload(anon, here.id, "North", (secrets.token_hex(8), ours[0]["code"]))).status_code == 200


async def test_an_uploaded_scan_of_a_code_that_names_no_ticket_is_judged_invalid(anon, two_shows) -> None:
    """A smudged or made-up code among a gate's scans is answered (invalid), not a failure of the whole upload."""
    here, _, ours, _ = two_shows
    answer = await _upload(anon, here.id, "North", (secrets.token_hex(8), "not-a-ticket-code"),
                           (secrets.token_hex(8), ours[2]["code"]))
    assert answer.status_code == 200, answer.text
    assert [(i["result"], i["ticket_id"]) for i in answer.json()["items"]] == [
        ("invalid", None), ("valid", ours[2]["ticket_id"])]


async def test_one_scan_id_raced_by_two_tickets_is_refused_for_the_one_that_lost(anon, two_shows) -> None:
    """Uploads of one scan id with two tickets at once: one scan is stored; the others get its answer when they
    are that ticket's, and scan_id_reused when they are the other ticket's (never the other ticket's answer)."""
    here, _, ours, _ = two_shows
    scan_id = secrets.token_hex(8)
    codes = [ours[k % 2]["code"] for k in range(8)]
    answers = await asyncio.gather(*(_upload(anon, here.id, "North", (scan_id, code)) for code in codes))
    accepted = set()
    for code, answer in zip(codes, answers, strict=True):
        ticket = next(t["ticket_id"] for t in ours if t["code"] == code)
        if answer.status_code == 409:
            _reused(answer, scan_id)
            continue
        assert answer.status_code == 200, answer.text
        assert answer.json()["items"][0]["ticket_id"] == ticket, (ticket, answer.text)
        accepted.add(ticket)
    assert len(accepted) == 1


async def test_an_upload_that_repeats_a_stored_scan_still_judges_the_scans_after_it(anon, two_shows) -> None:
    here, _, ours, _ = two_shows
    again, new = secrets.token_hex(8), secrets.token_hex(8)
    first = await _upload(anon, here.id, "North", (again, ours[0]["code"]))
    both = await _upload(anon, here.id, "North", (again, ours[0]["code"]), (new, ours[1]["code"]))
    assert both.status_code == 200, both.text
    assert both.json()["items"][0] == first.json()["items"][0]  # the stored answer
    assert [(i["scan_id"], i["result"]) for i in both.json()["items"]] == [(again, "valid"), (new, "valid")]


async def test_an_uploaded_scan_with_a_time_that_is_not_one_is_422(anon, two_shows) -> None:
    here, _, ours, _ = two_shows
    answer = await anon.post("/api/v1/gate/scans", headers=SCANNER, json={
        "show_id": str(here.id), "gate": "North",
        "scans": [{"scan_id": secrets.token_hex(8), "code": ours[0]["code"], "scanned_at": "at half past nine"}]})
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_scanned_at", answer.text


def _scan(ticket: dict) -> ScanIn:
    return ScanIn(scan_id=secrets.token_hex(8), code=ticket["code"], scanned_at=datetime.now(UTC).isoformat())


async def _upload_in_process(show_id: int, scans: list[ScanIn]) -> list:
    """The upload route's judging, called in this process (so a test can stop it part-way), at gate North."""
    return await gate_scans.upload_scans(get_settings().secret_key, None, show_id,
                                         ScanUpload(str(show_id), "North", scans))


async def test_a_scan_whose_judging_failed_is_judged_afresh_when_uploaded_again(anon, two_shows, monkeypatch) -> None:
    """Judging a claimed scan failed (the database went away mid-way): its claim is taken back, and only its own, so
    the scanner's retry is judged instead of waiting on a claim nobody will finish; the scans stored before keep
    their answers."""
    here, _, mine, _ = two_shows
    first, failing = _scan(mine[0]), _scan(mine[1])
    assert [o.result for o in await _upload_in_process(here.id, [first])] == ["valid"]

    async def broken(*args, **kwargs):
        raise ConnectionError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(gate_scans, "verify", broken)
        with pytest.raises(ConnectionError):
            await _upload_in_process(here.id, [failing])
    again = await _upload_in_process(here.id, [first, failing])
    assert [(o.result, o.duplicate) for o in again] == [("valid", False), ("valid", False)]


async def test_a_scan_claimed_meanwhile_by_another_upload_takes_its_answer_and_the_rest_are_judged(
    anon, two_shows, monkeypatch
) -> None:
    """Another request claims one of this upload's scan ids between this one's look at the stored scans and its own
    claim: that scan gets the other request's answer, and the scans after it are still judged."""
    here, _, mine, _ = two_shows
    first, shared, last = (_scan(ticket) for ticket in mine[:3])
    real_verify = gate_scans.verify
    raced: list | None = None

    async def racing_verify(*args, **kwargs):
        nonlocal raced
        if raced is None:  # while the first scan is judged, another upload of the shared scan claims and judges it
            raced = []  # set before: that upload's own judging comes through here too
            raced = await _upload_in_process(here.id, [shared])
        return await real_verify(*args, **kwargs)

    monkeypatch.setattr(gate_scans, "verify", racing_verify)
    outcomes = await _upload_in_process(here.id, [first, shared, last])
    assert raced is not None and [o.result for o in raced] == ["valid"]
    assert [(o.scan_id, o.result, o.duplicate) for o in outcomes] == [
        (first.scan_id, "valid", False), (shared.scan_id, "valid", False), (last.scan_id, "valid", False)]
