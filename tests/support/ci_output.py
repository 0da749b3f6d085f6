"""Lines for the run's own output rather than the captured stdout: what CI's log must show (a failover's outage,
a metrics test's counts, promtool's verdict), whether the test passes or not."""

from __future__ import annotations

import pytest


def say(config: pytest.Config, text: str) -> None:
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        print(text, flush=True)
