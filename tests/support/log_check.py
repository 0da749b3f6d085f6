"""After the whole run: no app server's log (what the servers the suite started wrote; the Stripe stand-in's own
log is Stripe's side and is not ours) may hold a `Logging error` (a log call that raised) or a card
number. Fails the run (exit status 1) naming the log and what it holds; `pytest_sessionfinish` runs after the
session's servers were stopped, so their logs are complete."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from backend.edge.card_data import text_has_card_number


def log_problems(text: str) -> list[str]:
    problems = []
    if "Logging error" in text:
        problems.append("a 'Logging error' (a log call raised; its traceback is in the log)")
    if text_has_card_number(text):
        problems.append("a card number")
    return problems


def problems_in_logs(paths: Iterable[Path]) -> dict[Path, list[str]]:
    found = {}
    for path in sorted(set(paths)):
        if not path.exists():
            continue
        problems = log_problems(path.read_text(errors="replace"))
        if problems:
            found[path] = problems
    return found


def fail_session_on_log_problems(session: pytest.Session, paths: Iterable[Path]) -> None:
    found = problems_in_logs(paths)
    if not found:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for path, problems in found.items():
        line = f"server log {path} holds {' and '.join(problems)}"
        if reporter is not None:
            reporter.write_line(f"LOG CHECK FAILED: {line}", red=True, bold=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
