"""`just serve`'s launcher as a new user runs it: embedded Valkey and the Stripe stand-in start, demo data loads,
and Ctrl-C leaves no orphan process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from backend.launcher.processes import free_port, spawn, wait_until


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
        for child in map(int, out):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_serve_starts_embedded_services_and_ctrl_c_stops_them_all() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="showtime-serve-"))
    port = free_port()
    # A fresh clone's environment: nothing configured, so the launcher makes its own secret key too.
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "STRIPE_SECRET_KEY", "DATABASE_URL", "SECRET_KEY")}
    env.update(VAR_DIR=str(var_dir), PORT=str(port))
    # spawn(): the launcher dies with this test process even if pytest itself is killed.
    launcher = spawn([sys.executable, "-m", "backend.launcher.serve"], env=env, log_path=str(var_dir / "serve.log"))
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, 120,
                   "just serve", launcher)
        shows = httpx.get(f"http://127.0.0.1:{port}/api/v1/shows", params={"limit": 100}).json()["items"]
        assert len(shows) >= 8
        children = _descendants(launcher.pid)
        names = {Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in children
                 if Path(f"/proc/{pid}/cmdline").exists()}
        assert any("valkey-server" in name for name in names), names
        assert any("tools.stripe_standin" in name for name in names), names
        # No secret on any command line: `ps` shows those to every user of the host.
        assert not [name for name in names if "whsec_" in name or "sk_test" in name or "--secret" in name], names
        assert (var_dir / "showtime.sqlite3").exists() and (var_dir / "secret_key").exists()
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            launcher.kill()
            raise
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "orphans left behind"


def _child(launcher_pid: int, marker: str) -> int:
    for pid in _descendants(launcher_pid):
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and marker in cmdline.read_text():
            return pid
    raise AssertionError(f"no child running {marker}")


def _launch(var_dir: Path, *args: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    # A fresh clone's environment: nothing configured, so the launcher makes its own secret key too.
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "STRIPE_SECRET_KEY", "DATABASE_URL", "SECRET_KEY")}
    env.update(VAR_DIR=str(var_dir), PORT=str(port))
    launcher = spawn([sys.executable, "-m", "backend.launcher.serve", *args], env=env, log_path=str(var_dir / "serve.log"))
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, 240,
               "just serve", launcher)
    return launcher, port


def _gone(pid: int) -> bool:
    """Not running and not a zombie: the launcher reaped it."""
    return not Path(f"/proc/{pid}").exists()


def test_serve_restarts_a_dead_child_and_stops_everything_when_one_keeps_dying() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="showtime-serve-"))
    launcher, port = _launch(var_dir)
    try:
        valkey = _child(launcher.pid, "valkey-server")
        os.kill(valkey, signal.SIGKILL)
        wait_until(lambda: _gone(valkey), 10, "the dead Valkey reaped")
        wait_until(lambda: _child(launcher.pid, "valkey-server") != valkey, 30, "Valkey restarted", launcher)
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, 60,
                   "healthy again", launcher)
        assert "Valkey (pid" in (var_dir / "serve.log").read_text()
    finally:
        launcher.send_signal(signal.SIGINT)
        launcher.wait(timeout=30)

    # With no restarts allowed, a dead stand-in stops everything and the launcher says which child it was.
    launcher, port = _launch(var_dir, "--no-seed", "--max-restarts", "0")
    children = _descendants(launcher.pid)
    standin = _child(launcher.pid, "tools.stripe_standin")
    os.kill(standin, signal.SIGKILL)
    assert launcher.wait(timeout=60) == 1
    log = (var_dir / "serve.log").read_text()
    assert f"Stripe stand-in (pid {standin}) exited with code -9 and keeps dying: stopping everything" in log
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(pid) for pid in children):
        time.sleep(0.1)
    assert [pid for pid in children if not _gone(pid)] == [], "children left running or as zombies"
