"""The app as a real process: `python -m backend.launcher.serve`, exactly what `just serve` runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from backend.launcher.processes import free_port, spawn, stop, wait_until
from backend.settings import PROJECT_ROOT


def _healthy(url: str) -> bool:
    return httpx.get(f"{url}/healthz", timeout=1).status_code == 200


# Every app server's log this run wrote, for the end-of-run check (tests/support/log_check.py).
SERVER_LOGS: list[Path] = []


class OnLoopback:
    """The HTTP and WebSocket base URLs of something listening on 127.0.0.1:`port` (a server, the proxy)."""

    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@dataclass
class ServerProcess(OnLoopback):
    """One app server (and, unless told otherwise, its Stripe stand-in) on free ports."""

    var_dir: Path
    env: dict[str, str]
    name: str = "server"
    port: int = field(default_factory=free_port)
    standin_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    workers: int = 1

    @property
    def standin_url(self) -> str:
        return f"http://127.0.0.1:{self.standin_port}"

    @property
    def log_path(self) -> Path:
        return self.var_dir / f"{self.name}.log"

    def start(self, timeout: float = 240) -> ServerProcess:
        return self.launch().ready(timeout)

    def launch(self) -> ServerProcess:
        """Start the launcher without waiting for it. Call this from the thread that outlives the server: its
        children die with the thread that spawned them (PR_SET_PDEATHSIG follows the thread, not the process)."""
        # The suite's clients all come from one address: room for all the accounts they register (the limit
        # itself is tested on a server of its own). And they stand in for the proxy in front of production, whose
        # X-Forwarded-For the app trusts (tests/edge/test_client_address.py starts servers that trust no one).
        env = {**os.environ, "REGISTRATIONS_PER_ADDRESS_PER_HOUR": "100000", "FORWARDED_ALLOW_IPS": "127.0.0.1",
               **self.env, "PORT": str(self.port),
               "STANDIN_PORT": str(self.standin_port),
               "VAR_DIR": str(self.var_dir), "PYTHONUNBUFFERED": "1"}
        self.process = spawn([sys.executable, "-m", "backend.launcher.serve", "--workers", str(self.workers)], env=env,
                             log_path=str(self.log_path))
        SERVER_LOGS.append(self.log_path)
        return self

    def ready(self, timeout: float = 240) -> ServerProcess:
        """Wait until the server answers /healthz (or fail, naming its log, if it exits first)."""
        wait_until(lambda: _healthy(self.url), timeout, f"{self.name} at {self.url} (log: {self.log_path})",
                   self.process)
        return self

    def stop(self) -> None:
        if self.process:
            stop(self.process, timeout=45)  # the launcher lets uvicorn drain (DRAIN_TIMEOUT_S)
            self.process = None

    def web_pid(self) -> int | None:
        """The uvicorn process the launcher runs for this server (its child), or None while there is none."""
        if self.process is None:
            return None
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        for pid in children.stdout.split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"uvicorn" in command:
                return int(pid)
        return None

    def restart_web(self, timeout: float = 120) -> None:
        """Restart the web server process as a deploy does: SIGTERM, so uvicorn stops accepting, closes its sockets
        with 1012 (service restart), finishes the requests in flight and exits; the launcher starts it again on the
        same port (backend.launcher.processes.Supervisor). Returns once the new process answers /healthz."""
        self.wait_restarted(self.terminate_web(), timeout)

    def terminate_web(self) -> int:
        """SIGTERM the web server process (the launcher starts another); returns the pid it had."""
        old = self.web_pid()
        assert old is not None, f"{self.name} has no web server process to restart"
        os.kill(old, signal.SIGTERM)
        return old

    def wait_restarted(self, old: int, timeout: float = 120) -> None:
        """Wait until a web server process other than `old` answers /healthz."""
        wait_until(lambda: self.web_pid() not in (None, old) and _healthy(self.url), timeout,
                   f"{self.name} restarted at {self.url} (log: {self.log_path})", self.process)

    def kill(self) -> None:
        """SIGKILL the launcher's whole process group member tree: a crash, not a shutdown."""
        if self.process:
            children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
            for pid in children.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.kill()
            self.process.wait()
            self.process = None
            time.sleep(0.2)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def project_root() -> Path:
    return PROJECT_ROOT
