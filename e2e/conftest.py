"""End-to-end fixtures: Debian's Chromium driven by Playwright against the real server, its built SPA and the
offline Stripe stand-in. Shares the test environment (databases, Redis/Valkey, server) with tests/."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.conftest import ENV
from tests.support import environment
from tests.support.servers import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

# The patience of an `expect` that names none, as a page's own actions have (new_context): Playwright's 5 s default
# was too short for the stadium's map on CI, where both passes share 2 cores with their servers and browsers (load
# 11). A test that asserts speed names its own timeout.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


async def new_context(browser: Browser, base_url: str, **options) -> BrowserContext:
    context = await browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 860}, **options)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
async def context(browser: Browser, server) -> AsyncIterator[BrowserContext]:
    ctx = await new_context(browser, server.url)
    try:
        yield ctx
    finally:
        await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


async def screenshot(page: Page, name: str) -> None:
    """Saved under e2e/artifacts/ by every run; docs/screenshots/ keeps the copies the README shows."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """What a new user gets from `just serve`: a fresh database holding only the demo season, its own Valkey and
    Stripe stand-in. The README's screenshots are taken here, so they never show another test's shows. Same database
    kind as the run (a fresh PostgreSQL database on the PostgreSQL pass); one waiting-room shopper at a time, so the
    waiting room has a line to show."""
    var_dir = tmp_path_factory.mktemp("demo")
    database_url = f"sqlite:///{var_dir / 'demo.sqlite3'}"
    if ENV.admin_database_url:
        name = f"{urlsplit(ENV.database_url).path.lstrip('/')}_demo"
        asyncio.run(environment.postgres_admin(ENV.admin_database_url, f'CREATE DATABASE "{name}"'))
        parts = urlsplit(ENV.admin_database_url)
        database_url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    env = {"DATABASE_URL": database_url, "REDIS_URL": "", "QUEUE_ACTIVE_SHOPPERS": "1"}
    process = ServerProcess(var_dir=var_dir, env=env, name="demo-server").start(timeout=240)
    try:
        yield process
    finally:
        process.stop()
        if ENV.admin_database_url:
            asyncio.run(environment.postgres_admin(ENV.admin_database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
