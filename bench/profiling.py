"""CPU profiles of a server under load: py-spy samples the uvicorn process while a load runs, and the top entries
(own time, and time with callees) come back as a Markdown table for docs/performance.md."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.loadgen import CLIENT_CPU

TOP = 15
# Frames under which every sample of the event loop sits: they say nothing about where the time goes.
_OUTER = ("click/", "<frozen runpy>", "uvicorn/main.py", "uvicorn/server.py", "uvicorn/__main__.py",
          "uvicorn/_compat.py", "asyncio/runners.py", "asyncio/base_events.py", "asyncio/events.py", "threading.py",
          "concurrent/futures/thread.py")
# py-spy's raw frames read `function (path/to/file.py:line)`; the line number is noise for a summary.
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")


def server_pid(launcher_pid: int) -> int:
    """The uvicorn process under the launcher (`python -m backend.launcher.serve` starts it as a child)."""
    pending = [launcher_pid]
    while pending:
        current = pending.pop()
        command = Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"uvicorn" in command:
            return current
        children = subprocess.run(["pgrep", "-P", str(current)], capture_output=True, text=True).stdout.split()
        pending += [int(child) for child in children]
    raise RuntimeError(f"no uvicorn process under {launcher_pid}")


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "/python3.11/", "/hotpaths/", "/main/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['function']} ({file})"


def summarise(raw: str, top: int = TOP) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";") if not frame.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            if not any(outer in frame for outer in _OUTER):
                inclusive[frame] += count
    if not total:
        return "(no samples)"
    lines = ["| own % | function (own time) | | with callees % | function (with what it calls) |",
             "|---:|---|---|---:|---|"]
    for (own_name, own_n), (incl_name, incl_n) in zip(own.most_common(top), inclusive.most_common(top),
                                                       strict=False):
        lines.append(f"| {own_n / total:.1%} | `{own_name}` | | {incl_n / total:.1%} | `{incl_name}` |")
    lines.append(f"\n{total:,} samples.")
    return "\n".join(lines)


def profile_during(launcher_pid: int, seconds: float, load: Callable[[], object], keep: Path | None = None) -> str:
    """Sample the server for `seconds` while `load()` runs (load should last a little longer); `keep` names a
    file for the raw stacks (py-spy's collapsed format) for a closer look."""
    pid = server_pid(launcher_pid)
    with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as out:
        path = out.name
    sampler = subprocess.Popen(["taskset", "-c", CLIENT_CPU, str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "200",
                                "--duration", str(int(seconds)), "--pid", str(pid), "--output", path, "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        load()
    finally:
        # py-spy writes its samples after the run: minutes on a machine loaded to dozens of runnable processes
        _, errors = sampler.communicate(timeout=seconds + 600)
    if sampler.returncode:
        raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace')}")
    raw = Path(path).read_text()
    if keep:
        keep.write_text(raw)
    Path(path).unlink()
    return summarise(raw)
