"""Keyboard only: find a seat on the map, hold it and pay for it without the mouse."""

from __future__ import annotations

import secrets

from playwright.async_api import Page, expect

from e2e.fans import register
from tests.support.data import create_show


async def _tab_until(page: Page, testid: str, limit: int = 60) -> None:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement?.dataset?.testid") == testid:
            return
    raise AssertionError(f"{testid} cannot be reached with Tab")


async def _tab_into_card_frame(page: Page, label_id: str, limit: int = 60) -> None:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        frame = page.frame_locator('[data-testid="payment-container"] iframe')
        focused = await frame.locator(":focus").count()
        if focused and await frame.locator(f"#{label_id}:focus").count():
            return
    raise AssertionError(f"{label_id} in the card form cannot be reached with Tab")


async def _next_field(page: Page, field_id: str) -> None:
    frame = page.frame_locator('[data-testid="payment-container"] iframe')
    if not await frame.locator(f"#{field_id}:focus").count():
        await page.keyboard.press("Tab")
    await expect(frame.locator(f"#{field_id}:focus")).to_have_count(1)


async def test_keyboard_only_purchase(page: Page, server) -> None:
    show = await create_show(rows=2, seats_per_row=6, title=f"Keys {secrets.token_hex(3)}")
    await register(page, "Keys")
    await page.goto(f"/shows/{show.id}")
    await expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "open")

    await _tab_until(page, "seat-map-canvas")
    announcer = page.get_by_test_id("seat-map-announcer")
    await page.keyboard.press("ArrowRight")
    await expect(announcer).to_contain_text("row")
    await expect(announcer).to_contain_text("available")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("hold-summary")).to_have_attribute("data-state", "held")
    await expect(page.get_by_test_id("hold-seat")).to_have_count(1)

    await _tab_until(page, "checkout-button")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("checkout-page")).to_be_visible()
    frame = page.frame_locator('[data-testid="payment-container"] iframe')
    await expect(frame.get_by_label("Card number")).to_be_visible()
    await _tab_into_card_frame(page, "card-number")
    await page.keyboard.type("4242424242424242")
    # Like Stripe's form, a complete field moves focus on by itself; Tab only when it did not.
    await _next_field(page, "card-expiry")
    await page.keyboard.type("1234")
    await _next_field(page, "card-cvc")
    await page.keyboard.type("123")
    assert [await frame.locator(f"#{i}").input_value() for i in ("card-number", "card-expiry", "card-cvc")] == [
        "4242 4242 4242 4242", "12 / 34", "123"]
    await _tab_until(page, "pay-button")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid", timeout=30_000)
    await expect(page.get_by_test_id("ticket-card")).to_have_count(1)
