"""Two fans on one show: what one holds turns unavailable on the other's map within a second, and back. And a map
that stays live across a server restart."""

from __future__ import annotations

import asyncio
import secrets

from playwright.async_api import Browser, WebSocket, expect
from redis.asyncio import Redis

from backend.seats import ensure_built
from e2e.conftest import new_context
from e2e.fans import register, seat_button, show_list_view
from tests.realtime.conftest import start_server
from tests.realtime.support import publish_changes
from tests.support.data import create_show
from tests.support.reconnect import SERVICE_RESTART

# Records the close code of every WebSocket the page opens (Playwright's socket events carry none); injected by
# Playwright, so the page's CSP does not apply to it.
RECORD_CLOSE_CODES = """
window.__closeCodes = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('close', (event) => window.__closeCodes.push(event.code));
  }
};
"""


async def test_a_hold_in_one_browser_shows_in_another_within_a_second(browser: Browser, server) -> None:
    show = await create_show(rows=2, seats_per_row=8, title=f"Duet {secrets.token_hex(3)}")
    buyer_ctx, watcher_ctx = await new_context(browser, server.url), await new_context(browser, server.url)
    try:
        buyer, watcher = await buyer_ctx.new_page(), await watcher_ctx.new_page()
        await register(buyer, "Buyer")
        for page in (buyer, watcher):
            await page.goto(f"/shows/{show.id}")
            await expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "open")
            await show_list_view(page)
        seat = show.rows["Front/A"][4]
        await expect(seat_button(watcher, seat)).to_have_attribute("data-status", "available")

        await seat_button(buyer, seat).click()
        await expect(buyer.get_by_test_id("hold-summary")).to_have_attribute("data-state", "held")
        await expect(seat_button(watcher, seat)).to_have_attribute("data-status", "held", timeout=1_000)

        await buyer.get_by_test_id("hold-release").click()
        await expect(buyer.get_by_test_id("hold-summary")).to_have_attribute("data-state", "empty")
        await expect(seat_button(watcher, seat)).to_have_attribute("data-status", "available", timeout=1_000)
    finally:
        await buyer_ctx.close()
        await watcher_ctx.close()


async def test_the_map_comes_back_after_a_server_restart_with_a_change_made_meanwhile(
        browser: Browser, redis_url: str, redis: Redis) -> None:
    """The server restarts (SIGTERM, as a deploy does): the page's socket is closed with 1012, the page reconnects
    with a jittered back-off, asking to resume from its version, and shows a seat that changed while it was away."""
    restarting = start_server(redis_url, "server-e2e-restart")
    context = await new_context(browser, restarting.url)
    try:
        show = await create_show(rows=1, seats_per_row=8, title=f"Restart {secrets.token_hex(3)}")
        await ensure_built(redis, show.id)
        first, meanwhile = show.rows["Front/A"][:2]
        page = await context.new_page()
        await page.add_init_script(RECORD_CLOSE_CODES)
        sockets: list[WebSocket] = []
        page.on("websocket", lambda socket: sockets.append(socket))
        await page.goto(f"/shows/{show.id}")
        live = page.get_by_test_id("live-status")
        await expect(live).to_have_attribute("data-state", "open")
        await show_list_view(page)
        version = await publish_changes(redis, show.id, [(first, "held")])
        await expect(seat_button(page, first)).to_have_attribute("data-status", "held")

        restart = asyncio.create_task(asyncio.to_thread(restarting.restart_web))
        await expect(live).to_have_attribute("data-state", "reconnecting")
        await publish_changes(redis, show.id, [(meanwhile, "sold")])  # as a sale on another process would
        await restart
        await expect(seat_button(page, meanwhile)).to_have_attribute("data-status", "sold", timeout=30_000)
        await expect(live).to_have_attribute("data-state", "open")
        await expect(seat_button(page, first)).to_have_attribute("data-status", "held")
        close_codes = await page.evaluate("window.__closeCodes")
    finally:
        await context.close()
        restarting.stop()
    # The server said why (1012), and every attempt to come back asked to resume from the page's version (the
    # restarted process, whose feed is new, answered with a snapshot).
    assert close_codes[0] == SERVICE_RESTART, close_codes
    assert len(sockets) >= 2 and "since" not in sockets[0].url
    assert all(s.url.endswith(f"/live?since={version}") for s in sockets[1:]), [s.url for s in sockets]
