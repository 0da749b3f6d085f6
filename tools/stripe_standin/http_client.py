"""The webhook sender's HTTP/1.1 client: POSTs to one endpoint over a few keep-alive connections.

httpx cost ~1.3 ms of CPU per webhook (its connection pool and anyio layers), more than everything else a payment
costs the stand-in together; this client writes a request with one join and reads the answer by its framing: a
few tens of microseconds. It speaks what a webhook delivery needs and nothing more:
- ``http://`` and ``https://`` (certificates checked as by default), a path with a query;
- answers framed by Content-Length, by chunked Transfer-Encoding, or by the end of the connection; 1xx interim
  answers are skipped; a 3xx is an answer like any other (no redirect is followed: Stripe follows none);
- a connection is reused when the answer allows it (HTTP/1.1 without ``Connection: close``). A request on a reused
  connection that the server had closed meanwhile (nothing at all comes back) is made once more on a new one.
Every failure raises ``DeliveryError`` with a short name in the spirit of httpx's (ConnectError, Timeout,
RemoteProtocolError ...), which the delivery records as the attempt's error.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024  # an answer's body is read (to keep the connection usable) up to this, then dropped


class DeliveryError(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


class _Stale(Exception):
    """A reused connection gave nothing back: the server had closed it."""


_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class WebhookClient:
    def __init__(self, url: str, *, max_connections: int, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        default_port = self.port == (443 if self.ssl else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if default_port else f"{host}:{self.port}"
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        self.max_idle = max_connections
        self._idle: list[_Connection] = []

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        """The answer's status code; DeliveryError when there is none."""
        head = "".join(
            [
                f"POST {self.target} HTTP/1.1\r\nHost: {self.host_header}\r\nContent-Length: {len(body)}\r\n",
                *(f"{name}: {value}\r\n" for name, value in headers.items()),
                "\r\n",
            ]
        ).encode("latin-1")
        try:
            async with asyncio.timeout(self.timeout):
                while self._idle:
                    connection = self._idle.pop()
                    try:
                        return await self._exchange(connection, head + body, reused=True)
                    except _Stale:
                        continue
                connection = await self._connect()
                return await self._exchange(connection, head + body, reused=False)
        except TimeoutError:
            raise DeliveryError("Timeout", f"no answer within {self.timeout:g} s") from None

    async def close(self) -> None:
        while self._idle:
            _close(self._idle.pop())

    async def _connect(self) -> _Connection:
        try:
            return await asyncio.open_connection(
                self.host,
                self.port,
                ssl=self.ssl,
                limit=MAX_HEAD_BYTES,
                server_hostname=self.host if self.ssl else None,
            )
        except (OSError, ssl.SSLError) as exc:
            raise DeliveryError("ConnectError", str(exc) or type(exc).__name__) from None

    async def _exchange(self, connection: _Connection, request: bytes, *, reused: bool) -> int:
        reader, writer = connection
        keep = False
        try:
            writer.write(request)
            try:
                status, keep = await self._answer(reader)
            except asyncio.IncompleteReadError as exc:
                if reused and not exc.partial:
                    raise _Stale from None
                raise DeliveryError("RemoteProtocolError", "the server closed the connection mid-answer") from None
            except asyncio.LimitOverrunError:
                raise DeliveryError("RemoteProtocolError", "the answer's head is too long") from None
            except (ConnectionError, OSError) as exc:
                if reused:
                    raise _Stale from None
                raise DeliveryError("ReadError", str(exc) or type(exc).__name__) from None
            except ValueError as exc:
                raise DeliveryError("RemoteProtocolError", str(exc)) from None
            return status
        finally:
            if keep and len(self._idle) < self.max_idle:
                self._idle.append(connection)
            else:
                _close(connection)

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, bool]:
        """Read one answer (after any 1xx); its status, and whether the connection may be reused."""
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            version, _, rest = lines[0].partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise ValueError(f"not an HTTP/1 status line: {lines[0][:80]!r}")
            status = int(code)
            if 100 <= status < 200:
                continue
            fields: dict[str, str] = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    fields[name.strip().lower()] = value.strip()
            keep = version == "HTTP/1.1" and "close" not in fields.get("connection", "").lower()
            if "chunked" in fields.get("transfer-encoding", "").lower():
                await _drain_chunked(reader)
            elif "content-length" in fields:
                length = int(fields["content-length"])
                if length > MAX_BODY_BYTES:
                    return status, False
                await reader.readexactly(length)
            elif status in (204, 304):
                pass
            else:  # framed by the end of the connection
                await reader.read(MAX_BODY_BYTES)
                keep = False
            return status, keep


async def _drain_chunked(reader: asyncio.StreamReader) -> None:
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the blank line
                pass
            return
        total += size
        if total > MAX_BODY_BYTES:
            raise ValueError("the answer's body is too long")
        await reader.readexactly(size + 2)


def _close(connection: _Connection) -> None:
    with contextlib.suppress(Exception):
        connection[1].close()
