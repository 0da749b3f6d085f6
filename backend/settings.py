"""The one place that reads the environment.

Every setting has a safe local default so `just serve` works on a laptop with nothing installed; production
(APP_ENV=production) refuses to start without the secrets and services it must not guess.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from db.urls import is_sqlite, postgres_hosts, sqlite_path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it and says what is expected."""

N = TypeVar("N", int, float)


def _number(env: dict[str, str], name: str, default: N, minimum: N, kind: type[N], what: str) -> N:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {what}, got {raw!r}") from None
    if not value >= minimum:  # also refuses nan
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    return _number(env, name, default, minimum, int, "an integer")


def _float(env: dict[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    value = _number(env, name, default, minimum, float, "a number")
    if value == float("inf"):
        raise SettingsError(f"{name} must be finite, got {value}")
    return value


def _check_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise SettingsError(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}; got {url!r}")
    if parts.scheme in ("postgresql", "postgres"):
        try:
            postgres_hosts(url)
        except ValueError as exc:
            raise SettingsError(f"{name} has an invalid host list ({exc}): {url!r}") from None
        return url
    if parts.scheme not in ("sqlite",) and not parts.hostname:
        raise SettingsError(f"{name} has no host: {url!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
    except ValueError:
        raise SettingsError(f"{name} has an invalid port: {url!r}") from None
    return url


@dataclass(frozen=True)
class Settings:
    app_env: str
    var_dir: Path
    host: str
    port: int
    database_url: str
    redis_url: str | None
    # Redis Cluster startup nodes (host, port); when set, the app talks to the cluster instead of REDIS_URL.
    redis_cluster_nodes: tuple[tuple[str, int], ...]
    hold_ttl_seconds: int
    admission_ttl_seconds: int
    max_seats_per_order: int
    # Waiting room: how many admitted shoppers one queue-enabled show lets in at once.
    queue_active_shoppers: int
    stripe_secret_key: str | None
    stripe_publishable_key: str | None
    stripe_webhook_secret: str | None
    stripe_api_base: str | None
    secret_key: str
    scanner_token: str
    log_level: str
    public_origin: str | None
    # Payments: how often the reconciler reads back pending orders from Stripe (lost webhooks, crashes).
    reconcile_interval_seconds: int = 60
    # How often the payments ledger's head is checkpointed (signed), so deleting its newest rows is detected.
    ledger_checkpoint_seconds: int = 300
    # Waiting room: at most this many admissions a minute per line as well (the outflow valve), 0 for none; a line
    # keeps its first joiner's value, and WaitingRoom.configure changes one show's mid-sale.
    queue_admissions_per_minute: int = 0
    # How much longer a hold lives once its fan says they are paying (once per hold): a slow provider must not
    # cost a fan who paid in time their seats.
    payment_grace_seconds: int = 120
    # How long a process may answer a session from memory instead of Redis (0 turns it off): a sign-out served by
    # another process is seen within this bound (backend/edge/sessions.py).
    session_cache_seconds: float = 1.0
    # Outgoing mail (e-mail verification): smtp://user:pass@host:587 (STARTTLS) or smtps://...:465. Unset outside
    # production: the message is written to the log instead, since no mail server exists on a laptop.
    smtp_url: str | None = None
    mail_from: str = "Showtime <no-reply@showtime.invalid>"
    # New accounts one client address may create per hour (bots registering for a waiting room's draw).
    registrations_per_address_per_hour: int = 10
    # The proxies whose X-Forwarded-For (and -Proto) name the client: addresses or networks. None by default: a
    # client that reaches the server directly, from loopback too, is the address it connects from.
    forwarded_allow_ips: tuple[str, ...] = ()
    # Where the worker processes keep their Prometheus metrics (prometheus_client's multiprocess mode); `just serve`
    # uses var/prometheus when unset.
    prometheus_multiproc_dir: Path | None = None

    @property
    def redis_cluster(self) -> bool:
        return bool(self.redis_cluster_nodes)

    @property
    def redis_configured(self) -> bool:
        """A Redis is named (a server or a cluster); otherwise `just serve` starts the embedded Valkey."""
        return bool(self.redis_url or self.redis_cluster_nodes)

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def cheap_password_hashing(self) -> bool:
        """APP_ENV=test only: argon2id at its cheapest parameters. The suite registers and signs in thousands of
        fans on both its CI passes, at ~0.2 s of CPU each with the real parameters; nothing else ever gets it."""
        return self.app_env == "test"

    @property
    def database_is_sqlite(self) -> bool:
        return is_sqlite(self.database_url)

    @property
    def sqlite_path(self) -> Path:
        return sqlite_path(self.database_url)


def _cluster_nodes(env: dict[str, str]) -> tuple[tuple[str, int], ...]:
    raw = env.get("REDIS_CLUSTER_NODES") or ""
    nodes = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(f"REDIS_CLUSTER_NODES must be host:port[,host:port...]; got {item!r}")
        nodes.append((host.strip("[]"), int(port)))
    return tuple(nodes)


def _forwarded_allow_ips(env: dict[str, str]) -> tuple[str, ...]:
    raw = env.get("FORWARDED_ALLOW_IPS") or ""
    proxies = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item)  # as uvicorn reads it: a network with host bits set is refused
        except ValueError:
            raise SettingsError(f"FORWARDED_ALLOW_IPS must list proxy addresses or networks (e.g. 10.0.0.5,10.0.1.0/24);"
                                f" got {item!r}") from None
        proxies.append(item)
    return tuple(proxies)


def _secret_key(env: dict[str, str], var_dir: Path, production: bool) -> str:
    if env.get("SECRET_KEY"):
        if production and len(env["SECRET_KEY"]) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters in production")
        return env["SECRET_KEY"]
    if production:
        raise SettingsError("SECRET_KEY is required when APP_ENV=production")
    # Development: generate once and keep it, so sessions and ticket codes survive restarts.
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _var_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("VAR_DIR") or PROJECT_ROOT / "var").resolve()


def _database_url(env: Mapping[str, str]) -> str:
    url = env.get("DATABASE_URL") or f"sqlite:///{_var_dir(env) / 'showtime.sqlite3'}"
    return _check_url("DATABASE_URL", url, ("sqlite", "postgresql", "postgres"))


def database_url() -> str:
    """The database URL alone, read as load_settings reads it but with no side effect (no secret key written):
    for piccolo_conf.py, which Piccolo's tools import without the app."""
    return _database_url(os.environ)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    app_env = env.get("APP_ENV", "development")
    if app_env not in ("development", "test", "production"):
        raise SettingsError(f"APP_ENV must be development, test or production; got {app_env!r}")
    production = app_env == "production"
    var_dir = _var_dir(env)
    database_url = _database_url(env)
    redis_url = env.get("REDIS_URL") or None
    if redis_url:
        _check_url("REDIS_URL", redis_url, ("redis", "rediss", "valkey"))
    redis_cluster_nodes = _cluster_nodes(env)
    if redis_url and redis_cluster_nodes:
        raise SettingsError("set REDIS_URL (one server) or REDIS_CLUSTER_NODES (a cluster), not both")

    if production:
        missing = [
            name
            for name in ("DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
                         "STRIPE_WEBHOOK_SECRET", "SCANNER_TOKEN", "PUBLIC_ORIGIN", "SMTP_URL")
            if not env.get(name)
        ]
        if not (redis_url or redis_cluster_nodes):
            missing.insert(1, "REDIS_URL or REDIS_CLUSTER_NODES")
        if missing:
            raise SettingsError(f"APP_ENV=production needs these settings: {', '.join(missing)}")
    stripe_secret = env.get("STRIPE_SECRET_KEY") or None
    if stripe_secret and not stripe_secret.startswith(("sk_", "rk_")):
        raise SettingsError("STRIPE_SECRET_KEY must start with sk_ or rk_")

    log_level = env.get("LOG_LEVEL", "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL; got {log_level!r}")
    public_origin = env.get("PUBLIC_ORIGIN") or None
    if public_origin:
        _check_url("PUBLIC_ORIGIN", public_origin, ("http", "https"))
    smtp_url = env.get("SMTP_URL") or None
    if smtp_url:
        _check_url("SMTP_URL", smtp_url, ("smtp", "smtps"))

    return Settings(
        app_env=app_env,
        var_dir=var_dir,
        host=env.get("HOST", "127.0.0.1"),
        port=_int(env, "PORT", 8000),
        database_url=database_url,
        redis_url=redis_url,
        redis_cluster_nodes=redis_cluster_nodes,
        hold_ttl_seconds=_int(env, "HOLD_TTL_SECONDS", 480),
        admission_ttl_seconds=_int(env, "ADMISSION_TTL_SECONDS", 600),
        max_seats_per_order=_int(env, "MAX_SEATS_PER_ORDER", 8),
        queue_active_shoppers=_int(env, "QUEUE_ACTIVE_SHOPPERS", 100),
        queue_admissions_per_minute=_int(env, "QUEUE_ADMISSIONS_PER_MINUTE", 0, minimum=0),
        reconcile_interval_seconds=_int(env, "RECONCILE_INTERVAL_SECONDS", 60),
        ledger_checkpoint_seconds=_int(env, "LEDGER_CHECKPOINT_SECONDS", 300),
        payment_grace_seconds=_int(env, "PAYMENT_GRACE_SECONDS", 120),
        session_cache_seconds=_float(env, "SESSION_CACHE_SECONDS", 1.0, minimum=0.0),
        stripe_secret_key=stripe_secret,
        stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY") or None,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_api_base=env.get("STRIPE_API_BASE") or None,
        secret_key=_secret_key(env, var_dir, production),
        scanner_token=env.get("SCANNER_TOKEN") or "dev-scanner-token",
        log_level=log_level,
        public_origin=public_origin,
        smtp_url=smtp_url,
        mail_from=env.get("MAIL_FROM") or "Showtime <no-reply@showtime.invalid>",
        registrations_per_address_per_hour=_int(env, "REGISTRATIONS_PER_ADDRESS_PER_HOUR", 10),
        forwarded_allow_ips=_forwarded_allow_ips(env),
        prometheus_multiproc_dir=Path(env["PROMETHEUS_MULTIPROC_DIR"]).resolve()
        if env.get("PROMETHEUS_MULTIPROC_DIR") else None,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
