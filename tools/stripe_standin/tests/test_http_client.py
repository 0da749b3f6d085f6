"""The webhook sender's HTTP client against real sockets: framing, keep-alive, failures.

The servers here are scripted asyncio servers, each answering with the exact bytes a test needs (an HTTP library
would not send a malformed answer, close at a chosen moment, or stall).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from tools.stripe_standin.http_client import DeliveryError, WebhookClient

from .conftest import free_port

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[bool]]


@dataclass
class Scripted:
    """A server that reads each request whole and lets ``answer`` write to it; it returns False to hang up."""

    answer: Answer
    port: int = 0
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                self.requests.append(head + await reader.readexactly(length))
                if not await self.answer(reader, writer, len(self.requests)):
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[Answer], Awaitable[Scripted]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> Scripted:
        script = Scripted(answer)
        server = await asyncio.start_server(script.serve, "127.0.0.1", 0)
        script.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return script

    yield start
    for server in servers:
        server.close()


def client_for(script: Scripted, path: str = "/webhook", timeout: float = 5) -> WebhookClient:
    return WebhookClient(f"http://127.0.0.1:{script.port}{path}", max_connections=4, timeout=timeout)


def answering(*chunks: bytes) -> Answer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> bool:
        writer.write(b"".join(chunks))
        return True

    return answer


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def test_posts_the_body_and_headers_and_reuses_the_connection(scripted) -> None:  # type: ignore[no-untyped-def]
    script = await scripted(answering(OK))
    client = client_for(script, "/api/v1/payments/stripe/webhook?x=1")
    for number in range(5):
        assert await client.post(b'{"n": %d}' % number, {"Stripe-Signature": "t=1,v1=ab"}) == 200
    assert script.connections == 1
    first = script.requests[0]
    assert first.startswith(b"POST /api/v1/payments/stripe/webhook?x=1 HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{script.port}\r\n".encode() in first
    assert b"Content-Length: 8\r\n" in first and b"Stripe-Signature: t=1,v1=ab\r\n" in first
    assert first.endswith(b'\r\n\r\n{"n": 0}')
    await client.close()


async def test_answers_framed_every_way_http_allows(scripted) -> None:  # type: ignore[no-untyped-def]
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
    script = await scripted(answering(chunked))
    client = client_for(script)
    assert [await client.post(b"{}", {}) for _ in range(3)] == [200, 200, 200]
    assert script.connections == 1  # the chunked body was read to its end: the connection stayed usable

    script = await scripted(answering(interim))
    client = client_for(script)
    assert [await client.post(b"{}", {}) for _ in range(2)] == [204, 204]
    assert script.connections == 1


async def test_a_connection_the_answer_ends_is_not_reused(scripted) -> None:  # type: ignore[no-untyped-def]
    async def until_end(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> bool:
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nbody until the end")
        return False

    for answer in (answering(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), until_end):
        script = await scripted(answer)
        client = client_for(script)
        assert [await client.post(b"{}", {}) for _ in range(3)] == [200, 200, 200]
        assert script.connections == 3


async def test_a_kept_connection_the_server_closed_meanwhile_is_replaced(scripted) -> None:  # type: ignore[no-untyped-def]
    async def then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> bool:
        writer.write(OK)  # says nothing of closing, then closes (an idle timeout, a restart)
        return False

    script = await scripted(then_hang_up)
    client = client_for(script)
    assert await client.post(b"{}", {}) == 200
    await asyncio.sleep(0.05)
    assert await client.post(b"{}", {}) == 200  # no error: made again on a new connection
    assert script.connections == 2


async def test_a_redirect_is_an_answer_not_followed(scripted) -> None:  # type: ignore[no-untyped-def]
    script = await scripted(answering(b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"))
    assert await client_for(script).post(b"{}", {}) == 302
    assert len(script.requests) == 1


async def test_failures_name_what_went_wrong(scripted) -> None:  # type: ignore[no-untyped-def]
    refused = WebhookClient(f"http://127.0.0.1:{free_port()}/", max_connections=1, timeout=5)
    with pytest.raises(DeliveryError) as failure:
        await refused.post(b"{}", {})
    assert failure.value.kind == "ConnectError"

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> bool:
        await asyncio.sleep(10)
        return False

    script = await scripted(stall)
    with pytest.raises(DeliveryError) as failure:
        await client_for(script, timeout=0.3).post(b"{}", {})
    assert failure.value.kind == "Timeout"

    for garbage in (b"SMTP ready\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"):
        script = await scripted(answering(garbage))
        with pytest.raises(DeliveryError) as failure:
            await client_for(script).post(b"{}", {})
        assert failure.value.kind == "RemoteProtocolError"

    async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Le")
        return False

    script = await scripted(half)
    with pytest.raises(DeliveryError) as failure:
        await client_for(script).post(b"{}", {})
    assert failure.value.kind == "RemoteProtocolError"


def test_only_http_urls() -> None:
    for url in ("ftp://example.com/", "http:///path", "example.com/webhook"):
        with pytest.raises(ValueError):
            WebhookClient(url, max_connections=1, timeout=1)
