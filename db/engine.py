"""Picks the Piccolo engine from a database URL: a SQLite file, or PostgreSQL.

Takes the URL rather than the app's settings so that `db` depends on nothing in `backend`: piccolo_conf.py, the
migrations and the demo data work with only the URL.
"""

from __future__ import annotations

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from db.urls import is_sqlite, sqlite_path

CONNECT_TIMEOUT_S = 5


def build_engine(database_url: str) -> Engine:
    if is_sqlite(database_url):
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: writers queue behind each other instead of failing with "database is locked".
        return SQLiteEngine(path=str(path), timeout=30)
    dsn = database_url.replace("postgres://", "postgresql://", 1)
    # timeout: how long one connection attempt may take. asyncpg's default (60 s) would make a dead host that does not
    # refuse (a crashed machine) hold every request of a failover for a minute before the standby is tried.
    return PostgresEngine(config={"dsn": dsn, "timeout": CONNECT_TIMEOUT_S}, extensions=())
