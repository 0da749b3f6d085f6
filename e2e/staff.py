"""What gate staff do in the browser: sign in with a scanner account, open the scanner, check codes."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from playwright.async_api import Page, expect

from backend.settings import PROJECT_ROOT
from tests.conftest import STRONG_PASSWORD
from tests.support.servers import ServerProcess


def create_scanner_account(server: ServerProcess) -> str:
    """A scanner account in that server's database, made the way an operator makes one (the command line)."""
    email = f"gate-{secrets.token_hex(4)}@example.com"
    env = {**os.environ, **server.env, "VAR_DIR": str(server.var_dir)}
    subprocess.run([sys.executable, "-m", "backend.accounts.staff", "create-scanner", email, "--name", "Gate staff",
                    "--password", STRONG_PASSWORD], env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    return email


async def sign_in_to_scanner(page: Page, email: str) -> None:
    await page.goto("/scan")
    await page.get_by_test_id("signin-prompt").get_by_role("link").click()
    await page.get_by_test_id("signin-email").fill(email)
    await page.get_by_test_id("signin-password").fill(STRONG_PASSWORD)
    await page.get_by_test_id("signin-submit").click()
    await expect(page.get_by_test_id("scan-page")).to_be_visible()
    await expect(page.get_by_test_id("nav-scan")).to_be_visible()


async def start_scanning(page: Page, show_id: str, gate: str) -> None:
    # The gate's link names its show: the suite has more upcoming shows than the page's list of the next 50.
    await page.goto(f"/scan?show={show_id}")
    await expect(page.get_by_test_id("scan-page")).to_be_visible()
    await page.get_by_test_id("scan-show-select").select_option(show_id)
    await page.get_by_test_id("scan-gate").fill(gate)
    await page.get_by_test_id("scan-start").click()
    await expect(page.get_by_test_id("scanner")).to_be_visible()


async def scan(page: Page, code: str) -> str:
    """Type a code as a hand-held scanner does (text, then Enter) and read the verdict."""
    count = page.get_by_test_id("scan-count")
    before = int(await count.inner_text())
    await page.get_by_test_id("scan-input").fill(code)
    await page.get_by_test_id("scan-input").press("Enter")
    await expect(count).to_have_text(str(before + 1))
    return await page.get_by_test_id("scan-result").get_attribute("data-result") or ""
