"""Browsing: the show list and the stadium's 52,800-seat map render in the real app, on the demo season alone (as a
new user sees it after `just serve`), which is also what the README's screenshots show."""

from __future__ import annotations

import json

from playwright.async_api import Browser, Page, Request, expect

from e2e.conftest import ARTIFACTS, new_context, screenshot


async def test_show_list_and_stadium_map_render(browser: Browser, demo_server) -> None:
    context = await new_context(browser, demo_server.url)
    try:
        page = await context.new_page()
        await page.goto("/")
        await expect(page.get_by_test_id("show-card").first).to_be_visible()
        assert await page.get_by_test_id("show-card").count() == 9
        await screenshot(page, "show-list")
        # Other tests add shows sooner than the stadium's, so find it the way a fan would: by searching.
        await page.get_by_test_id("search-input").fill("Summer Stadium")
        await page.get_by_test_id("search-submit").click()
        await page.get_by_test_id("show-card").filter(has_text="Summer Stadium Fest").get_by_test_id(
            "show-card-link").click()
        canvas = page.get_by_test_id("seat-map-canvas")
        await expect(canvas).to_be_visible()
        stage = page.locator("[data-seat-count]")
        await expect(stage).to_have_attribute("data-seat-count", "52800", timeout=20_000)
        # The show page records the map's first paint as a User Timing measure (no state of its own for it).
        measure = await page.wait_for_function(
            "performance.getEntriesByName('seatmap-first-paint', 'measure').map(m => m.duration)[0]")
        first_paint = round(await measure.json_value())
        assert first_paint > 0
        # A figure for docs/performance.md (the 1.5 s budget is reported there, not asserted).
        (ARTIFACTS / "stadium-first-paint-ms.txt").write_text(str(first_paint))
        await screenshot(page, "stadium-map")
    finally:
        await context.close()


async def _first_paint_from_navigation(page: Page) -> float:
    """When the map was first painted, in ms from the navigation's start (the page's time origin)."""
    handle = await page.wait_for_function(
        "(() => { const m = performance.getEntriesByName('seatmap-first-paint', 'measure')[0];"
        " return m ? m.startTime + m.duration : 0; })()")
    return round(await handle.json_value(), 1)


async def test_stadium_map_from_the_compact_format(browser: Browser, server) -> None:
    """A fan opens the stadium's page directly: the map comes as the venue's layout + the show's status (never the
    legacy 6 MB document), the first paint is timed from the navigation's start, and a reload takes the layout
    from the browser's cache."""
    context = await new_context(browser, server.url)
    try:
        page = await context.new_page()
        found = await page.request.get("/api/v1/shows", params={"q": "Summer Stadium"})
        stadium = (await found.json())["items"][0]["id"]
        # The server warms its layouts when it starts; wait for that (it is not what a fan's page load costs).
        warm = await page.request.get(f"/api/v1/shows/{stadium}/map/status")
        assert warm.ok
        finished: list[Request] = []
        page.on("requestfinished", lambda request: finished.append(request))

        async def map_bytes() -> dict[str, int]:
            sizes = {}
            for request in finished:
                path = request.url.split("?")[0]
                if path.endswith("/map/status") or "/layouts/" in path or path.endswith("/map"):
                    size = await request.sizes()
                    sizes[path.rsplit("/api/v1", 1)[1]] = size["responseBodySize"] + size["responseHeadersSize"]
            finished.clear()
            return sizes

        await page.goto(f"/shows/{stadium}")
        await expect(page.locator("[data-seat-count]")).to_have_attribute("data-seat-count", "52800", timeout=20_000)
        cold_ms = await _first_paint_from_navigation(page)
        cold = await map_bytes()
        assert not any(path.endswith("/map") for path in cold), cold
        assert any("/layouts/" in path for path in cold) and any(path.endswith("/map/status") for path in cold)

        await page.reload()
        await expect(page.locator("[data-seat-count]")).to_have_attribute("data-seat-count", "52800", timeout=20_000)
        warm_ms = await _first_paint_from_navigation(page)
        warm = await map_bytes()
        assert sum(size for path, size in warm.items() if "/layouts/" in path) == 0, warm  # from the HTTP cache
        # Figures for docs/performance.md (budgets are reported there, not asserted here).
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "stadium-first-paint-ms.txt").write_text(f"{cold_ms}\n")
        (ARTIFACTS / "stadium-reload-first-paint-ms.txt").write_text(f"{warm_ms}\n")
        (ARTIFACTS / "stadium-map-bytes.json").write_text(json.dumps({"first load": cold, "reload": warm}) + "\n")
    finally:
        await context.close()
