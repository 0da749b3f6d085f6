"""Command-line flags and environment variables, read in one place."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 12111
    state_file: Path = Path("var/stripe-standin.json")
    # Well-known local test values, not secrets: the stand-in never holds real money or cards.
    secret_key: str = "sk_test_standin"  # noqa: S105
    publishable_key: str = "pk_test_standin"
    webhook_secret: str = "whsec_standin"  # noqa: S105
    # Empty means "no endpoint": events are still recorded, just never sent.
    webhook_url: str = "http://127.0.0.1:8000/api/v1/payments/stripe/webhook"
    webhook_max_attempts: int = 12
    # Deliveries in flight at once, as Stripe sends several at a time.
    webhook_concurrency: int = 16
    # How long a payment of a settling-later test method stays `processing` (cards.SETTLING_LATER).
    processing_seconds: float = 5.0
    log_level: str = "info"


# flag -> (environment variable, type)
_OPTIONS: dict[str, tuple[str, type]] = {
    "host": ("STANDIN_HOST", str),
    "port": ("STANDIN_PORT", int),
    "state_file": ("STANDIN_STATE_FILE", Path),
    "secret_key": ("STRIPE_SECRET_KEY", str),
    "publishable_key": ("STRIPE_PUBLISHABLE_KEY", str),
    "webhook_secret": ("STRIPE_WEBHOOK_SECRET", str),
    "webhook_url": ("STANDIN_WEBHOOK_URL", str),
    "webhook_max_attempts": ("STANDIN_WEBHOOK_MAX_ATTEMPTS", int),
    "webhook_concurrency": ("STANDIN_WEBHOOK_CONCURRENCY", int),
    "processing_seconds": ("STANDIN_PROCESSING_SECONDS", float),
    "log_level": ("STANDIN_LOG_LEVEL", str),
}


def load_settings(argv: Sequence[str] | None, environ: Mapping[str, str]) -> Settings:
    """Flags beat environment variables, which beat the defaults."""
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m tools.stripe_standin",
        description="Offline stand-in for the Stripe API, Stripe.js and Stripe webhooks.",
    )
    for name, (env_name, kind) in _OPTIONS.items():
        default = environ.get(env_name, getattr(defaults, name))
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=kind,
            default=default,  # argparse converts a string default (from the environment) with `type`
            help=f"(env {env_name}, default {getattr(defaults, name)!s})",
        )
    args = parser.parse_args(argv)
    settings = Settings(**vars(args))
    problems = []
    if not settings.secret_key.startswith("sk_"):
        problems.append("the secret key must start with sk_")
    if not settings.publishable_key.startswith("pk_"):
        problems.append("the publishable key must start with pk_")
    if not settings.webhook_secret:
        problems.append("the webhook secret must not be empty")
    if settings.webhook_url and not _http_url(settings.webhook_url):
        problems.append("--webhook-url must be an http:// or https:// URL (or empty: no endpoint)")
    if settings.webhook_max_attempts < 1:
        problems.append("--webhook-max-attempts must be at least 1")
    if settings.webhook_concurrency < 1:
        problems.append("--webhook-concurrency must be at least 1")
    if not settings.processing_seconds >= 0:
        problems.append("--processing-seconds must not be negative")
    if problems:
        parser.error("; ".join(problems))
    return settings


def _http_url(url: str) -> bool:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError when the port is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
