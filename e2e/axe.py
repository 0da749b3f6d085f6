"""Accessibility checks in the browser: axe-core (npm's `axe-core`, a dev dependency of the web app) injected into the
page as it is, run over the whole document against WCAG 2.x A and AA, and failed on any serious or critical
violation, named with the elements it found them on."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.async_api import Page

AXE_SCRIPT = Path(__file__).resolve().parent.parent / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = frozenset({"serious", "critical"})


async def axe_violations(page: Page, include: str | None = None) -> list[dict]:
    """Every violation axe finds on the page (or inside the `include` selector), any impact."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"{AXE_SCRIPT} is missing: install the web app's dev dependencies (`just setup`)")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated rather than added as a <script>: the app's Content-Security-Policy refuses inline scripts, and
        # rightly; the test's own evaluation is not the page's script.
        await page.evaluate(f"{AXE_SCRIPT.read_text(encoding='utf-8')}\n;undefined")
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    result = await page.evaluate(
        "([include, options]) => window.axe.run(include ? { include: [include] } : document, options)",
        [include, options])
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(json.dumps(node["target"]) for node in v["nodes"][:5])
        lines.append(f"- {v['impact']}: {v['id']} ({v['help']}) on {targets}")
    return "\n".join(lines)


async def assert_accessible(page: Page, what: str, include: str | None = None) -> list[dict]:
    """No serious or critical violation on the page; returns the lesser ones (moderate, minor) for the caller to see."""
    violations = await axe_violations(page, include)
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"axe-core finds serious or critical violations on {what}:\n{describe(blocking)}"
    return violations
