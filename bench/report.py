"""Writes one benchmark's section of docs/performance.md, leaving the other benchmarks' sections as they are."""

from __future__ import annotations

import os
import platform
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

PERFORMANCE_MD = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADER = "# Performance\n\nFigures measured by the benchmarks in `bench/` (`just bench`), on the machine named in each section.\n"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section between `<!-- bench:name -->` markers."""
    PERFORMANCE_MD.parent.mkdir(parents=True, exist_ok=True)
    text = PERFORMANCE_MD.read_text() if PERFORMANCE_MD.exists() else HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"<!-- bench:{name} -->\n{body.rstrip()}\n\n_Measured {stamp} on {machine()}._\n<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    PERFORMANCE_MD.write_text(text)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile by nearest rank (NaN for no values)."""
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


def prepare_environment() -> Path:
    """A fresh var dir, and a fresh SQLite database in it unless DATABASE_URL names PostgreSQL. Call before
    anything imports Piccolo's configuration."""
    var_dir = Path(tempfile.mkdtemp(prefix="showtime-bench-"))
    os.environ["VAR_DIR"] = str(var_dir)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    return var_dir


def bind_database() -> None:
    """Run from the project root with Piccolo bound to the bench database."""
    os.chdir(Path(__file__).resolve().parent.parent)
    import piccolo_conf  # noqa: F401 - importing it binds Piccolo's engine


def publish(section: str, body: str, dry_run: bool = False) -> None:
    """Print the section, and write it into docs/performance.md unless this is a dry run."""
    if not dry_run:
        write_section(section, body)
    print(body)
