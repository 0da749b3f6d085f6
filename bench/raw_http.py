"""A minimal HTTP/1.1 keep-alive client for load generation on loopback.

httpx costs ~0.5-1 ms of Python per request; with tens of thousands of fans on two cores the clients would take the
CPU the servers are measured on. This one writes a request with one f-string and reads the answer by its
Content-Length: a few tens of microseconds. It speaks only what the app and the Stripe stand-in answer with
(Content-Length bodies, keep-alive), and reconnects when the server closes a connection.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to one host; requests on it go one at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", cookie: str | None = None,
                      content_type: str = "application/json", headers: dict[str, str] | None = None) -> Answer:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                    + (f"Cookie: {cookie}\r\n" if cookie else "")
                    + (f"Content-Type: {content_type}\r\n" if body else "")
                    + "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
                    + f"Content-Length: {len(body)}\r\n\r\n")
            try:
                self.writer.write(head.encode() + body)
                return await self._answer()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()  # the server closed an idle connection as we reused it: once more on a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _answer(self) -> Answer:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return Answer(status, body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
