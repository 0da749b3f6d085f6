"""A private PostgreSQL primary and its streaming standby, from Debian's PostgreSQL binaries, for the failover test
and the replication bench.

The primary is made by initdb, the standby by `pg_basebackup -R` (it streams from the primary and is read-only until
promoted); both are run by pg_ctl on free ports, with their sockets and data in one temporary directory. The server
refuses to run as root, so when we are root every command runs as the `postgres` user (`runuser`) and the directory
is that user's. Replication is asynchronous (PostgreSQL's default): what the primary committed but had not streamed
yet is lost when it dies, which is what the failover test makes happen on purpose (`pause_streaming`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from backend.launcher.processes import free_port, wait_until

DATABASE = "showtime"
READY_TIMEOUT_S = 60.0


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with the server's tools (Debian's `postgresql` package)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(Path(path).parts[-3]))
    return Path(found[-1]).parent if found else None


def _run_as() -> list[str]:
    """The prefix that runs a PostgreSQL tool as `postgres` when we are root (the server will not run as root)."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class PostgresNode:
    name: str
    data_dir: Path
    port: int = field(default_factory=free_port)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


@dataclass
class PostgresPair:
    bin_dir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="showtime-pg-")))
    settings: dict[str, str] = field(default_factory=dict)  # extra postgresql.conf lines for the primary

    def __post_init__(self) -> None:
        self.primary = PostgresNode("primary", self.root / "primary")
        self.standby = PostgresNode("standby", self.root / "standby")

    # ---------------------------------------------------------------- addresses

    def url(self, *nodes: PostgresNode) -> str:
        """A multi-host URL (asyncpg tries the hosts in order and keeps the one that accepts writes)."""
        hosts = ",".join(node.address for node in nodes or (self.primary, self.standby))
        return f"postgresql://postgres@{hosts}/{DATABASE}?target_session_attrs=read-write"

    def node_url(self, node: PostgresNode) -> str:
        return f"postgresql://postgres@{node.address}/{DATABASE}"

    # ---------------------------------------------------------------- life

    def start(self) -> PostgresPair:
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.root.chmod(0o700)
        self._tool("initdb", "-D", str(self.primary.data_dir), "-U", "postgres", "-A", "trust", "--no-sync",
                   "-E", "UTF8", "--locale=C.UTF-8")
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            # The default: the primary acknowledges a commit once its own WAL is flushed, before any standby has it.
            "synchronous_commit": "on",
            "wal_level": "replica",
            "max_wal_senders": "4",
            "wal_keep_size": "'256MB'",
            "max_connections": "60",
            "fsync": "off",  # a killed process loses nothing the OS already has; only a machine crash would
            "full_page_writes": "off",
            "shared_buffers": "'32MB'",
            **self.settings,
        }
        with (self.primary.data_dir / "postgresql.conf").open("a") as out:
            out.writelines(f"{key} = {value}\n" for key, value in conf.items())
        self._pg_ctl_start(self.primary)
        self._tool("createdb", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres", DATABASE)
        self._tool("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
                   "-D", str(self.standby.data_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        self._pg_ctl_start(self.standby)
        wait_until(self.streaming, READY_TIMEOUT_S, "the standby streaming from the primary")
        return self

    def stop(self) -> None:
        for node in (self.primary, self.standby):
            pid = node.postmaster_pid()
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl_start(self, node: PostgresNode) -> None:
        self._tool("pg_ctl", "start", "-w", "-t", str(int(READY_TIMEOUT_S)), "-D", str(node.data_dir),
                   "-l", str(node.log_path), "-o", f"-p {node.port} -k {self.root}")

    def _tool(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*_run_as(), str(self.bin_dir / name), *args], capture_output=True, text=True,
                                timeout=120, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{name} failed ({result.returncode}): {result.stdout}{result.stderr}")
        return result

    def sql(self, node: PostgresNode, statement: str) -> str:
        """One statement through psql on `node`; its unaligned output."""
        return self._tool("psql", "-h", "127.0.0.1", "-p", str(node.port), "-U", "postgres", "-d", DATABASE,
                          "-XAtc", statement).stdout.strip()

    # ---------------------------------------------------------------- replication

    def streaming(self) -> bool:
        return self.sql(self.primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1"

    def pause_streaming(self) -> int:
        """Stop the primary's WAL sender (SIGSTOP): the primary goes on committing, the standby falls behind, as
        it does when the network between them is slow or cut. Returns the sender's pid."""
        pid = int(self.sql(self.primary, "SELECT pid FROM pg_stat_replication LIMIT 1"))
        os.kill(pid, signal.SIGSTOP)
        return pid

    def lag_bytes(self) -> int:
        """How much WAL the primary has written that the standby has not received."""
        return int(self.sql(self.primary, "SELECT pg_current_wal_lsn() - sent_lsn FROM pg_stat_replication "
                                          "LIMIT 1") or 0)

    def kill_primary(self) -> None:
        """SIGKILL the primary's postmaster and every backend with it (pg_ctl starts it in a session of its own):
        a crash, no shutdown checkpoint, no goodbye to the standby."""
        pid = self.primary.postmaster_pid()
        assert pid is not None, "the primary is not running"
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)

    def promote(self) -> None:
        """The standby becomes the primary (`pg_ctl promote` waits until it accepts writes)."""
        self._tool("pg_ctl", "promote", "-w", "-t", str(int(READY_TIMEOUT_S)), "-D", str(self.standby.data_dir))
