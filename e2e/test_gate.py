"""At the gate: a fan's live code on the ticket page, scanners that check it with the network gone, and the server
naming the ticket two gates let in. Runs on the demo season (Hamlet at the Lyric Theatre), so its screenshots are
what a new user sees."""

from __future__ import annotations

import base64
import json
import re
import time

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from backend.accounts.staff import create_scanner
from e2e.conftest import new_context, screenshot
from e2e.fans import card_frame, fill_card, open_show_from_search, register
from e2e.staff import create_scanner_account, scan, sign_in_to_scanner, start_scanning
from tests.conftest import STRONG_PASSWORD, unique_email
from tests.support.data import create_show
from tests.tickets.devices import SCANNER, Device, buy, current_step, forged_certificate


async def show_id_of(server, title: str) -> str:
    async with httpx.AsyncClient(base_url=server.url) as client:
        items = (await client.get("/api/v1/shows", params={"q": title})).json()["items"]
    return next(s["id"] for s in items if s["title"] == title)


async def buy_two_best_seats(page: Page, title: str) -> None:
    await open_show_from_search(page, title, title)
    await page.get_by_test_id("best-available-count").select_option("2")
    await page.get_by_test_id("best-available-submit").click()
    await expect(page.get_by_test_id("hold-seat")).to_have_count(2)
    await page.get_by_test_id("checkout-button").click()
    await expect(card_frame(page).get_by_label("Card number")).to_be_visible()
    await fill_card(page, "4000 0000 0000 0002")
    await page.get_by_test_id("pay-button").click()
    await expect(page.get_by_test_id("payment-error")).to_contain_text(re.compile("declined", re.I))
    await screenshot(page, "checkout")
    await fill_card(page, "4242 4242 4242 4242")
    await page.get_by_test_id("pay-button").click()
    await expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid", timeout=30_000)


def certificate_fields(code: str) -> list:
    cert_b64 = code.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(cert_b64 + "=" * (-len(cert_b64) % 4)))


async def live_code(fan: Page) -> str:
    qr = fan.get_by_test_id("ticket-qr").first
    await expect(qr).to_have_attribute("data-kind", "rotating")
    return await qr.get_attribute("data-code") or ""


async def scanner_page(browser: Browser, server, show_id: str, gate: str) -> tuple[BrowserContext, Page]:
    context = await new_context(browser, server.url)
    page = await context.new_page()
    await sign_in_to_scanner(page, create_scanner_account(server))
    await start_scanning(page, show_id, gate)
    return context, page


async def test_live_code_checked_offline_at_two_gates_then_duplicate_reported(browser: Browser, demo_server) -> None:
    hamlet = await show_id_of(demo_server, "Hamlet")
    fan_context = await new_context(browser, demo_server.url)
    contexts = [fan_context]
    try:
        fan = await fan_context.new_page()
        await register(fan, "Grace")
        await buy_two_best_seats(fan, "Hamlet")
        await fan.get_by_test_id("nav-tickets").click()
        qr = fan.get_by_test_id("ticket-qr")
        await expect(qr).to_have_count(2)
        first_code = await live_code(fan)
        assert first_code.startswith("TKR1.")
        # Debian's Chromium has Ed25519 in WebCrypto, so the page chose it over the P-256 fallback.
        assert certificate_fields(first_code)[5] == "Ed25519"
        await screenshot(fan, "tickets")

        north_context, north = await scanner_page(browser, demo_server, hamlet, "North")
        contexts.append(north_context)
        await north_context.set_offline(True)
        await expect(north.get_by_test_id("scan-network")).to_have_attribute("data-online", "false")
        assert await scan(north, await live_code(fan)) == "valid"
        await expect(north.get_by_test_id("scan-result")).to_contain_text("Valid")
        await screenshot(north, "scanner-valid")
        assert await scan(north, await live_code(fan)) == "already_scanned"
        forged = first_code[:-4] + ("AAAA" if not first_code.endswith("AAAA") else "BBBB")
        assert await scan(north, forged) == "invalid"
        await screenshot(north, "scanner-invalid")
        await expect(north.get_by_test_id("scan-pending")).to_have_attribute("data-pending", "3")

        south_context, south = await scanner_page(browser, demo_server, hamlet, "South")
        contexts.append(south_context)
        await south_context.set_offline(True)
        # South cannot know North let this ticket in: offline it is valid here too.
        assert await scan(south, await live_code(fan)) == "valid"

        await north_context.set_offline(False)
        await expect(north.get_by_test_id("scan-pending")).to_have_attribute("data-pending", "0", timeout=20_000)
        await expect(north.get_by_test_id("scan-duplicates")).to_have_count(0)
        await south_context.set_offline(False)
        await expect(south.get_by_test_id("scan-pending")).to_have_attribute("data-pending", "0", timeout=20_000)
        duplicate = south.get_by_test_id("scan-duplicate")
        await expect(duplicate).to_have_count(1)
        await expect(duplicate).to_contain_text("North")
        await screenshot(south, "scanner-duplicate")
    finally:
        for context in contexts:
            await context.close()


async def test_waiting_room_of_a_demo_show(browser: Browser, demo_server) -> None:
    """The waiting room of the demo season's Championship Finals, with fans ahead in line (one shopper at a time)."""
    finals = await show_id_of(demo_server, "Championship Finals")
    ahead = []
    context = await new_context(browser, demo_server.url)
    try:
        for _ in range(3):
            client = httpx.AsyncClient(base_url=demo_server.url, timeout=30)
            ahead.append(client)
            await client.post("/api/v1/auth/register",
                              json={"email": unique_email(), "password": STRONG_PASSWORD, "name": "Early"})
            assert (await client.post(f"/api/v1/shows/{finals}/queue")).status_code in (200, 201)
        page = await context.new_page()
        await register(page, "Patient")
        await page.goto(f"/shows/{finals}/queue")
        await expect(page.get_by_test_id("queue-position")).to_be_visible()
        await expect(page.get_by_test_id("queue-progress")).to_be_visible()
        await screenshot(page, "waiting-room")
    finally:
        await context.close()
        for client in ahead:
            await client.aclose()


async def test_offline_scanner_answers_as_the_online_check_does(browser: Browser, server, make_fan) -> None:
    """A table of codes, each checked by the scanner page with its browser offline, then by the online endpoint:
    the same answers, in the same order (the second scan of a ticket is `already_scanned` on both)."""
    show, other = await create_show(rows=1, seats_per_row=8), await create_show(rows=1, seats_per_row=2)
    fan = await make_fan()
    tickets = await buy(server, fan, show.id, show.rows["Front/A"][:6])
    (elsewhere,) = await buy(server, fan, other.id, other.rows["Front/A"][:1])
    phone, laptop, old_phone, new_phone, thief = Device(), Device("ES256"), Device(), Device("ES256"), Device()
    certs = {
        "phone": await phone.certificate(fan, tickets[0]["ticket_id"]),
        "laptop": await laptop.certificate(fan, tickets[1]["ticket_id"]),
        "old": await old_phone.certificate(fan, tickets[2]["ticket_id"]),
        "elsewhere": await phone.certificate(fan, elsewhere["ticket_id"]),
        "expiring": await phone.certificate(fan, tickets[4]["ticket_id"]),
    }
    await new_phone.certificate(fan, tickets[2]["ticket_id"], move=True)  # revokes "old" and ticket 2's static code
    prefix, cert_b64, show_sig = certs["phone"].split(".")

    context = await new_context(browser, server.url)
    try:
        page = await context.new_page()
        email = unique_email("gate")
        await create_scanner(email, password=STRONG_PASSWORD)
        await sign_in_to_scanner(page, email)
        await start_scanning(page, str(show.id), "Table")
        await context.set_offline(True)
        await expect(page.get_by_test_id("scan-network")).to_have_attribute("data-online", "false")

        # Live codes are drawn for the next step (a phone clock a little ahead, within the tolerance), so they stay
        # valid for the rest of this step and two more: the offline and the online checks both fall in that window.
        while 15 - time.time() % 15 < 6:
            await page.wait_for_timeout(500)
        step = current_step() + 1
        cases = [
            ("rotating Ed25519, now", phone.code(certs["phone"], step), "valid"),
            ("the same code again", phone.code(certs["phone"], step), "already_scanned"),
            ("rotating ES256, now", laptop.code(certs["laptop"], step), "valid"),
            ("two steps old", phone.code(certs["expiring"], step - 3), "expired"),
            ("another show's ticket", phone.code(certs["elsewhere"], step), "invalid"),
            ("wrong device signature", laptop.code(certs["phone"], step), "invalid"),
            ("revoked device", old_phone.code(certs["old"], step), "invalid"),
            ("static code of a moved ticket", tickets[2]["code"], "invalid"),
            ("static fallback", tickets[3]["code"], "valid"),
            ("forged certificate", thief.code(forged_certificate(certs["phone"], thief), step), "invalid"),
            ("altered certificate", phone.code(f"{prefix}.{cert_b64[:-2]}AA.{show_sig}", step), "invalid"),
            ("not a code", "hello", "invalid"),
        ]
        offline = [await scan(page, code) for _, code, _ in cases]
    finally:
        await context.close()
    online = []
    async with httpx.AsyncClient(base_url=server.url) as gate:
        for _, code, _ in cases:
            response = await gate.post("/api/v1/tickets/verify", json={"code": code, "show_id": str(show.id)},
                                       headers=SCANNER)
            online.append(response.json()["result"])
    expected = [answer for _, _, answer in cases]
    assert offline == online == expected, list(zip([name for name, _, _ in cases], offline, online, strict=True))


async def test_scanner_opens_and_checks_with_no_network_after_one_visit(browser: Browser, server, make_fan) -> None:
    """One online visit sets the gate up (keys downloaded, the page kept by its service worker); then, with the
    network gone before the page is even requested, a reload opens the scanner and it lets a live code in; back
    online, the scan reaches the server."""
    show = await create_show(rows=1, seats_per_row=4)
    fan = await make_fan()
    (ticket,) = await buy(server, fan, show.id, show.rows["Front/A"][:1])
    phone = Device()
    certificate = await phone.certificate(fan, ticket["ticket_id"])
    email = unique_email("gate")
    await create_scanner(email, password=STRONG_PASSWORD)
    context = await new_context(browser, server.url)
    try:
        page = await context.new_page()
        await sign_in_to_scanner(page, email)
        await start_scanning(page, str(show.id), "Offline gate")
        await expect(page.get_by_test_id("scan-offline-ready")).to_have_attribute("data-state", "ready")

        await context.set_offline(True)
        reloaded = await page.reload()
        assert reloaded is not None and reloaded.from_service_worker
        await expect(page.get_by_test_id("scanner")).to_be_visible()
        await expect(page.get_by_test_id("scan-network")).to_have_attribute("data-online", "false")
        assert await scan(page, phone.code(certificate)) == "valid"
        await expect(page.get_by_test_id("scan-pending")).to_have_attribute("data-pending", "1")

        await context.set_offline(False)
        await expect(page.get_by_test_id("scan-pending")).to_have_attribute("data-pending", "0", timeout=20_000)
    finally:
        await context.close()
    async with httpx.AsyncClient(base_url=server.url) as gate:
        answer = (await gate.post("/api/v1/tickets/verify", json={"code": phone.code(certificate)},
                                  headers=SCANNER)).json()
    assert (answer["result"], answer["scanned_gate"]) == ("already_scanned", "Offline gate"), answer
