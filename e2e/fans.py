"""What a fan does in the browser, step by step, through the app's own controls."""

from __future__ import annotations

import secrets

from playwright.async_api import FrameLocator, Page, expect

from tests.conftest import STRONG_PASSWORD as PASSWORD


async def register(page: Page, name: str = "Fan") -> str:
    email = f"e2e-{secrets.token_hex(5)}@example.com"
    await page.goto("/register")
    await page.get_by_test_id("register-name").fill(name)
    await page.get_by_test_id("register-email").fill(email)
    await page.get_by_test_id("register-password").fill(PASSWORD)
    await page.get_by_test_id("register-submit").click()
    await expect(page.get_by_test_id("nav-signout")).to_be_visible()
    return email


async def open_show_from_search(page: Page, words: str, title: str) -> None:
    await page.goto("/")
    await page.get_by_test_id("search-input").fill(words)
    await page.get_by_test_id("search-submit").click()
    card = page.get_by_test_id("show-card").filter(has_text=title)
    await expect(card).to_have_count(1)
    await card.get_by_test_id("show-card-link").click()
    await expect(page.get_by_test_id("show-title")).to_have_text(title)


async def show_list_view(page: Page) -> None:
    await page.get_by_test_id("view-list").click()
    await expect(page.get_by_test_id("seat-list")).to_be_visible()


def seat_button(page: Page, seat_id: str):
    return page.locator(f'[data-testid="seat-list-item"][data-seat-id="{seat_id}"]')


async def list_seat(page: Page, show_id: str, seat_id: str) -> None:
    """Shows the seat in the list view: the list shows one section's row at a time (the first by default), and
    which seat best available picked is the server's choice."""
    seat_map = await page.evaluate("async (id) => (await fetch(`/api/v1/shows/${id}/map`)).json()", show_id)
    sections = [section["id"] for section in seat_map["sections"]]
    seat = next(seat for seat in seat_map["seats"] if seat["id"] == seat_id)
    await page.get_by_test_id("seat-list-section").select_option(str(sections.index(seat["section_id"])))
    rows = page.get_by_test_id("seat-list-row")
    value = await rows.locator("option", has_text=f"Row {seat['row']} \u00b7").first.get_attribute("value")
    await rows.select_option(value or "")


def card_frame(page: Page) -> FrameLocator:
    return page.get_by_test_id("payment-container").frame_locator("iframe")


async def fill_card(page: Page, number: str, expiry: str = "12 / 34", cvc: str = "123") -> None:
    frame = card_frame(page)
    await frame.get_by_label("Card number").fill(number)
    await frame.get_by_label("Expiration date (MM / YY)").fill(expiry)
    await frame.get_by_label("Security code (CVC)").fill(cvc)
