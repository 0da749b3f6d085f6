"""Fixtures that run the stand-in as a real process and receive its webhooks over real HTTP.

The tests talk to it only the way the app will: through the real ``stripe`` SDK, plain HTTP for the
test controls, and a real Chromium for Stripe.js.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

REPO = Path(__file__).resolve().parents[3]
SECRET_KEY = "sk_test_standin_tests"
PUBLISHABLE_KEY = "pk_test_standin_tests"
WEBHOOK_SECRET = "whsec_standin_tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Standin:
    """One running stand-in process."""

    url: str
    state_file: Path
    process: subprocess.Popen[bytes]
    log_file: Path
    killed: bool = False

    def client(self, key: str = SECRET_KEY) -> stripe.StripeClient:
        # This is how the backend points the SDK at the stand-in (http:// is accepted).
        return stripe.StripeClient(key, base_addresses={"api": self.url}, max_network_retries=0)

    def events(self, **filters: str) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/_standin/events", params=filters).raise_for_status().json()["data"]

    def set_webhooks(self, enabled: bool) -> None:
        answer = httpx.post(f"{self.url}/_standin/webhooks", json={"enabled": enabled}).raise_for_status()
        assert answer.json()["enabled"] is enabled

    def refunds(self, **filters: str) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_standin/refunds", params=filters).raise_for_status().json()

    def kill(self) -> None:
        """SIGKILL: no clean stop, nothing written after the last answer."""
        self.process.kill()
        self.process.wait()
        self.killed = True

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("the stand-in did not stop within 10 s of SIGTERM") from None
        return self.process.returncode


def start_standin(state_file: Path, webhook_url: str, log_file: Path, *flags: str) -> Standin:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "tools.stripe_standin",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--state-file",
        str(state_file),
        "--secret-key",
        SECRET_KEY,
        "--publishable-key",
        PUBLISHABLE_KEY,
        "--webhook-secret",
        WEBHOOK_SECRET,
        "--webhook-url",
        webhook_url,
        *flags,
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STANDIN_", "STRIPE_"))}
    with log_file.open("ab") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    standin = Standin(f"http://127.0.0.1:{port}", state_file, process, log_file)

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the stand-in exited with {process.returncode}:\n{log_file.read_text()}")
        try:
            return httpx.get(f"{standin.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, timeout=15, what="the stand-in's /healthz")
    return standin


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., Standin]]:
    """Start stand-ins for one test; each must stop cleanly (exit status 0) on SIGTERM."""
    started: list[Standin] = []

    def _launch(state_file: Path, webhook_url: str, *flags: str) -> Standin:
        standin = start_standin(state_file, webhook_url, tmp_path / f"standin-{len(started)}.log", *flags)
        started.append(standin)
        return standin

    yield _launch
    for standin in started:
        if not standin.killed:
            assert standin.stop() == 0, standin.log_file.read_text()


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    event: stripe.Event | None  # None when the signature did not verify
    answered: int

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A tiny webhook endpoint that verifies every delivery with ``stripe.Webhook.construct_event``.

    ``failures[case] = n`` answers 500 to the first n deliveries whose object has ``metadata[case]``;
    ``fail_everything`` answers 500 to all; ``gates[case]`` holds the answer until that event is set.
    ``in_flight`` counts the deliveries being answered now, ``max_in_flight`` the most at once.
    """

    secret: str
    deliveries: list[Delivery] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    gates: dict[str, threading.Event] = field(default_factory=dict)
    arrived: list[str] = field(default_factory=list)  # cases whose delivery reached the receiver
    fail_everything: bool = False
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhook"

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._handle(headers, body)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _handle(self, headers: dict[str, str], body: bytes) -> int:
        try:
            event = stripe.Webhook.construct_event(body.decode(), headers.get("Stripe-Signature"), self.secret)
        except (ValueError, stripe.SignatureVerificationError):
            event = None
        case = json.loads(body)["data"]["object"].get("metadata", {}).get("case", "")
        with self.lock:
            self.arrived.append(case)
        if case in self.gates:
            self.gates[case].wait(timeout=30)
        with self.lock:
            if event is None:
                status = 400
            elif self.fail_everything:
                status = 500
            elif self.failures.get(case, 0) > 0:
                self.failures[case] -= 1
                status = 500
            else:
                status = 200
            self.deliveries.append(Delivery(headers, body, event, status))
        return status

    def accepted(self, object_id: str | None = None, event_type: str | None = None) -> list[stripe.Event]:
        with self.lock:
            delivered = [d for d in self.deliveries if d.answered == 200 and d.event is not None]
        return [
            d.event
            for d in delivered
            if d.event is not None
            and (object_id is None or object_id in _object_ids(d.payload))
            and (event_type is None or d.payload["type"] == event_type)
        ]

    def attempts(self, object_id: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if object_id in _object_ids(d.payload)]

    def wait_for(self, object_id: str, event_type: str, timeout: float = 10.0) -> stripe.Event:
        found = wait_until(lambda: self.accepted(object_id, event_type), timeout, f"{event_type} for {object_id}")
        return found[0]


def _object_ids(event: dict[str, Any]) -> set[str]:
    data_object = event["data"]["object"]
    return {data_object.get("id"), data_object.get("payment_intent")} - {None}


class _Handler(BaseHTTPRequestHandler):
    receiver: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = self.server.receiver.handle(dict(self.headers), body)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start_receiver(secret: str = WEBHOOK_SECRET, port: int = 0) -> WebhookReceiver:
    receiver = WebhookReceiver(secret)
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    server.receiver = receiver  # type: ignore[attr-defined]
    receiver.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = start_receiver()
    yield receiver
    assert receiver.server is not None
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture(scope="session")
def shared_receiver() -> Iterator[WebhookReceiver]:
    receiver = start_receiver()
    yield receiver
    assert receiver.server is not None
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory, shared_receiver: WebhookReceiver) -> Iterator[Standin]:
    """A stand-in shared by the tests that need no fresh one, sending its webhooks to ``shared_receiver``."""
    directory = tmp_path_factory.mktemp("standin")
    process = start_standin(directory / "state.json", shared_receiver.url, directory / "standin.log")
    yield process
    assert process.stop() == 0, process.log_file.read_text()
    # Whatever the tests did, no card number may have reached the state file.
    state = process.state_file.read_text()
    for number in ("4242424242424242", "4000000000000002", "4000000000009995"):
        assert number not in state


@pytest.fixture
def client(standin: Standin) -> stripe.StripeClient:
    return standin.client()
