"""Bench-only: with this directory on PYTHONPATH and BENCH_GC_LOG_DIR set, every Python process started logs each
full garbage collection (generation 2) to BENCH_GC_LOG_DIR/gc-<pid>.log as `<unix time> <ms> <objects freed>`
(bench/live_map.py --reconnect-storm reads its server's). Nothing of the app imports it."""

import gc
import os
import time

_directory = os.environ.get("BENCH_GC_LOG_DIR")
if _directory:
    _log = open(os.path.join(_directory, f"gc-{os.getpid()}.log"), "a", buffering=1)  # open for the process's life
    _started = [0.0]

    def _record(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            _started[0] = time.perf_counter()
        else:
            _log.write(f"{time.time():.3f} {(time.perf_counter() - _started[0]) * 1000:.1f} {info['collected']}\n")

    gc.callbacks.append(_record)
