"""What an organizer does in the browser: an account made the way an operator makes one, sign in, a venue imported
from the sample plan, a show created, its cockpit opened. And the check that the server has the organizer routes at
all: the tests that need them skip, naming what is missing, until the backend has them."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from backend.settings import PROJECT_ROOT
from tests.conftest import STRONG_PASSWORD
from tests.support.servers import ServerProcess

SAMPLE_PLAN = Path(PROJECT_ROOT) / "db" / "plans" / "musikverein.json"

# API.md, "Organizers": what each test needs of the served OpenAPI document (path parameters compared by position).
VENUE_ROUTES = ("/api/v1/organizer/venues",)
SHOW_ROUTES = (
    "/api/v1/organizer/shows",
    "/api/v1/organizer/shows/{show_id}/sale",
    "/api/v1/organizer/shows/{show_id}/queue",
    "/api/v1/organizer/shows/{show_id}/dashboard",
    "/api/v1/organizer/shows/{show_id}/cancel",
)
REFUND_ROUTES = ("/api/v1/organizer/orders/{order_id}/refund",)


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")


def skip_unless_served(server: ServerProcess, *needed: str) -> None:
    """Skips the test (with the missing routes as its reason) while the backend does not serve them yet."""
    document = httpx.get(f"{server.url}/schema/openapi.json", timeout=30).json()
    served = {_shape(p) for p in document.get("paths", {})}
    missing = [p for p in needed if _shape(p) not in served]
    if missing:
        pytest.skip(f"the backend does not serve these organizer routes yet: {', '.join(missing)}")
    if not SAMPLE_PLAN.exists():
        pytest.skip(f"the sample seating plan {SAMPLE_PLAN} is not in this tree yet")


def create_organizer_account(server: ServerProcess, organization: str | None = None) -> str:
    """An organizer of a new organization in that server's database, made as an operator makes one (the command line:
    `just create-organizer`)."""
    email = f"org-{secrets.token_hex(4)}@example.com"
    organization = organization or f"E2E Konzerte {secrets.token_hex(3)}"
    env = {**os.environ, **server.env, "VAR_DIR": str(server.var_dir)}
    subprocess.run([sys.executable, "-m", "backend.organizer.staff", "create-organizer", email, organization,
                    "--name", "Olga Organizer", "--password", STRONG_PASSWORD],
                   env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    return email


async def sign_in_as_organizer(page: Page, email: str) -> None:
    await page.goto("/organizer")
    await page.get_by_test_id("signin-prompt").get_by_role("link").click()
    await page.get_by_test_id("signin-email").fill(email)
    await page.get_by_test_id("signin-password").fill(STRONG_PASSWORD)
    await page.get_by_test_id("signin-submit").click()
    await expect(page.get_by_test_id("organizer-app")).to_be_visible()
    await expect(page.get_by_test_id("nav-organizer")).to_be_visible()


def sample_plan() -> dict:
    return json.loads(SAMPLE_PLAN.read_text(encoding="utf-8"))


def seat_count(plan: dict) -> int:
    return sum(len(row["seats"]) for zone in plan["zones"] for row in zone["rows"])


async def import_plan(page: Page, path: Path, city: str = "Wien", lat: str = "48.2008", lng: str = "16.3725") -> None:
    """On the venues page: choose the file, give the venue's place, import (the name comes from the plan)."""
    await page.goto("/organizer/venues")
    await page.get_by_test_id("venue-file").set_input_files(str(path))
    await expect(page.get_by_test_id("plan-summary")).to_be_visible()
    await page.get_by_test_id("venue-city").fill(city)
    await page.get_by_test_id("venue-lat").fill(lat)
    await page.get_by_test_id("venue-lng").fill(lng)
    await page.get_by_test_id("venue-import-submit").click()


async def import_sample_venue(page: Page) -> str:
    """The sample plan imported; the new venue's id."""
    await import_plan(page, SAMPLE_PLAN)
    await expect(page.get_by_test_id("import-status")).to_have_attribute("data-step", "done", timeout=60_000)
    row = page.get_by_test_id("venue-row").first
    await expect(row).to_be_visible()
    return await row.get_attribute("data-venue-id") or ""


async def create_show_in_form(page: Page, venue_id: str, title: str, *, prices: dict[str, str] | None = None,
                              queue: tuple[int, int] | None = None) -> str:
    """The new-show form filled as an organizer would: on sale since 2020, the show in 2031; one price per category
    (the first ones given, the rest 40). Returns the show's id, from the cockpit it opens."""
    await page.goto(f"/organizer/shows/new?venue={venue_id}")
    await page.get_by_test_id("show-title").fill(title)
    await page.get_by_test_id("show-description").fill("An evening made by the end-to-end tests.")
    await page.get_by_test_id("show-startsAt").fill("2031-05-01T19:30")
    await page.get_by_test_id("show-saleOpensAt").fill("2020-01-01T10:00")
    await page.get_by_test_id("show-currency").fill("EUR")
    inputs = page.get_by_test_id("show-price")
    given = dict(prices or {})
    for i in range(await inputs.count()):
        field = inputs.nth(i)
        category = await field.get_attribute("data-category") or ""
        await field.fill(given.get(category, "40"))
    if queue:
        await page.get_by_test_id("show-queue-enabled").check()
        await page.get_by_test_id("show-capacity").fill(str(queue[0]))
        await page.get_by_test_id("show-outflow").fill(str(queue[1]))
    await page.get_by_test_id("show-submit").click()
    cockpit = page.get_by_test_id("cockpit")
    await expect(cockpit).to_be_visible()
    return await cockpit.get_attribute("data-show-id") or ""
