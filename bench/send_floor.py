"""The floor under any fan-out: what the kernel and a bare Python loop cost to send one small frame to each of N
loopback TCP sockets, with no WebSocket library, no event loop and no framework.

One process (pinned to --sender-cpu) accepts N connections and, --rounds times, writes the same 124-byte unmasked
WebSocket text frame to every socket with `socket.send`; a forked child (pinned to --receiver-cpu) holds the other
ends and reads everything. Prints the sender's CPU (user + system) per send and the wall time of one pass over all
sockets, with the load average. bench/live_map.py's CPU per message per connection compares to this.
Run: `.venv/bin/python bench/send_floor.py [--sockets 1000,10000] [--rounds 20]`. Needs 2N open files.
"""

from __future__ import annotations

import argparse
import os
import resource
import selectors
import signal
import socket
import statistics
import time

FRAME = b"\x81\x78" + b"x" * 120  # FIN + text, 120-byte payload: the size of a live-map diff of a few seats


def _receive_forever(port: int, count: int, cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})
    selector = selectors.DefaultSelector()
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port))
        connection.setblocking(False)
        selector.register(connection, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select(1):
            try:
                if not key.fileobj.recv(65536):  # type: ignore[union-attr]
                    os._exit(0)
            except BlockingIOError:
                continue


def measure(count: int, rounds: int, sender_cpu: int, receiver_cpu: int) -> tuple[float, float]:
    """(median CPU µs per send, median wall ms per pass over every socket). The caller's CPU affinity is restored."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    affinity = os.sched_getaffinity(0)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    child = os.fork()
    if child == 0:
        _receive_forever(port, count, receiver_cpu)
    os.sched_setaffinity(0, {sender_cpu})
    connections = []
    try:
        while len(connections) < count:
            connection, _ = listener.accept()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.setblocking(False)
            connections.append(connection)
        time.sleep(1)
        cpu_per_send, wall = [], []
        for _ in range(rounds):
            cpu, started = time.process_time(), time.perf_counter()
            for connection in connections:
                connection.send(FRAME)
            cpu_per_send.append((time.process_time() - cpu) / count * 1e6)
            wall.append((time.perf_counter() - started) * 1000)
            time.sleep(0.2)  # the receiver drains everything before the next pass
        return statistics.median(cpu_per_send), statistics.median(wall)
    finally:
        for connection in connections:
            connection.close()
        listener.close()
        os.kill(child, signal.SIGTERM)
        os.waitpid(child, 0)
        os.sched_setaffinity(0, affinity)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=lambda text: [int(n) for n in text.split(",")], default=[1_000, 10_000])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--sender-cpu", type=int, default=0)
    parser.add_argument("--receiver-cpu", type=int, default=1)
    args = parser.parse_args()
    print("| sockets | sender CPU µs per send (user + system) | wall ms per pass over every socket | load avg |")
    print("|---:|---:|---:|---:|")
    for count in args.sockets:
        cpu, wall = measure(count, args.rounds, args.sender_cpu, args.receiver_cpu)
        print(f"| {count:,} | {cpu:.2f} | {wall:.1f} | {os.getloadavg()[0]:.1f} |")


if __name__ == "__main__":
    main()
