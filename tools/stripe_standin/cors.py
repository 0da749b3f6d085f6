"""CORS for ``/v1``: browsers call it from the shop's origin (``stripe.retrievePaymentIntent``), as they
call api.stripe.com. The key, not the origin, decides what a caller may do, so any origin is allowed
and no cookies are involved."""

from __future__ import annotations

from typing import cast

from litestar.types import ASGIApp, HTTPResponseStartEvent, HTTPScope, Message, Receive, Scope, Send

CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"request-id, stripe-version, idempotency-key"),
]
PREFLIGHT_HEADERS = [
    *CORS_HEADERS,
    (b"access-control-allow-methods", b"GET, POST, DELETE, OPTIONS"),
    (
        b"access-control-allow-headers",
        b"authorization, content-type, idempotency-key, stripe-version, stripe-account",
    ),
    (b"access-control-max-age", b"600"),
    (b"content-length", b"0"),
]


def allow_browser_calls(app: ASGIApp) -> ASGIApp:
    async def with_cors(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await app(scope, receive, send)
            return
        if cast("HTTPScope", scope)["method"] == "OPTIONS":
            preflight: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 204,
                "headers": PREFLIGHT_HEADERS,
            }
            await send(preflight)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *CORS_HEADERS]
            await send(message)

        await app(scope, receive, send_with_cors)

    return with_cors
