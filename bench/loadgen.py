"""Closed-loop HTTP load with Debian's `wrk`, the server and the load generator pinned to different cores.

One core runs the server under test (app or ceiling, never both at once), the other runs `wrk`: a Python load
generator would steal the server's core and measure itself. Every run prints its figures with the load average,
because the machine is shared and only ratios measured in the same run mean much.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from backend.launcher.processes import free_port, spawn, stop, wait_until

SERVER_CPU = "0"
CLIENT_CPU = "1"
WRK_DIR = Path(__file__).resolve().parent / "wrk"

# Appended to every wrk script: one JSON line with the figures, and the count of answers a script refused
# (a script sets `refused` in its threads when an answer is not the one it expects).
_REPORT_LUA = """
local __threads = {}
local __setup = setup
function setup(thread)
  __threads[#__threads + 1] = thread
  if __setup then __setup(thread) end
end
function done(summary, latency, requests)
  local refused = 0
  for _, t in ipairs(__threads) do refused = refused + (t:get("refused") or 0) end
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"status_errors":%d,"socket_errors":%d,"refused":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, refused))
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    load_average: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load_average() -> float:
    return os.getloadavg()[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pin(pid: int, cpu: str = SERVER_CPU) -> None:
    """Pin a process, its threads and its children (present ones; later ones inherit) to `cpu`."""
    pending = [pid]
    while pending:
        current = pending.pop()
        subprocess.run(["taskset", "-a", "-p", "-c", cpu, str(current)], check=True, capture_output=True)
        children = subprocess.run(["pgrep", "-P", str(current)], capture_output=True, text=True).stdout.split()
        pending += [int(child) for child in children]


def wrk(url: str, *, script: str = "", script_args: tuple[str, ...] = (), connections: int = 32,
        threads: int = 1, seconds: float = 10, headers: dict[str, str] | None = None) -> LoadResult:
    """Run wrk pinned to the client core; `script` is Lua (request/response/setup/init as wrk knows them)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + _REPORT_LUA)
    try:
        command = ["taskset", "-c", CLIENT_CPU, "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:.0f}s",
                   "--timeout", "10s", "-s", lua.name]
        for name, value in (headers or {}).items():
            command += ["-H", f"{name}: {value}"]
        command += [url, *(["--", *script_args] if script_args else [])]
        output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(lua.name)
    line = next((line for line in output.splitlines() if line.startswith("WRK-JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    figures = json.loads(line.removeprefix("WRK-JSON "))
    return LoadResult(
        requests=figures["requests"], seconds=figures["duration_us"] / 1e6, p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000, p99_ms=figures["p99_us"] / 1000, max_ms=figures["max_us"] / 1000,
        errors=figures["status_errors"] + figures["socket_errors"] + figures["refused"], load_average=load_average(),
    )


def wrk_script(name: str) -> str:
    return (WRK_DIR / name).read_text()


class CeilingServer:
    """The ceiling app (bench/ceiling.py) in its own uvicorn process, started and served exactly like the app."""

    def __init__(self, redis_url: str, var_dir: Path, factory: str = "create_app") -> None:
        self.port = free_port()
        self.redis_url = redis_url
        self.factory = factory
        self.log_path = var_dir / f"ceiling-{factory}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> CeilingServer:
        import httpx

        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "REDIS_URL": self.redis_url, "PYTHONPATH": str(root), "PYTHONUNBUFFERED": "1"}
        self.process = spawn([sys.executable, "-m", "uvicorn", f"bench.ceiling:{self.factory}", "--factory",
                              "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
                              "--timeout-keep-alive", "75"], env=env, log_path=str(self.log_path))
        wait_until(lambda: httpx.get(f"{self.url}/ready", timeout=1).status_code == 200, 30,
                   f"ceiling app (log: {self.log_path})", self.process)
        pin(self.process.pid)
        return self

    def __exit__(self, *_: object) -> None:
        if self.process:
            stop(self.process)
            self.process = None


def settle(seconds: float = 1.0) -> None:
    """A pause between runs so one run's tail (closing sockets, GC) does not count in the next."""
    time.sleep(seconds)
