"""The settings module: safe local defaults, a clear refusal of a broken or incomplete production setup, and the one
place that reads them (the database package and Piccolo's configuration take only the URL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import SettingsError, load_settings
from db.urls import postgres_hosts

PRODUCTION = {
    "APP_ENV": "production", "DATABASE_URL": "postgresql://app@db:5432/tickets", "REDIS_URL": "redis://cache:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "SECRET_KEY": "s" * 48, "SCANNER_TOKEN": "scan", "PUBLIC_ORIGIN": "https://tickets.example",
    "SMTP_URL": "smtp://mailer:secret@smtp.example:587",
}


def test_development_defaults(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    assert settings.database_is_sqlite and settings.sqlite_path == tmp_path / "showtime.sqlite3"
    assert settings.redis_url is None and settings.stripe_secret_key is None
    assert (settings.hold_ttl_seconds, settings.admission_ttl_seconds, settings.max_seats_per_order) == (480, 600, 8)
    # The generated secret is kept, so sessions and ticket codes survive a restart.
    assert load_settings({"VAR_DIR": str(tmp_path)}).secret_key == settings.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_complete_production_settings_load(tmp_path: Path) -> None:
    settings = load_settings({**PRODUCTION, "VAR_DIR": str(tmp_path)})
    assert settings.production and settings.stripe_secret_key and not settings.database_is_sqlite


def test_only_the_test_suite_hashes_passwords_cheaply(tmp_path: Path) -> None:
    assert not load_settings({**PRODUCTION, "VAR_DIR": str(tmp_path)}).cheap_password_hashing
    assert not load_settings({"VAR_DIR": str(tmp_path)}).cheap_password_hashing
    assert not load_settings({"APP_ENV": "development", "VAR_DIR": str(tmp_path)}).cheap_password_hashing
    assert load_settings({"APP_ENV": "test", "VAR_DIR": str(tmp_path)}).cheap_password_hashing


@pytest.mark.parametrize(("app_env", "memory_kib"), [("development", 65536), ("test", 8)])
def test_the_app_hashes_with_the_parameters_its_environment_allows(tmp_path: Path, app_env: str,
                                                                    memory_kib: int) -> None:
    code = "from backend.accounts.passwords import hash_password; import asyncio; print(asyncio.run(hash_password('x')))"
    env = {**os.environ, "APP_ENV": app_env, "VAR_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"$argon2id$v=19$m={memory_kib},"), done.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "STRIPE_SECRET_KEY", "REDIS_URL", "DATABASE_URL", "SMTP_URL"])
def test_production_names_what_is_missing(tmp_path: Path, missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing} | {"VAR_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match=missing):
        load_settings(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_URL", "mysql://x"), ("DATABASE_URL", "postgresql://:notaport/db"),
     ("DATABASE_URL", "postgresql://app@db1:5432,:5433/db"), ("DATABASE_URL", "postgresql://app@db1:5432,db2:x/db"),
     ("REDIS_URL", "http://x"),
     ("REDIS_URL", "redis://"), ("HOLD_TTL_SECONDS", "soon"), ("HOLD_TTL_SECONDS", "0"), ("LOG_LEVEL", "LOUD"),
     ("APP_ENV", "staging"), ("STRIPE_SECRET_KEY", "pk_test_wrong_kind"),
     ("REDIS_CLUSTER_NODES", "10.0.0.1"), ("REDIS_CLUSTER_NODES", "10.0.0.1:7000,:7001"),
     ("REDIS_CLUSTER_NODES", "10.0.0.1:99999"), ("FORWARDED_ALLOW_IPS", "*"),
     ("FORWARDED_ALLOW_IPS", "haproxy.internal"), ("FORWARDED_ALLOW_IPS", "10.0.1.5/24")],
)
def test_malformed_settings_fail_fast_naming_the_setting(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"VAR_DIR": str(tmp_path), name: value})


def test_a_multi_host_database_url_names_the_primary_and_its_standby(tmp_path: Path) -> None:
    url = "postgresql://app@db1:5432,db2:5433/tickets?target_session_attrs=read-write"
    assert load_settings({"VAR_DIR": str(tmp_path), "DATABASE_URL": url}).database_url == url
    assert postgres_hosts(url) == [("db1", 5432), ("db2", 5433)]
    assert postgres_hosts("postgresql://app@[fd00::2]:5432,[fd00::3]/tickets") == [("fd00::2", 5432), ("fd00::3", None)]


# Imports the database package, then Piccolo's configuration, in a fresh interpreter: `db` must not pull in the app,
# and piccolo_conf.py must find the database without generating the development secret key.
DB_ALONE = """
import sys
import db.demo_data, db.engine, db.manage, db.tables, db.urls
assert not [m for m in sys.modules if m.split('.')[0] == 'backend'], sorted(sys.modules)
import piccolo_conf
print(piccolo_conf.DB.path)
"""


def test_database_package_and_piccolo_conf_read_no_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")} | {"VAR_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", DB_ALONE], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "showtime.sqlite3")
    assert not (tmp_path / "secret_key").exists()


def test_forwarding_headers_are_trusted_from_no_one_unless_proxies_are_named(tmp_path: Path) -> None:
    assert load_settings({"VAR_DIR": str(tmp_path)}).forwarded_allow_ips == ()
    named = load_settings({"VAR_DIR": str(tmp_path), "FORWARDED_ALLOW_IPS": " 10.0.0.5, 10.0.1.0/24,::1 "})
    assert named.forwarded_allow_ips == ("10.0.0.5", "10.0.1.0/24", "::1")


def test_a_cluster_is_named_by_its_startup_nodes(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path), "REDIS_CLUSTER_NODES": "10.0.0.1:7000, 10.0.0.2:7001,"})
    assert settings.redis_cluster and settings.redis_configured and settings.redis_url is None
    assert settings.redis_cluster_nodes == (("10.0.0.1", 7000), ("10.0.0.2", 7001))
    production = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    assert load_settings({**production, "VAR_DIR": str(tmp_path), "REDIS_CLUSTER_NODES": "cache:7000"}).redis_cluster


def test_one_server_and_a_cluster_at_once_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="REDIS_CLUSTER_NODES"):
        load_settings({"VAR_DIR": str(tmp_path), "REDIS_URL": "redis://a:6379/0", "REDIS_CLUSTER_NODES": "b:7000"})
