"""Child processes that die with their parent.

`just serve` starts Valkey, the Stripe stand-in and uvicorn; Ctrl-C (or the launcher being killed) must leave no
orphan behind, so on Linux every child asks the kernel for SIGTERM when its parent dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def spawn(args: Sequence[str], env: dict[str, str] | None = None, log_path: str | None = None) -> subprocess.Popen:
    out = open(log_path, "ab") if log_path else None
    return subprocess.Popen(
        list(args),
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
        preexec_fn=_die_with_parent,
    )


def wait_until(check: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it was ready")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} was not ready after {timeout:.0f} s")


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def environ_with(**overrides: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class Supervisor:
    """Keeps a launcher's children running: a child that exits is reaped at once (never left a zombie) and
    restarted after a growing pause; one that keeps dying (more than `max_restarts` within `window_s`) stops
    everything, and the log says which one it was."""

    def __init__(self, log: Callable[[str], None], max_restarts: int = 5, window_s: float = 60.0,
                 first_backoff_s: float = 0.5, max_backoff_s: float = 10.0) -> None:
        self.log = log
        self.max_restarts = max_restarts
        self.window_s = window_s
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s
        self.children: list[tuple[str, Callable[[], subprocess.Popen], subprocess.Popen]] = []
        self.restarts: dict[str, list[float]] = {}

    def start(self, name: str, starter: Callable[[], subprocess.Popen]) -> subprocess.Popen:
        process = starter()
        self.children.append((name, starter, process))
        self.restarts.setdefault(name, [])
        return process

    def run(self, interval_s: float = 0.2) -> int:
        """Blocks until a child gives up for good (then 1); Ctrl-C/SIGTERM raise KeyboardInterrupt out of here."""
        while True:
            for index, (name, starter, process) in enumerate(self.children):
                code = process.poll()  # reaps the child if it exited
                if code is None:
                    continue
                recent = [t for t in self.restarts[name] if time.monotonic() - t < self.window_s]
                if len(recent) >= self.max_restarts:
                    self.log(f"{name} (pid {process.pid}) exited with code {code} and keeps dying: "
                             "stopping everything")
                    return 1
                pause = min(self.max_backoff_s, self.first_backoff_s * 2 ** len(recent))
                self.log(f"{name} (pid {process.pid}) exited with code {code}: restarting in {pause:.1f} s")
                time.sleep(pause)
                recent.append(time.monotonic())
                self.restarts[name] = recent
                try:
                    restarted = starter()
                except RuntimeError as exc:
                    self.log(f"{name} could not be restarted ({exc}): stopping everything")
                    return 1
                self.children[index] = (name, starter, restarted)
                self.log(f"{name} restarted (pid {restarted.pid})")
            time.sleep(interval_s)

    def stop_all(self, timeout: float = 10.0) -> None:
        """SIGTERM each child, newest first, and SIGKILL one still running after `timeout` seconds."""
        for _, _, process in reversed(self.children):
            stop(process, timeout)
