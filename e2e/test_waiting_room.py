"""Waiting room in the browser: the fan's place in line drops as shoppers ahead finish, then the seat map opens."""

from __future__ import annotations

import secrets

import httpx
from playwright.async_api import Browser, expect

from e2e.conftest import ENV, new_context
from e2e.fans import register
from tests.conftest import STRONG_PASSWORD, unique_email
from tests.support.data import create_show
from tests.support.servers import ServerProcess


async def test_fan_waits_sees_position_drop_and_is_let_in(browser: Browser, redis_url: str) -> None:
    # One shopper at a time, each admission lasting 3 s: the line moves by itself while the fan watches. Five fans
    # ahead keep the fan in line for ~15 s, so a page that loads slowly on a loaded machine still finds it waiting.
    line = ServerProcess(var_dir=ENV.var_dir, name="queue-server",
                         env={"REDIS_URL": redis_url, "QUEUE_ACTIVE_SHOPPERS": "1", "ADMISSION_TTL_SECONDS": "3"})
    line.start()
    show = await create_show(rows=2, seats_per_row=6, queue_enabled=True, title=f"Hot {secrets.token_hex(3)}")
    ahead: list[httpx.AsyncClient] = []
    context = await new_context(browser, line.url)
    try:
        for _ in range(5):
            client = httpx.AsyncClient(base_url=line.url, timeout=30)
            await client.post("/api/v1/auth/register",
                              json={"email": unique_email(), "password": STRONG_PASSWORD, "name": "Early"})
            joined = await client.post(f"/api/v1/shows/{show.id}/queue")
            assert joined.status_code == 201, joined.text
            ahead.append(client)
        page = await context.new_page()
        await register(page, "Patient")
        await page.goto(f"/shows/{show.id}/queue")
        position = page.get_by_test_id("queue-position")
        await expect(position).to_be_visible(timeout=15_000)
        first = int(await position.get_attribute("data-position") or 0)
        assert first >= 2, first
        await expect(page.get_by_test_id("queue-progress")).to_be_visible()
        await expect(position).not_to_have_attribute("data-position", str(first), timeout=15_000)
        later = int(await position.get_attribute("data-position") or 0)
        assert 0 < later < first
        await expect(page.get_by_test_id("show-page")).to_be_visible(timeout=45_000)
        await expect(page.get_by_test_id("seat-map-canvas")).to_be_visible()
    finally:
        await context.close()
        for client in ahead:
            await client.aclose()
        line.stop()
