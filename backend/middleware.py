"""Plain ASGI middleware: request ids and access logs, the edge checks on unsafe requests (where they come from,
what their body holds), security headers.

Written as raw ASGI (not per-request objects) because they run on every request of a flash sale.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from backend import edge
from backend.logging_setup import request_id_var

access_log = logging.getLogger("showtime.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestContextMiddleware:
    """Gives each request an id (kept from a sane incoming X-Request-ID), echoes it, and logs one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            # A socket's status and headers are the handshake's; after it, every frame of a broadcast would pass
            # through this wrapper for nothing, so sockets get the server's own send.
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            access_log.info(
                "%s %s %s",
                scope.get("method", "WS"),
                scope["path"],
                status,
                extra={"status": status, "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                       "path": scope["path"], "method": scope.get("method", "WS")},
            )
            request_id_var.reset(token)


async def send_error(send: Send, status: int, code: str, detail: str) -> None:
    """An answer in API.md's error shape from below the framework (no route, no handler involved)."""
    body = msgspec.json.encode({"error": code, "detail": detail})
    start: Any = {"type": "http.response.start", "status": status,
                  "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
    await send(start)
    end: Any = {"type": "http.response.body", "body": body}
    await send(end)


async def read_body(receive: Receive, limit: int) -> tuple[bytes, list[ReceiveMessage], bool]:
    """The whole body (at most `limit` + one chunk), the messages read, and whether it went over the limit."""
    chunks: list[bytes] = []
    messages: list[ReceiveMessage] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # the client went away: let the app see the disconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", messages, True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages, False


def replaying(body: bytes, messages: list[ReceiveMessage], receive: Receive) -> Receive:
    """A receive that hands the app the body already read (as one message), then the real channel."""
    pending: list[ReceiveMessage] = [{"type": "http.request", "body": body, "more_body": False}]
    if messages and messages[-1]["type"] != "http.request":
        pending = [messages[-1]]

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class CrossSiteGuardMiddleware:
    """The edge checks of unsafe requests, before any routing or handler:

    - refuses what a browser sends cross-site (403), whatever cookies it carries. Browsers say where a request
      comes from (Sec-Fetch-Site, Origin); clients that are not browsers send neither and are not subject to
      CSRF. Token-based CSRF would break those API clients, so the origin check is the rule;
    - screens the body (backend.edge: size, UTF-8, JSON, depth, card data) and refuses it in the error shape.
      Exempt paths (Stripe's signed webhook, whose events describe cards by brand and last four digits) get
      every check but the card-data one.
    """

    def __init__(self, app: ASGIApp, trusted_origins: Iterable[str] = (), exempt_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.trusted = {o.rstrip("/") for o in trusted_origins}
        self.exempt = tuple(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _UNSAFE:
            await self.app(scope, receive, send)
            return
        exempt = scope["path"].startswith(self.exempt) if self.exempt else False
        if not exempt and self._cross_site(scope):
            await send_error(send, 403, "cross_site_request", "Cross-site requests that change state are refused.")
            return
        declared = _header(scope, b"content-length")
        if declared and declared.isascii() and declared.isdigit() and (refusal := edge.refuse_size(int(declared))):
            await send_error(send, refusal.status, refusal.code, refusal.detail)
            return
        body, messages, too_large = await read_body(receive, edge.MAX_BODY_BYTES)
        refusal = edge.BODY_TOO_LARGE if too_large else edge.screen_body(
            body, _header(scope, b"content-type"), screen_cards=not exempt)
        if refusal:
            await send_error(send, refusal.status, refusal.code, refusal.detail)
            return
        await self.app(scope, replaying(body, messages, receive), send)

    def _cross_site(self, scope: Scope) -> bool:
        fetch_site = _header(scope, b"sec-fetch-site")
        if fetch_site == "cross-site":
            return True
        origin = _header(scope, b"origin")
        if not origin or origin == "null":
            return origin == "null"
        host = _header(scope, b"host") or ""
        own = {f"http://{host}", f"https://{host}"}
        return origin.rstrip("/") not in own | self.trusted


class SecurityHeadersMiddleware:
    """CSP and friends on every response: only our origin plus what Stripe (or its stand-in) needs."""

    def __init__(self, app: ASGIApp, stripe_origins: Iterable[str] = (), hsts: bool = False) -> None:
        self.app = app
        stripe = " ".join(stripe_origins)
        csp = (
            "default-src 'self'; "
            f"script-src 'self' {stripe}; "
            f"frame-src {stripe or chr(39) + 'none' + chr(39)}; "
            f"connect-src 'self' ws: wss: {stripe}; "
            "img-src 'self' data: blob:; "
            "style-src 'self'; "
            "font-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self), payment=(self)"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        # The API explorer at /schema is Swagger UI, whose page starts it with an inline script and styles.
        self.schema_headers = [
            (b"content-security-policy", b"default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                         b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                                         b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
            *self.headers[1:],
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = self.schema_headers if scope["path"] in ("/schema", "/schema/") else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
