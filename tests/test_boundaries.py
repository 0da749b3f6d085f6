"""The package boundaries of docs/architecture.md, checked by import-linter ([tool.importlinter] in
pyproject.toml): seat-state keys and scripts stay inside backend.seats, packages form layers and never import
each other, db imports nothing from backend. `just lint` runs the same check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from backend.settings import PROJECT_ROOT

CONTRACTS = (
    "Seat-state keys and Lua scripts are private to backend.seats",
    "Layers, each importing only those below it",
    "The organizer domain changes seat state only through backend.seats and money only through backend.payments",
    "No two modules or packages directly inside backend import each other",
    "db depends on nothing in backend or realtime",
)


def test_every_import_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    report = " ".join(result.stdout.split())  # the report wraps long contract names
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CONTRACTS:  # all of them ran: none was dropped from pyproject.toml
        assert name in report, f"contract not checked: {name}\n{result.stdout}"
    assert "0 broken" in report
