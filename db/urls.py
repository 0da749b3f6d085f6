"""What a database URL says, without importing Piccolo (settings read it at every start)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def sqlite_path(database_url: str) -> Path:
    """sqlite:///relative/path (from the project root) or sqlite:////absolute/path, as SQLAlchemy spells it."""
    raw = database_url.split("://", 1)[1]
    raw = raw[1:] if raw.startswith("/") else raw
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path
