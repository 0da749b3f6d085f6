"""The demo season's sale seen from its organizer's cockpit, as a new user sees it after `just serve` and
`just create-organizer EMAIL "Showtime Demo"`: fans buy and hold seats of Hamlet at the Lyric Theatre, the
organizer of the demo organization opens that show from the list of its shows and the cockpit counts them live.
The README's cockpit screenshot is taken here."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from db.demo_data import DEMO_ORGANIZATION
from e2e.conftest import new_context, screenshot
from e2e.organizers import create_organizer_account, sign_in_as_organizer
from tests.conftest import STRONG_PASSWORD, unique_email
from tests.payments.helpers import Standin, checkout, order_status_becomes

TITLE = "Hamlet"
PURCHASES = (2, 4, 3)  # seats each fan buys, best available
HELD = 2  # seats one more fan holds and has not paid for yet


async def _fan(server) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.url, timeout=30)
    response = await client.post("/api/v1/auth/register",
                                 json={"email": unique_email("demo"), "password": STRONG_PASSWORD, "name": "Fan"})
    assert response.status_code == 201, response.text
    return client


async def _hold_best(client: httpx.AsyncClient, show_id: str, count: int) -> dict:
    response = await client.post(f"/api/v1/shows/{show_id}/holds", json={"best_available": {"count": count}})
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_demo_sale_in_its_organizers_cockpit(browser: Browser, demo_server) -> None:
    async with httpx.AsyncClient(base_url=demo_server.url) as anon:
        items = (await anon.get("/api/v1/shows", params={"q": TITLE})).json()["items"]
    show_id = next(s["id"] for s in items if s["title"] == TITLE)
    organizer = create_organizer_account(demo_server, DEMO_ORGANIZATION)
    sold, paid = await _sold_and_paid(demo_server, organizer, show_id)

    fans = [await _fan(demo_server) for _ in range(len(PURCHASES) + 1)]
    context = await new_context(browser, demo_server.url)
    try:
        for client, count in zip(fans, PURCHASES, strict=False):
            held = await _hold_best(client, show_id, count)
            response = await checkout(client, show_id, held["hold_id"])
            assert response.status_code == 201, response.text
            order = response.json()
            await Standin(demo_server).pay(order["payment"]["client_secret"])
            await order_status_becomes(client, order["order_id"], "paid", timeout=30)
        await _hold_best(fans[-1], show_id, HELD)

        page = await context.new_page()
        await sign_in_as_organizer(page, organizer)
        await page.goto("/organizer")
        row = page.locator(f'[data-testid="org-show-row"][data-show-id="{show_id}"]')
        await expect(row).to_have_count(1)
        await row.get_by_test_id("org-show-cockpit").click()
        await expect(page.get_by_test_id("cockpit")).to_have_attribute("data-show-id", show_id)
        await expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "live")
        await expect(page.get_by_test_id("stat-sold")).to_have_attribute("data-value", str(sold + sum(PURCHASES)))
        await expect(page.get_by_test_id("stat-orders-paid")).to_have_attribute(
            "data-value", str(paid + len(PURCHASES)))
        await expect(page.get_by_test_id("stat-held")).not_to_have_attribute("data-value", "0")
        await screenshot(page, "cockpit")
    finally:
        await context.close()
        for client in fans:
            await client.aclose()


async def _sold_and_paid(server, organizer: str, show_id: str) -> tuple[int, int]:
    """What the demo sale had sold before this test (other tests on the demo server buy Hamlet too)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        response = await client.post("/api/v1/auth/login", json={"email": organizer, "password": STRONG_PASSWORD})
        assert response.status_code == 200, response.text
        response = await client.get(f"/api/v1/organizer/shows/{show_id}/dashboard")
        assert response.status_code == 200, response.text
        dashboard = response.json()
    return dashboard["seats"]["sold"], dashboard["orders"]["paid"]
