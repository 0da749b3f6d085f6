"""``python -m tools.stripe_standin --port 12111 ...``: serve the stand-in until SIGTERM or SIGINT."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType

import uvicorn

from .app import create_app
from .settings import load_settings
from .store import StateFileError


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises the signal after its graceful shutdown, so the process would end *killed by*
        # SIGTERM; a launcher should see a plain exit status 0 after a clean stop instead.
        stop_signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self._stop) for sig in stop_signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True  # a second Ctrl-C: stop waiting for open connections
        self.should_exit = True


def main(argv: list[str] | None = None) -> int:
    settings = load_settings(argv, os.environ)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The state is a large heap of long-lived dicts without cycles: with the default thresholds (700, 10, 10) the
    # collector rescans it over and over as it grows (a quarter of the CPU of a payment, measured in-process).
    # Collect young objects far less often; garbage here is freed by reference counting all the same.
    gc.set_threshold(20_000, 20, 10)
    try:
        app = create_app(settings)
    except StateFileError as exc:
        print(f"stripe stand-in: {exc}", file=sys.stderr)
        return 2
    server = _Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            # Access logs would print the client secrets that browsers pass in query strings.
            access_log=False,
            lifespan="on",
            server_header=False,
        )
    )
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
