"""Two fans on one show: what one holds turns unavailable on the other's map within a second, and back."""

from __future__ import annotations

import secrets

from playwright.async_api import Browser, expect

from e2e.conftest import new_context
from e2e.fans import register, seat_button, show_list_view
from tests.support.data import create_show


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
