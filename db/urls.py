"""What a database URL says, without importing Piccolo (settings read it at every start)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def sqlite_path(database_url: str) -> Path:
    """sqlite:///relative/path (from the project root) or sqlite:////absolute/path, as SQLAlchemy spells it."""
    raw = database_url.split("://", 1)[1]
    raw = raw[1:] if raw.startswith("/") else raw
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


def postgres_hosts(database_url: str) -> list[tuple[str, int | None]]:
    """The (host, port) pairs of a PostgreSQL URL, which may name several: `postgresql://user@h1:5432,h2:5432/db`
    (libpq's and asyncpg's multi-host form; with `?target_session_attrs=read-write` the client keeps the host that
    accepts writes, so a promoted standby takes over without a configuration change). ValueError when a host is
    missing or a port is not a number."""
    netloc = urlsplit(database_url).netloc
    hosts = netloc.rpartition("@")[2]
    pairs: list[tuple[str, int | None]] = []
    for item in hosts.split(","):
        if item.startswith("["):  # an IPv6 literal: [::1]:5432
            host, _, rest = item[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            host, _, port = item.partition(":")
        if not host:
            raise ValueError(f"a host is missing in {hosts!r}")
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"invalid port {port!r}")
        pairs.append((host, int(port) if port else None))
    return pairs
