"""The one plain-ASGI middleware every request passes: request id, access log, the edge checks on unsafe requests
(where they come from, what their body holds), security headers.

Written as a single raw ASGI layer (no per-request objects, one send wrapper, one pass over the headers) because
it runs on every request of a flash sale: four layers of the same work cost a hold a fifth of its time.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from backend.edge import screening
from backend.edge.access_log import AccessLog
from backend.edge.logging_setup import request_id_var
from backend.edge.metrics import RequestMetrics
from backend.scope_state import SERVER_SEND

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_SCHEMA_PAGES = ("/schema", "/schema/")
# The request headers the middleware reads (one pass over them per request).
_READ = frozenset((b"x-request-id", b"sec-fetch-site", b"origin", b"host", b"content-length", b"content-type"))


class RequestIds:
    """Ids for requests that bring none: unique per process (a random prefix) and cheap (a counter)."""

    def __init__(self) -> None:
        self._prefix = os.urandom(5).hex()
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):08x}"


def security_headers(stripe_origins: Iterable[str], hsts: bool) -> tuple[list[tuple[bytes, bytes]],
                                                                          list[tuple[bytes, bytes]]]:
    """CSP and friends: only our origin plus what Stripe (or its stand-in) needs; and the API explorer's set."""
    stripe = " ".join(stripe_origins)
    csp = (
        "default-src 'self'; "
        f"script-src 'self' {stripe}; "
        f"frame-src {stripe or chr(39) + 'none' + chr(39)}; "
        f"connect-src 'self' ws: wss: {stripe}; "
        # The scanner's service worker (/sw.js) and nothing else: without this, workers would fall back to
        # script-src and could also come from Stripe's origins.
        "worker-src 'self'; "
        "img-src 'self' data: blob:; "
        "style-src 'self'; "
        "font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self), payment=(self)"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    # The API explorer at /schema is Swagger UI, whose page starts it with an inline script and styles.
    schema = [
        (b"content-security-policy", b"default-src 'self'; script-src 'self' 'unsafe-inline'; "
                                     b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                                     b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
        *headers[1:],
    ]
    return headers, schema


async def send_error(send: Send, status: int, code: str, detail: str, pointer: str | None = None) -> None:
    """An answer in API.md's error shape from below the framework (no route, no handler involved)."""
    body = msgspec.json.encode({"error": code, "detail": detail} if pointer is None else
                               {"error": code, "detail": detail, "pointer": pointer})
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


class EdgeMiddleware:
    """For every request, routed or not (Litestar's own middleware skips requests that match no route):

    - a request id, kept from a sane incoming X-Request-ID, echoed in the answer and set for every log line;
    - one access log line, written in batches (backend.edge.access_log), and the request's Prometheus metrics
      (backend.edge.metrics: by route template, so they are recorded after the app has routed it);
    - unsafe requests that a browser sends cross-site are refused (403), whatever cookies they carry. Browsers
      say where a request comes from (Sec-Fetch-Site, Origin); clients that are not browsers send neither and
      are not subject to CSRF. Token-based CSRF would break those API clients, so the origin check is the rule;
    - the body of every unsafe request is screened (backend.edge.screening: size, UTF-8, JSON, depth, card data,
      text the database cannot store), and every request's path and query string for that text, and refused in the
      error shape. Exempt paths (Stripe's signed webhook, whose events describe cards by brand and last four
      digits) get every check but the cross-site and card-data ones;
    - CSP and the other security headers on every HTTP answer.
    """

    def __init__(self, app: ASGIApp, *, trusted_origins: Iterable[str] = (), exempt_paths: Iterable[str] = (),
                 stripe_origins: Iterable[str] = (), hsts: bool = False, access_log: AccessLog | None = None,
                 body_limits: Mapping[str, int] | None = None, requests: RequestMetrics | None = None) -> None:
        self.app = app
        self.trusted = {o.rstrip("/") for o in trusted_origins}
        self.exempt = tuple(exempt_paths)
        # Exact paths whose bodies may be larger than screening.MAX_BODY_BYTES (each route's own limit): files,
        # screened for card data value by value (screening.screen_body).
        self.body_limits = dict(body_limits or {})
        self.headers, self.schema_headers = security_headers(stripe_origins, hsts)
        self.access_log = access_log or AccessLog()
        self.requests = requests
        self.ids = RequestIds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        seen = {name: value.decode("latin-1") for name, value in scope["headers"] if name in _READ}
        incoming = seen.get(b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else self.ids.next()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0
        method: str = scope.get("method", "WS")  # type: ignore[assignment]  # absent for a websocket
        path = scope["path"]
        extra = [(b"x-request-id", request_id.encode())]
        if kind == "http":
            extra += self.schema_headers if path in _SCHEMA_PAGES else self.headers
        else:
            scope.setdefault("state", {})[SERVER_SEND] = send  # type: ignore[typeddict-unknown-key]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            if kind == "http" and method in _UNSAFE:
                exempt = path.startswith(self.exempt) if self.exempt else False
                if not exempt and self._cross_site(seen.get(b"sec-fetch-site"), seen.get(b"origin"), seen.get(b"host")):
                    await send_error(send_with_headers, 403, "cross_site_request",
                                     "Cross-site requests that change state are refused.")
                    return
                limit = self.body_limits.get(path, screening.MAX_BODY_BYTES) if self.body_limits \
                    else screening.MAX_BODY_BYTES
                declared = seen.get(b"content-length")
                if declared and declared.isascii() and declared.isdigit() and (
                        refusal := screening.refuse_size(int(declared), limit)):
                    await send_error(send_with_headers, refusal.status, refusal.code, refusal.detail)
                    return
                body, messages, too_large = await read_body(receive, limit)
                if too_large:
                    refusal = screening.refuse_size(limit + 1, limit)
                elif len(body) > screening.MAX_BODY_BYTES:
                    # A file (a seating plan): seconds of screening for 60,000 seats, in a worker thread so the
                    # event loop keeps serving this process's other requests meanwhile.
                    refusal = await asyncio.to_thread(screening.screen_body, body, seen.get(b"content-type"),
                                                      screen_cards=not exempt, limit=limit, file_body=True)
                else:
                    refusal = screening.screen_body(body, seen.get(b"content-type"), screen_cards=not exempt,
                                                    limit=limit, file_body=limit > screening.MAX_BODY_BYTES)
                if refusal:
                    await send_error(send_with_headers, refusal.status, refusal.code, refusal.detail,
                                     refusal.pointer)
                    return
                receive = replaying(body, messages, receive)
            if kind == "http" and (refusal := screening.refuse_target(path, scope.get("query_string", b""))):
                await send_error(send_with_headers, refusal.status, refusal.code, refusal.detail)
                return
            # A socket's status and headers are the handshake's; after it, every frame of a broadcast would pass
            # through the wrapper for nothing, so sockets get the server's own send.
            await self.app(scope, receive, send_with_headers if kind == "http" else send)
        finally:
            if kind == "websocket":
                # The server's send is a method of its connection, which holds this scope: a reference cycle that
                # would keep the whole closed connection (~110 objects) until a full garbage collection.
                scope.get("state", {}).pop(SERVER_SEND, None)  # type: ignore[attr-defined]
            seconds = time.perf_counter() - started
            self.access_log.record(method, path, status, seconds * 1000, request_id)
            if self.requests is not None and kind == "http":
                self.requests.record(method, scope, status, seconds)
            request_id_var.reset(token)

    def _cross_site(self, fetch_site: str | None, origin: str | None, host: str | None) -> bool:
        if fetch_site == "cross-site":
            return True
        if not origin or origin == "null":
            return origin == "null"
        origin = origin.rstrip("/")
        return origin not in (f"http://{host or ''}", f"https://{host or ''}") and origin not in self.trusted
