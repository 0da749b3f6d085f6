"""What deploy/ ships is valid for the tools that read it: Prometheus' alert rules (checked, and each alert seen firing
on the series that should fire it and quiet on healthy ones, by promtool's own rule tests), and HAProxy's
configuration (which must overwrite X-Forwarded-For, never append to what the client sent).

promtool comes with Debian's `prometheus` package (.ci/run installs it when missing); its output is printed into
the run's output."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from backend.settings import PROJECT_ROOT
from tests.support.ci_output import say

DEPLOY = PROJECT_ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts.test.yml"
HAPROXY = DEPLOY / "haproxy.cfg"
ALERTS = {"ShowtimeWebhookLag", "ShowtimeReconcilerBacklog", "ShowtimeReconcilerStopped",
          "ShowtimeLedgerCheckpointStale", "ShowtimeHigh5xxRate", "ShowtimeRedisErrors"}


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is missing: .ci/run installs Debian's {package} package")
    pytest.skip(f"{name} is not installed (apt-get install {package}); CI installs it")




def _run(config: pytest.Config, command: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, cwd=RULES.parent, timeout=120)
    say(config, f"[deploy] $ {' '.join(command)}\n{result.stdout}{result.stderr}".rstrip())
    return result


def test_alert_rules_pass_promtool(pytestconfig: pytest.Config) -> None:
    promtool = _tool("promtool", "prometheus")
    checked = _run(pytestconfig, [promtool, "check", "rules", RULES.name])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in checked.stdout
    tested = _run(pytestconfig, [promtool, "test", "rules", RULE_TESTS.name])
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_is_exercised_by_the_rule_tests() -> None:
    defined = set(re.findall(r"^\s*- alert: (\w+)$", RULES.read_text(), re.MULTILINE))
    exercised = set(re.findall(r"^\s*alertname: (\w+)$", RULE_TESTS.read_text(), re.MULTILINE))
    assert defined == ALERTS
    assert exercised == ALERTS


def test_haproxy_overwrites_the_client_address() -> None:
    config = HAPROXY.read_text()
    directives = [line.split("#")[0].strip() for line in config.splitlines()]
    assert "http-request set-header X-Forwarded-For %[src]" in directives
    # `option forwardfor` appends another X-Forwarded-For after whatever the client sent.
    assert not any(line.startswith("option forwardfor") for line in directives)
    assert "http-request deny if { path_beg /metrics }" in directives  # scraped on the processes, not through us


def test_haproxy_accepts_its_configuration(pytestconfig: pytest.Config) -> None:
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    checked = _run(pytestconfig, ["haproxy", "-c", "-f", str(HAPROXY)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
