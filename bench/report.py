"""Writes one benchmark's section of docs/performance.md, leaving the other benchmarks' sections as they are."""

from __future__ import annotations

import asyncio
import os
import platform
import re
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


@contextmanager
def bench_environment() -> Iterator[Path]:
    """Like prepare_environment, but with DATABASE_URL naming a PostgreSQL server, a database of the bench's own
    (a unique name) is made there for the run and dropped afterwards: the server's other databases stay as
    they are."""
    from tests.support.environment import postgres_admin

    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgresql://", "postgres://")):
        yield prepare_environment()
        return
    admin_url = given.replace("postgres://", "postgresql://", 1)
    name = f"showtime_bench_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(postgres_admin(admin_url, f'CREATE DATABASE "{name}"'))
    parts = urlsplit(admin_url)
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    try:
        yield prepare_environment()
    finally:
        asyncio.run(postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        os.environ["DATABASE_URL"] = given


def bind_database() -> None:
    """Run from the project root with Piccolo bound to the bench database."""
    os.chdir(Path(__file__).resolve().parent.parent)
    import piccolo_conf  # noqa: F401 - importing it binds Piccolo's engine


def publish(section: str, body: str, dry_run: bool = False) -> None:
    """Print the section, and write it into docs/performance.md unless this is a dry run."""
    if not dry_run:
        write_section(section, body)
    print(body)
