"""HAProxy as a real process, running deploy/haproxy.cfg itself: the addresses it reads from the environment
(PUBLIC_BIND, API_1, API_2, SOCKET_1, HAPROXY_ADMIN_SOCKET) point it at free ports and a private runtime-API socket.

Debian's haproxy package provides the binary (.ci/run installs it when missing)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backend.launcher.processes import free_port, port_open, spawn, stop, wait_until
from backend.settings import PROJECT_ROOT
from tests.support.servers import OnLoopback

CONFIG = PROJECT_ROOT / "deploy" / "haproxy.cfg"


def haproxy_binary() -> str:
    """The haproxy executable; CI fails without it (it installs it), a developer's run skips."""
    # Debian installs it in /usr/sbin, which a non-login PATH may lack.
    found = shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("haproxy is missing: .ci/run installs Debian's haproxy package")
    pytest.skip("haproxy is not installed (apt-get install haproxy); CI installs it")


@dataclass
class HAProxy(OnLoopback):
    """deploy/haproxy.cfg on a free port, in front of `servers` ({config name: port}, e.g. {"API_1": 8001})."""

    servers: dict[str, int]
    var_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def admin_socket(self) -> Path:
        return self.var_dir / "haproxy-admin.sock"

    @property
    def log_path(self) -> Path:
        return self.var_dir / "haproxy.log"

    def start(self) -> HAProxy:
        binary = haproxy_binary()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PUBLIC_BIND": f"127.0.0.1:{self.port}",
               "HAPROXY_ADMIN_SOCKET": str(self.admin_socket),
               "HAPROXY_MAXCONN": "4000",  # within this machine's open-file limit
               **{name: f"127.0.0.1:{port}" for name, port in self.servers.items()}}
        # -db: stay in the foreground (no daemon), so it is our child and dies with the test run.
        self.process = spawn([binary, "-db", "-f", str(CONFIG)], env=env, log_path=str(self.log_path))
        wait_until(lambda: port_open("127.0.0.1", self.port) and self.admin_socket.exists(), 20,
                   f"haproxy (log: {self.log_path})", self.process)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def command(self, line: str) -> str:
        """One runtime-API command (`show stat`, `set server api/api-1 state drain`, ...); its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.admin_socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_states(self) -> dict[str, str]:
        """{"backend/server": status} from `show stat`: UP, DOWN, NOLB (draining), MAINT, "UP 1/2" while rising..."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("svname") not in (None, "", "FRONTEND", "BACKEND"):
                states[f"{row['pxname']}/{row['svname']}"] = row["status"]
        return states

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
