"""The Stripe stand-in alone under a flash sale's payment load: payments confirmed and webhooks delivered per second.

Starts the stand-in (`python -m tools.stripe_standin`, pinned to core 0) with a webhook endpoint in a process of its
own (core 1, beside the payers' process), then for `--seconds`:
- each payment does what the app and the fan's browser do: the backend creates a PaymentIntent with the secret key
  and an Idempotency-Key (as the SDK sends one), the browser confirms it with the publishable key and the client
  secret (as Stripe.js does, `pm_card_visa`);
- the webhook endpoint answers each event as the app does: for the events the app reads back
  (backend/payments/webhooks.py INTENT_EVENTS) it reads the PaymentIntent back from the stand-in with the secret
  key; then it takes `--handler-ms` per event (the app's work, simulated by a sleep: it costs the core nothing)
  before it answers 200.
One run, on a fresh stand-in, per open-loop rate in `--rates` (payments started per second), and with `--clients`
one closed-loop run of that many payers. Reports payments confirmed/s, succeeded events delivered/s, p50/p99 of
each call and of confirm -> `payment_intent.succeeded` delivered, the webhooks in flight at once, the stand-in's
CPU (its share of its core, and per payment), and with `--profile` a py-spy profile of the stand-in.
`--standin-root` runs the stand-in of another checkout; `--compare-root` adds the same runs against another one
(e.g. `git archive <commit> tools | tar -x -C /tmp/old`), as columns marked "(before)".

Run: `.venv/bin/python bench/stripe_standin.py [--seconds 30] [--rates 50,100] [--clients 32] [--handler-ms 20]
[--profile] [--dry-run]`. Writes the "Stripe stand-in" section of docs/performance.md unless --dry-run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Connection_
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.launcher.processes import free_port, stop, wait_until
from bench.loadgen import CLIENT_CPU, SERVER_CPU, cpu_seconds, load_average, pin
from bench.profiling import summarise
from bench.raw_http import Connection
from bench.report import percentile, publish

SECRET_KEY = "sk_test_bench"
PUBLISHABLE_KEY = "pk_test_bench"
WEBHOOK_SECRET = "whsec_bench"
WARMUP_S = 3.0
# The events whose PaymentIntent the app reads back (backend/payments/webhooks.py INTENT_EVENTS); it only records
# the others.
APP_READS_BACK = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
    }
)
DRAIN_TIMEOUT_S = 60.0


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # name -> ms
    confirmed_at: dict[str, float] = field(default_factory=dict)  # intent id -> when its confirm answered
    delivered_at: dict[str, float] = field(default_factory=dict)  # intent id -> when payment_intent.succeeded came
    deliveries: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    errors: list[str] = field(default_factory=list)
    progress: asyncio.Event = field(default_factory=asyncio.Event)  # set at each payment_intent.succeeded


class Pool:
    def __init__(self, port: int, size: int) -> None:
        self.free: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(size):
            self.free.put_nowait(Connection("127.0.0.1", port))

    async def request(self, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        connection = await self.free.get()
        try:
            return await connection.request(method, path, **kwargs)
        except BaseException:
            connection.close()
            raise
        finally:
            self.free.put_nowait(connection)


async def _timed(figures: Figures, name: str, call):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = await call
    figures.latencies[name].append((time.perf_counter() - started) * 1000)
    return answer


async def pay(stripe: Pool, figures: Figures, number: int) -> None:
    secret_auth = {"Authorization": f"Bearer {SECRET_KEY}", "Idempotency-Key": str(uuid.uuid4())}
    form = urlencode(
        {
            "amount": 2 * 4500,
            "currency": "eur",
            "automatic_payment_methods[enabled]": "true",
            "automatic_payment_methods[allow_redirects]": "never",
            "metadata[order_id]": str(number),
            "description": f"Bench order {number}",
        }
    )
    answer = await _timed(
        figures,
        "create (backend, secret key)",
        stripe.request(
            "POST",
            "/v1/payment_intents",
            body=form.encode(),
            content_type="application/x-www-form-urlencoded",
            headers=secret_auth,
        ),
    )
    if answer.status != 200:
        figures.errors.append(f"create answered {answer.status} {answer.body[:200]!r}")
        return
    intent = answer.json()
    form = urlencode(
        {"key": PUBLISHABLE_KEY, "client_secret": intent["client_secret"], "payment_method": "pm_card_visa"}
    )
    answer = await _timed(
        figures,
        "confirm (browser, publishable key)",
        stripe.request(
            "POST",
            f"/v1/payment_intents/{intent['id']}/confirm",
            body=form.encode(),
            content_type="application/x-www-form-urlencoded",
        ),
    )
    if answer.status != 200 or answer.json()["status"] != "succeeded":
        figures.errors.append(f"confirm answered {answer.status} {answer.body[:200]!r}")
        return
    figures.confirmed_at[intent["id"]] = time.time()


class Receiver:
    """The webhook endpoint: keep-alive HTTP/1.1, reads each event back as the app does, answers 200."""

    def __init__(self, stripe: Pool, figures: Figures, handler_ms: float) -> None:
        self.stripe, self.figures, self.handler_s = stripe, figures, handler_ms / 1000

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                await self.handle(json.loads(body))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    async def handle(self, event: dict) -> None:
        figures = self.figures
        figures.in_flight += 1
        figures.max_in_flight = max(figures.max_in_flight, figures.in_flight)
        try:
            figures.deliveries += 1
            data_object = event["data"]["object"]
            if event["type"] in APP_READS_BACK:
                answer = await _timed(
                    figures,
                    "read back (backend, secret key)",
                    self.stripe.request(
                        "GET",
                        f"/v1/payment_intents/{data_object['id']}",
                        headers={"Authorization": f"Bearer {SECRET_KEY}"},
                    ),
                )
                if answer.status != 200:
                    figures.errors.append(f"read back answered {answer.status}")
                await asyncio.sleep(self.handler_s)
            if event["type"] == "payment_intent.succeeded":
                figures.delivered_at.setdefault(data_object["id"], time.time())
                figures.progress.set()
        finally:
            figures.in_flight -= 1


async def _load(args: argparse.Namespace, stripe: Pool, figures: Figures, until: float) -> None:
    counter = iter(range(10**9))
    if args.rate:
        tasks: set[asyncio.Task] = set()
        interval = 1 / args.rate
        next_at = time.monotonic()
        while time.monotonic() < until:
            if len(tasks) < args.max_outstanding:
                task = asyncio.create_task(pay(stripe, figures, next(counter)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            else:
                figures.errors.append("the stand-in fell behind the open-loop rate (max outstanding reached)")
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.gather(*tasks)
    else:

        async def payer() -> None:
            while time.monotonic() < until:
                await pay(stripe, figures, next(counter))

        await asyncio.gather(*(payer() for _ in range(args.clients)))


def _receiver_main(port: int, standin_port: int, handler_ms: float, pipe: Connection_) -> None:
    """The webhook endpoint's process. Messages: "reset" (start counting afresh), then ("drain", confirmed ids):
    wait until each got its payment_intent.succeeded (or DRAIN_TIMEOUT_S), send the figures back and stop."""
    os.sched_setaffinity(0, {int(CLIENT_CPU)})

    async def run() -> None:
        stripe = Pool(standin_port, 64)
        receiver = Receiver(stripe, Figures(), handler_ms)
        server = await asyncio.start_server(receiver.serve, "127.0.0.1", port, backlog=1024)
        loop = asyncio.get_running_loop()
        pipe.send("ready")
        while True:
            message = await loop.run_in_executor(None, pipe.recv)
            if message == "reset":
                receiver.figures = Figures()
                pipe.send("ok")
                continue
            figures = receiver.figures
            expected = set(message[1])
            deadline = time.monotonic() + DRAIN_TIMEOUT_S
            while time.monotonic() < deadline and not expected <= figures.delivered_at.keys():
                figures.progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(figures.progress.wait(), max(0.0, deadline - time.monotonic()))
            pipe.send(
                {
                    "delivered_at": figures.delivered_at,
                    "latencies": dict(figures.latencies),
                    "max_in_flight": figures.max_in_flight,
                    "deliveries": figures.deliveries,
                    "errors": figures.errors,
                }
            )
            server.close()
            return

    asyncio.run(run())


async def _ask(pipe: Connection_, message: object) -> object:
    pipe.send(message)
    return await asyncio.get_running_loop().run_in_executor(None, pipe.recv)


async def _run(args: argparse.Namespace, standin_port: int, pipe: Connection_, standin_pid: int) -> dict:
    figures = Figures()
    stripe = Pool(standin_port, (args.clients if not args.rate else args.max_outstanding) + 8)
    # Warm up (connections, caches), then measure from a clean slate.
    await _load(args, stripe, figures, time.monotonic() + WARMUP_S)
    await asyncio.sleep(1.0)
    figures = Figures()
    await _ask(pipe, "reset")
    cpu_before, started_wall = cpu_seconds(standin_pid), time.time()
    sampler = None
    raw_profile = Path(tempfile.mkstemp(suffix=".txt")[1])
    if args.profile:
        sampler = await asyncio.create_subprocess_exec(
            "taskset",
            "-c",
            CLIENT_CPU,
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--format",
            "raw",
            "--rate",
            "200",
            "--duration",
            str(int(args.seconds)),
            "--pid",
            str(standin_pid),
            "--output",
            str(raw_profile),
            "--nonblocking",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    await _load(args, stripe, figures, time.monotonic() + args.seconds)
    ended_wall = time.time()
    cpu_used = cpu_seconds(standin_pid) - cpu_before
    # Drain: every payment confirmed in the window gets its webhook (or the run says how many did not).
    received = await _ask(pipe, ("drain", list(figures.confirmed_at)))
    assert isinstance(received, dict)
    delivered_at: dict[str, float] = received["delivered_at"]
    for name, values in received["latencies"].items():
        figures.latencies[name] += values
    figures.errors += received["errors"]
    profile = ""
    if sampler is not None:
        await sampler.wait()
        raw = await asyncio.to_thread(raw_profile.read_text)
        profile = summarise(raw)
        if args.keep_profile:
            await asyncio.to_thread(args.keep_profile.write_text, raw)
    await asyncio.to_thread(raw_profile.unlink)
    wall = ended_wall - started_wall
    in_window = [intent for intent, at in delivered_at.items() if at <= ended_wall and intent in figures.confirmed_at]
    webhook_ms = [(delivered_at[i] - figures.confirmed_at[i]) * 1000 for i in figures.confirmed_at if i in delivered_at]
    return {
        "confirmed_per_s": len(figures.confirmed_at) / wall,
        "delivered_per_s": len(in_window) / wall,
        "undelivered": len(figures.confirmed_at.keys() - delivered_at.keys()),
        "latencies": {name: (percentile(v, 50), percentile(v, 99), len(v)) for name, v in figures.latencies.items()},
        "webhook_ms": (percentile(webhook_ms, 50), percentile(webhook_ms, 99)),
        "max_in_flight": received["max_in_flight"],
        "cpu_percent": 100 * cpu_used / wall,
        "cpu_ms_per_payment": 1000 * cpu_used / max(1, len(figures.confirmed_at)),
        "errors": figures.errors[:5],
        "error_count": len(figures.errors),
        "profile": profile,
        "load_average": load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--rates", default="50,100", help="open loop: payments started per second, one run for each (comma-separated)"
    )
    parser.add_argument("--clients", type=int, default=0, help="also a closed-loop run with this many payers")
    parser.add_argument("--max-outstanding", type=int, default=256, help="open loop: payments under way at most")
    parser.add_argument("--handler-ms", type=float, default=20, help="the webhook endpoint's time per event")
    parser.add_argument(
        "--standin-args", default="", help="extra flags for the stand-in (e.g. '--webhook-concurrency 4')"
    )
    parser.add_argument(
        "--standin-root",
        type=Path,
        default=None,
        help="run the stand-in of another checkout (a directory holding tools/stripe_standin), e.g. to compare",
    )
    parser.add_argument(
        "--compare-root",
        type=Path,
        default=None,
        help="the same runs against the stand-in of another checkout, as columns marked (before)",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy profile of the stand-in during the run")
    parser.add_argument("--keep-profile", type=Path, default=None, help="with --profile: the raw stacks to this file")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write docs/performance.md")
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(CLIENT_CPU)})
    loads: list[tuple[str, float]] = [("rate", float(rate)) for rate in args.rates.split(",") if rate]
    if args.clients:
        loads.append(("clients", float(args.clients)))
    runs = []
    for root, label in [(args.standin_root, ""), *([(args.compare_root, " (before)")] if args.compare_root else [])]:
        for kind, amount in loads:
            run_args = argparse.Namespace(**{**vars(args), "rate": amount if kind == "rate" else 0.0})
            run_args.clients = int(amount) if kind == "clients" else 0
            run_args.standin_root = root
            head = f"{amount:g} payments/s" if kind == "rate" else f"closed loop, {amount:g} payers"
            runs.append((head + label, _measure(run_args)))
    _report(args, runs)


def _measure(args: argparse.Namespace) -> dict:
    """One run on a fresh stand-in and webhook endpoint."""
    root = Path(__file__).resolve().parent.parent
    var = Path(tempfile.mkdtemp(prefix="standin-bench-"))
    standin_port, receiver_port = free_port(), free_port()
    # The webhook endpoint first, in a process of its own (forked before any event loop or thread exists here).
    pipe, child_pipe = multiprocessing.get_context("fork").Pipe()
    receiver_process = multiprocessing.get_context("fork").Process(
        target=_receiver_main, args=(receiver_port, standin_port, args.handler_ms, child_pipe), daemon=True
    )
    receiver_process.start()
    assert pipe.recv() == "ready"
    command = [
        sys.executable,
        "-m",
        "tools.stripe_standin",
        "--port",
        str(standin_port),
        "--state-file",
        str(var / "stripe-standin.json"),
        "--secret-key",
        SECRET_KEY,
        "--publishable-key",
        PUBLISHABLE_KEY,
        "--webhook-secret",
        WEBHOOK_SECRET,
        "--webhook-url",
        f"http://127.0.0.1:{receiver_port}/webhook",
        *args.standin_args.split(),
    ]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STANDIN_", "STRIPE_"))}
    standin_root = (args.standin_root or root).resolve()
    process = subprocess.Popen(
        command,
        cwd=standin_root,
        env={**env, "PYTHONPATH": str(standin_root)},
        stdout=(var / "standin.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        import httpx

        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{standin_port}/healthz", timeout=1).status_code == 200,
            30,
            "Stripe stand-in",
            process,
        )
        pin(process.pid, SERVER_CPU)
        result = asyncio.run(_run(args, standin_port, pipe, process.pid))
        result["state_bytes"] = sum(path.stat().st_size for path in var.glob("stripe-standin.json*"))
        result["rss_kb"] = next(
            int(line.split()[1])
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
    finally:
        stop(process)
        receiver_process.join(timeout=10)
    return result


def _report(args: argparse.Namespace, runs: list[tuple[str, dict]]) -> None:
    heads = [head for head, _ in runs]
    results = [result for _, result in runs]

    def row(name: str, cell) -> str:  # type: ignore[no-untyped-def]
        return f"| {name} | " + " | ".join(cell(result) for result in results) + " |"

    names = sorted({name for result in results for name in result["latencies"]})
    lines = [
        "## Stripe stand-in (payments confirmed and webhooks delivered)",
        "",
        f"`bench/stripe_standin.py --seconds {args.seconds:g} --rates {args.rates}"
        + (f" --clients {args.clients}" if args.clients else "")
        + f" --handler-ms {args.handler_ms:g}"
        + (f" --standin-args '{args.standin_args}'" if args.standin_args else "")
        + (f" --standin-root {args.standin_root}" if args.standin_root else "")
        + (f" --compare-root {args.compare_root}" if args.compare_root else "")
        + f"`: each column a fresh stand-in, pinned to core {SERVER_CPU}; the payers (open loop at a rate, or a closed "
        f"loop) and the webhook endpoint run in two processes on core {CLIENT_CPU}. The endpoint reads back the "
        f"PaymentIntent of the events the app reads back, and takes {args.handler_ms:g} ms per event. Load average "
        + ", ".join(f"{result['load_average']:.1f}" for result in results)
        + " at the end of each run: the machine is shared, so the stand-in's share of its core is in the table.",
        "",
        "| figure | " + " | ".join(heads) + " |",
        "|---|" + "---:|" * len(heads),
        row("payments confirmed/s", lambda r: f"{r['confirmed_per_s']:.1f}"),
        row("`payment_intent.succeeded` delivered/s (in the window)", lambda r: f"{r['delivered_per_s']:.1f}"),
        row(
            "confirm -> `payment_intent.succeeded` delivered, p50 / p99",
            lambda r: f"{r['webhook_ms'][0]:.0f} / {r['webhook_ms'][1]:.0f} ms",
        ),
        row("webhooks in flight at once (max)", lambda r: str(r["max_in_flight"])),
        row("stand-in CPU (share of its core)", lambda r: f"{r['cpu_percent']:.0f} %"),
        row("stand-in CPU per payment", lambda r: f"{r['cpu_ms_per_payment']:.2f} ms"),
        row(f"not delivered {DRAIN_TIMEOUT_S:.0f} s after the run", lambda r: str(r["undelivered"])),
        row("errors", lambda r: str(r["error_count"])),
        row("state files at the end", lambda r: f"{r['state_bytes'] / 1e6:.1f} MB"),
        row("stand-in memory (RSS) at the end", lambda r: f"{r['rss_kb'] / 1e3:.0f} MB"),
    ]
    for name in names:
        lines.append(
            row(
                f"{name} p50 / p99",
                lambda r, name=name: (
                    "{:.1f} / {:.1f} ms".format(*r["latencies"][name][:2]) if name in r["latencies"] else ""
                ),
            )
        )
    for head, result in zip(heads, results, strict=True):
        if result["errors"]:
            lines += ["", f"First errors ({head}): " + "; ".join(result["errors"])]
        if result["profile"]:
            lines += ["", f"Where the stand-in's CPU goes ({head}, py-spy):", "", result["profile"]]
    publish("stripe-standin", "\n".join(lines), dry_run=args.dry_run)


if __name__ == "__main__":
    main()
