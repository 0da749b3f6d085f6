"""The waiting room's "Check the draw" panel in the browser: the seed's commitment before the sale, then the fan's
number recomputed with WebCrypto from the published draw, ✓."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, expect
from redis.asyncio import Redis

from backend.accounts import verification
from e2e.conftest import ENV, new_context
from realtime.waiting_room import admission
from tests.realtime.fans import SESSION_COOKIE, signed_in
from tests.support.data import TestShow, create_show
from tests.support.opening import before_the_opening, opening_at
from tests.support.servers import ServerProcess

LOADED_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def line(redis_url: str) -> Iterator[ServerProcess]:
    process = ServerProcess(var_dir=ENV.var_dir, name="draw-server",
                            env={"REDIS_URL": redis_url, "QUEUE_ACTIVE_SHOPPERS": "1", "ADMISSION_TTL_SECONDS": "600"})
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def show_with_a_full_line(redis: Redis, opens_at: float) -> TestShow:
    """Someone is already shopping in the line's only place (far into the future): after the draw nobody is let in,
    so the fan stays on the waiting room page with a number to check, whatever number the draw gives."""
    show = await create_show(queue_enabled=True, sale_opens_at=opening_at(opens_at))
    await redis.zadd(admission.admitted_key(show.id), {"0": 4_102_444_800_000})
    return show


async def test_the_panel_shows_the_commitment_then_checks_the_number(browser: Browser, line: ServerProcess,
                                                                    redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    fans = await signed_in(redis, 4, line.url)
    context = await new_context(browser, line.url)
    await context.add_cookies([{"name": SESSION_COOKIE, "value": fans[0].session_id, "url": line.url}])
    page = await context.new_page()
    others = [fan.client(line.url) for fan in fans[1:]]

    async def commitment_shown(opens_at: float) -> TestShow:
        """Before the sale: three others join, the fan opens the waiting room and sees the seed's commitment."""
        show = await show_with_a_full_line(redis, opens_at)
        for client in others:
            assert (await client.post(f"/api/v1/shows/{show.id}/queue")).status_code == 201
        await page.goto(f"/shows/{show.id}/queue")
        panel = page.get_by_test_id("draw-check")
        await expect(panel).to_have_attribute("data-state", "committed", timeout=LOADED_TIMEOUT_MS)
        published = (await others[0].get(f"/api/v1/shows/{show.id}/queue/draw")).json()
        await expect(page.get_by_test_id("draw-commitment")).to_have_text(published["commitment"])
        return show

    try:
        show, opens_at = await before_the_opening(commitment_shown)
        await asyncio.sleep(max(0.0, opens_at - time.monotonic()))
        result = page.get_by_test_id("draw-check-result")
        await expect(result).to_have_attribute("data-ok", "true", timeout=LOADED_TIMEOUT_MS)
        await expect(result).to_contain_text("✓")
        me = await (await page.request.get(f"/api/v1/shows/{show.id}/queue/me")).json()
        await expect(result).to_contain_text(f"Your number {me['number']} ")
        await expect(page.get_by_test_id("queue-position")).to_be_visible()
    finally:
        await context.close()
        for client in others:
            await client.aclose()
        await redis.aclose()


async def test_a_tampered_draw_shows_a_cross(browser: Browser, line: ServerProcess, redis_url: str) -> None:
    """The same page after the published entries hash was altered: the browser's own hash disagrees, ✗."""
    redis = Redis.from_url(redis_url)
    fans = await signed_in(redis, 3, line.url)
    show = await show_with_a_full_line(redis, time.monotonic() + 5)
    clients = [fan.client(line.url) for fan in fans]
    context = await new_context(browser, line.url)
    try:
        for client in clients:
            assert (await client.post(f"/api/v1/shows/{show.id}/queue")).status_code == 201
        await asyncio.sleep(5.5)
        me = await poll_number(clients[0], show.id)
        await redis.hset(f"{{show:{show.id}}}:queue:draw", "entries_hash", "00" * 32)
        await context.add_cookies([{"name": SESSION_COOKIE, "value": fans[0].session_id, "url": line.url}])
        page = await context.new_page()
        await page.goto(f"/shows/{show.id}/queue")
        result = page.get_by_test_id("draw-check-result")
        await expect(result).to_have_attribute("data-ok", "false", timeout=LOADED_TIMEOUT_MS)
        await expect(result).to_contain_text("✗")
        assert me is not None
    finally:
        await context.close()
        for client in clients:
            await client.aclose()
        await redis.aclose()


async def test_an_unverified_early_arrival_is_told_why_and_can_verify(browser: Browser, line: ServerProcess,
                                                                      redis_url: str) -> None:
    """Two verified fans are drawn; the fan at the browser joined early without a verified address and is placed
    after them: the panel says so (no ✗), sends the verification mail, and the mail's link verifies the address."""
    redis = Redis.from_url(redis_url)
    drawn = await signed_in(redis, 2, line.url)
    [fan] = await signed_in(redis, 1, line.url, verified=False)
    show = await show_with_a_full_line(redis, time.monotonic() + 5)
    clients = [f.client(line.url) for f in (*drawn, fan)]
    context = await new_context(browser, line.url)
    try:
        for client in clients:
            assert (await client.post(f"/api/v1/shows/{show.id}/queue")).status_code == 201
        await asyncio.sleep(5.5)
        assert await poll_number(clients[-1], show.id) == 3
        await context.add_cookies([{"name": SESSION_COOKIE, "value": fan.session_id, "url": line.url}])
        page = await context.new_page()
        await page.goto(f"/shows/{show.id}/queue")
        placed = page.get_by_test_id("draw-placed-after")
        await expect(placed).to_be_visible(timeout=LOADED_TIMEOUT_MS)
        await expect(placed).to_contain_text("e-mail address was not verified")
        await expect(placed).to_contain_text("placed after the 2 drawn places, in the order they joined")
        await expect(placed).to_contain_text("your number is 3")
        await expect(page.get_by_test_id("draw-check-result")).to_have_count(0)
        await page.get_by_test_id("draw-verify-send").click()
        await expect(page.get_by_test_id("draw-verify-sent")).to_contain_text("We sent you an e-mail")

        token = verification.make_token(os.environ["SECRET_KEY"], fan.profile_id, fan.email)
        await page.goto(f"/verify-email?token={token}")
        await expect(page.get_by_test_id("verify-email-page")).to_have_attribute("data-state", "verified")
        me = await (await page.request.get("/api/v1/auth/me")).json()
        assert me["email_verified"] is True
    finally:
        await context.close()
        for client in clients:
            await client.aclose()
        await redis.aclose()


async def poll_number(client: httpx.AsyncClient, show_id: int) -> int | None:
    for _ in range(120):
        number = (await client.get(f"/api/v1/shows/{show_id}/queue/me")).json()["number"]
        if number is not None:
            return int(number)
        await asyncio.sleep(0.5)
    return None
