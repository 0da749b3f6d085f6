"""The package boundaries of docs/architecture.md, checked by import-linter ([tool.importlinter] in
pyproject.toml): seat-state and waiting-room keys and scripts stay inside their packages, packages form layers and
never import each other, production code never imports the development launcher, db imports nothing of the app.
`just lint` runs the same check. Every module has its place: a new module that no layer names fails here."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from backend.settings import PROJECT_ROOT

CONTRACTS = (
    "Seat-state keys and Lua scripts are private to backend.seats",
    "Waiting-room keys and Lua scripts are private to realtime.waiting_room",
    "Layers, each importing only those below it",
    "The app's assembly: the factory above the wiring of every domain",
    "Realtime inside: the plugin, then its sockets",
    "The waiting room inside: its face, routes and feed above the line",
    "The HTTP edge inside: the middleware above the pieces it runs",
    "Infrastructure inside: leases above the Lua runner",
    "The development launcher: serve above the embedded Valkey",
    "Production code never imports the development launcher or tools/",
    "No two modules or packages directly inside backend import each other",
    "db depends on nothing in backend, realtime or server",
)
# Packages whose direct children must each be named in a layers contract (as a top-level layer or inside its
# container's own contract).
COVERED = ("backend", "realtime", "server", "backend.edge", "backend.infra", "backend.launcher",
           "realtime.waiting_room")


def test_every_import_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    report = " ".join(result.stdout.split())  # the report wraps long contract names
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CONTRACTS:  # all of them ran: none was dropped from pyproject.toml
        assert name in report, f"contract not checked: {name}\n{result.stdout}"
    assert "0 broken" in report


def _layered_names() -> set[str]:
    """Every module or package a layers contract places, as a dotted name."""
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    named: set[str] = set()
    for contract in config["contracts"]:
        if contract["type"] != "layers":
            continue
        containers = contract.get("containers", [""])
        for layer in contract["layers"]:
            for part in layer.replace(":", "|").split("|"):
                for container in containers:
                    named.add(f"{container}.{part.strip()}" if container else part.strip())
    return named


def _children(package: str) -> set[str]:
    folder = PROJECT_ROOT.joinpath(*package.split("."))
    modules = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
    packages = {path.parent.name for path in folder.glob("*/__init__.py")}
    return {f"{package}.{name}" for name in modules | packages}


def test_every_module_has_a_place_in_the_layers() -> None:
    named = _layered_names()
    missing = sorted(child for package in COVERED for child in _children(package) if child not in named)
    assert missing == [], f"modules no layers contract places (add them to pyproject.toml): {missing}"
