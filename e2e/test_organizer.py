"""The organizer's pages in Chromium: a venue imported from the sample pretix plan (and a bad plan's refusal, with its
JSON pointer), a show created with two prices, its sale cockpit live, its controls used; axe-core finds no serious
or critical violation on any of these pages, dialogs open included. Then the sale as the issue tells it: a fan buys
two seats, the cockpit shows them sold, the organizer refunds one, pauses (the fan's hold is refused with the
paused message) and resumes.

Each test skips, naming the routes, while the backend does not serve what it needs (see e2e/organizers.py)."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from e2e.axe import assert_accessible
from e2e.conftest import new_context, screenshot
from e2e.fans import card_frame, fill_card, list_seat, open_show_from_search, register, seat_button, show_list_view
from e2e.organizers import (
    REFUND_ROUTES,
    SHOW_ROUTES,
    VENUE_ROUTES,
    create_organizer_account,
    create_show_in_form,
    import_plan,
    import_sample_venue,
    sample_plan,
    seat_count,
    sign_in_as_organizer,
    skip_unless_served,
)


async def test_venue_import_shows_progress_and_a_refusal_where_it_is(page: Page, server, tmp_path: Path) -> None:
    skip_unless_served(server, *VENUE_ROUTES)
    await sign_in_as_organizer(page, create_organizer_account(server))
    await page.get_by_test_id("org-nav-venues").click()
    await expect(page.get_by_test_id("venues-empty")).to_be_visible()
    await assert_accessible(page, "the venues page, before any venue")

    plan = sample_plan()
    await import_sample_venue(page)
    await expect(page.get_by_test_id("plan-summary")).to_have_attribute("data-seats", str(seat_count(plan)))
    await expect(page.get_by_test_id("venue-row")).to_have_count(1)
    await expect(page.get_by_test_id("venue-export-pretix")).to_have_attribute("href", re.compile(r"format=pretix"))
    await assert_accessible(page, "the venues page with an imported venue")
    await screenshot(page, "organizer-venues")

    # A seat of a category the plan does not have: refused, and the page says where, in the file's own terms.
    bad = json.loads(json.dumps(plan))
    bad["zones"][0]["rows"][1]["seats"][2]["category"] = "Stehplatz"
    bad["name"] = f"{plan['name']} (broken)"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(bad), encoding="utf-8")
    await import_plan(page, broken)
    error = page.get_by_test_id("import-error")
    await expect(error).to_have_attribute("data-code", "invalid_seating_plan")
    await expect(error).to_have_attribute("data-pointer", "/seating_plan/zones/0/rows/1/seats/2/category")
    await expect(page.get_by_test_id("import-error-where")).to_have_text("zone 1 \u203a row 2 \u203a seat 3 \u203a category")
    await expect(error).to_contain_text('"Stehplatz"')
    await expect(page.get_by_test_id("venue-row")).to_have_count(1)
    await assert_accessible(page, "the venues page showing a refused plan")
    await screenshot(page, "organizer-plan-refused")


async def test_cockpit_pages_are_accessible_and_their_controls_work(page: Page, server) -> None:
    skip_unless_served(server, *VENUE_ROUTES, *SHOW_ROUTES)
    await sign_in_as_organizer(page, create_organizer_account(server))
    venue_id = await import_sample_venue(page)

    await page.goto(f"/organizer/shows/new?venue={venue_id}")
    await expect(page.get_by_test_id("show-price").first).to_be_visible()
    await assert_accessible(page, "the new-show form")
    await page.get_by_test_id("show-submit").click()  # empty: every problem listed, linked to its field
    await expect(page.get_by_test_id("show-form-errors").get_by_role("alert")).to_be_visible()
    await assert_accessible(page, "the new-show form listing its problems")

    title = f"Cockpit {secrets.token_hex(3)}"
    show_id = await create_show_in_form(page, venue_id, title, queue=(50, 30))
    await expect(page.get_by_test_id("cockpit-title")).to_have_text(title)
    await expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "live")
    await expect(page.get_by_test_id("cockpit-map-live")).to_have_attribute("data-state", "open")
    await expect(page.get_by_test_id("stat-available")).to_have_attribute("data-value", str(seat_count(sample_plan())))
    await expect(page.get_by_test_id("stat-sold")).to_have_attribute("data-value", "0")
    await assert_accessible(page, "the sale cockpit")

    # The sale: pause, resume; close asks first (and is not confirmed here).
    await page.get_by_test_id("sale-pause").click()
    await expect(page.get_by_test_id("sale-state")).to_have_text("Paused")
    await expect(page.get_by_test_id("sale-said")).to_have_text("The sale is paused.")
    await page.get_by_test_id("sale-resume").click()
    await expect(page.get_by_test_id("sale-state")).to_have_text("On sale")
    await page.get_by_test_id("sale-close").click()
    await expect(page.get_by_test_id("confirm-close")).to_be_visible()
    await assert_accessible(page, "the sale cockpit asking to close the sale")
    await page.keyboard.press("Escape")
    await expect(page.get_by_test_id("confirm-close")).to_be_hidden()
    await expect(page.get_by_test_id("sale-close")).to_be_focused()

    # The waiting room's pace, live.
    await page.get_by_test_id("queue-outflow").fill("90")
    await page.get_by_test_id("queue-apply").click()
    await expect(page.get_by_test_id("queue-said")).to_contain_text("90")

    # Cancelling waits for a reason and the title typed again.
    await page.get_by_test_id("cancel-show").click()
    confirm = page.get_by_test_id("confirm-cancel-confirm")
    await expect(confirm).to_be_disabled()
    await page.get_by_test_id("cancel-reason").fill("The orchestra is ill.")
    await page.get_by_test_id("cancel-confirm-title").fill(title)
    await expect(confirm).to_be_enabled()
    await assert_accessible(page, "the sale cockpit asking to cancel the show")
    await page.get_by_test_id("confirm-cancel-cancel").click()

    await page.goto(f"/organizer/shows/{show_id}/edit")
    await expect(page.get_by_test_id("show-title")).to_have_value(title)
    await assert_accessible(page, "the edit-show form")
    await page.goto("/organizer")
    await expect(page.get_by_test_id("org-show-row").filter(has_text=title)).to_have_count(1)
    await assert_accessible(page, "the list of shows")


async def test_a_sale_seen_from_the_cockpit_refund_and_pause(browser: Browser, server) -> None:
    skip_unless_served(server, *VENUE_ROUTES, *SHOW_ROUTES, *REFUND_ROUTES)
    organizer_context = await new_context(browser, server.url)
    fan_context = await new_context(browser, server.url)
    try:
        organizer = await organizer_context.new_page()
        await sign_in_as_organizer(organizer, create_organizer_account(server))
        venue_id = await import_sample_venue(organizer)
        title = f"Neujahrskonzert {secrets.token_hex(3)}"
        categories = sample_plan()["categories"]
        show_id = await create_show_in_form(organizer, venue_id, title,
                                            prices={categories[0]["name"]: "120", categories[1]["name"]: "45.50"})
        await expect(organizer.get_by_test_id("feed-status")).to_have_attribute("data-state", "live")

        # A fan buys two seats.
        fan = await fan_context.new_page()
        await register(fan, "Grace")
        await open_show_from_search(fan, title, title)
        await fan.get_by_test_id("best-available-count").select_option("2")
        await fan.get_by_test_id("best-available-submit").click()
        await expect(fan.get_by_test_id("hold-seat")).to_have_count(2)
        await fan.get_by_test_id("checkout-button").click()
        await expect(card_frame(fan).get_by_label("Card number")).to_be_visible()
        await fill_card(fan, "4242 4242 4242 4242")
        await fan.get_by_test_id("pay-button").click()
        await expect(fan.get_by_test_id("order-status")).to_have_attribute("data-status", "paid", timeout=30_000)
        order_id = await fan.get_by_test_id("order-page").get_attribute("data-order-id") or ""

        # The cockpit shows the sale (its socket sends within a second; the figure is waited for, not timed).
        await expect(organizer.get_by_test_id("stat-sold")).to_have_attribute("data-value", "2")
        await expect(organizer.get_by_test_id("stat-orders-paid")).to_have_attribute("data-value", "1")
        await screenshot(organizer, "cockpit-refund")  # an artifact; the README's is the demo sale's

        # The organizer refunds one of the two seats.
        await organizer.get_by_test_id("refund-order-id").fill(order_id)
        await organizer.get_by_test_id("refund-find").click()
        await expect(organizer.get_by_test_id("refund-order")).to_have_attribute("data-status", "paid")
        await organizer.get_by_test_id("refund-some").check()
        refunded_seat = await organizer.get_by_test_id("refund-seat").first.get_attribute("data-seat-id") or ""
        await organizer.get_by_test_id("refund-seat").first.check()
        await organizer.get_by_test_id("refund-reason").fill("Restricted view")
        await organizer.get_by_test_id("refund-submit").click()
        await organizer.get_by_test_id("confirm-refund-confirm").click()
        await expect(organizer.get_by_test_id("refund-outcome")).to_contain_text("stays paid")
        await expect(organizer.get_by_test_id("stat-sold")).to_have_attribute("data-value", "1")

        await fan.get_by_test_id("nav-tickets").click()
        await expect(fan.get_by_test_id("ticket-card")).to_have_count(1)
        await open_show_from_search(fan, title, title)
        await show_list_view(fan)
        await list_seat(fan, show_id, refunded_seat)
        await expect(seat_button(fan, refunded_seat)).to_have_attribute("data-status", "available")

        # Paused: the fan's hold is refused, and says why. Resumed: it goes through.
        await organizer.get_by_test_id("sale-pause").click()
        await expect(organizer.get_by_test_id("sale-state")).to_have_text("Paused")
        await seat_button(fan, refunded_seat).click()
        await expect(fan.get_by_test_id("sale-stopped-message")).to_contain_text("paused")
        await organizer.get_by_test_id("sale-resume").click()
        await expect(organizer.get_by_test_id("sale-state")).to_have_text("On sale")
        await seat_button(fan, refunded_seat).click()
        await expect(fan.get_by_test_id("hold-seat")).to_have_count(1)
        await expect(organizer.get_by_test_id("stat-held")).to_have_attribute("data-value", "1")
        assert show_id
    finally:
        await fan_context.close()
        await organizer_context.close()
