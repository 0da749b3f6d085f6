"""Picks the Piccolo engine from settings: SQLite file by default, PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from backend.settings import Settings


def build_engine(settings: Settings) -> Engine:
    if settings.database_is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: writers queue behind each other instead of failing with "database is locked".
        return SQLiteEngine(path=str(settings.sqlite_path), timeout=30)
    dsn = settings.database_url.replace("postgres://", "postgresql://", 1)
    return PostgresEngine(config={"dsn": dsn}, extensions=())
