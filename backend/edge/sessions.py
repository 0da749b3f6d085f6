"""Server-side sessions in Redis that cost nothing for anonymous visitors.

Litestar's backend stores a session and sets a cookie on every response, signed in or not; in a flash sale that is
one Redis write per anonymous map or catalog read. This backend writes only when the session's content changed,
and never invents a session for a visitor who has none.

Reads go through a small per-process near-cache (SessionConfig.near_cache_seconds, SESSION_CACHE_SECONDS): a fan's
burst of requests (hold, checkout, status) costs one Redis read, where the read was a third of a hold request's
CPU. This process's own writes and sign-outs update it at once; a sign-out served by another process is seen here
within that many seconds at most, no longer than a request already in flight at the sign-out would act.

The middleware is SessionLayer below, not Litestar's SessionMiddleware: the same backend and the same semantics,
without the per-request objects that made it cost more than the session it read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from litestar._parsers import parse_cookie_string
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import ASGIApp, Empty, Message, Receive, Scope, Scopes, ScopeSession, Send

_LOADED = "showtime.session_loaded"
_ROTATED = "showtime.session_rotated"


class NearCache:
    """Session id -> stored bytes for `seconds`, bounded in size; entries are dropped whole when it is full."""

    def __init__(self, seconds: float, max_entries: int = 100_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, bytes]] = {}

    def get(self, session_id: str) -> bytes | None:
        entry = self._entries.get(session_id)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[session_id]
            return None
        return entry[1]

    def put(self, session_id: str, data: bytes) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self.max_entries:
            now = time.monotonic()
            self._entries = {key: entry for key, entry in self._entries.items() if entry[0] > now}
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
        self._entries[session_id] = (time.monotonic() + self.seconds, data)

    def forget(self, session_id: str) -> None:
        self._entries.pop(session_id, None)


class WriteOnChangeSessionBackend(ServerSideSessionBackend):
    config: SessionConfig

    def __init__(self, config: SessionConfig) -> None:
        super().__init__(config)
        self.near = NearCache(config.near_cache_seconds)

    async def get(self, session_id: str, store: Store) -> bytes | None:
        data = self.near.get(session_id)
        if data is None:
            data = await super().get(session_id, store)
            if data is not None:
                self.near.put(session_id, data)
        return data

    async def set(self, session_id: str, data: bytes, store: Store) -> None:
        await super().set(session_id, data, store)
        self.near.put(session_id, data)

    async def delete(self, session_id: str, store: Store) -> None:
        self.near.forget(session_id)
        await super().delete(session_id, store)

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        had_cookie = self.config.key in connection.cookies
        loaded = connection.scope.get("state", {}).get(_LOADED, {})
        if scope_session is Empty or not scope_session:
            if had_cookie and loaded:  # signed out just now: drop the stored session and clear the cookie, once
                await self._sign_out(message, connection)
            return
        if had_cookie and scope_session == loaded:
            return
        if had_cookie and isinstance(scope_session, dict) and scope_session.get("profile_id") != loaded.get("profile_id"):
            # Signing in as someone else gets a fresh session id: a planted cookie cannot be upgraded.
            store = self.config.get_store_from_app(connection.scope["app"])
            await self.delete(connection.cookies[self.config.key], store=store)
            connection.scope["state"][_ROTATED] = self.generate_session_id()
        await super().store_in_message(scope_session, message, connection)

    async def _sign_out(self, message: Message, connection: ASGIConnection) -> None:
        # Litestar's own clearing sends `session=null` with the configured Max-Age (14 days): the browser keeps
        # a "null" cookie and every later response clears it again. Max-Age=0 deletes it at once.
        store = self.config.get_store_from_app(connection.scope["app"])
        await self.delete(connection.cookies[self.config.key], store=store)
        cookie = Cookie(key=self.config.key, value="", max_age=0, expires=0, path=self.config.path,
                        domain=self.config.domain, secure=self.config.secure, httponly=self.config.httponly,
                        samesite=self.config.samesite)
        MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie.to_header(header=""))

    def get_session_id(self, connection: ASGIConnection) -> str:
        rotated = connection.scope.get("state", {}).get(_ROTATED)
        return rotated or super().get_session_id(connection)


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = WriteOnChangeSessionBackend  # type: ignore[assignment]
    # HTTP only: the sockets (live map, waiting room) are public and read no session; on them the middleware
    # would cost a Redis read per connect (a reconnect storm of signed-in fans) and a wrapper on every frame sent.
    scopes: Scopes = field(default_factory=lambda: {ScopeType.HTTP})
    # How long this process may answer a session from memory (0: always read the store). See the module docstring.
    near_cache_seconds: float = 0.0
    # Sockets under these path prefixes do read the session (the organizer's dashboard socket is for signed-in
    # staff only); read-only there: a socket never changes it.
    socket_prefixes: tuple[str, ...] = ()

    @property
    def middleware(self) -> DefineMiddleware:
        return DefineMiddleware(SessionLayer, backend=self._backend_class(config=self))


class SessionLayer:
    """Litestar's SessionMiddleware, in the shape the common request asks for: the session read (cookie, near-cache,
    decode) into `scope["session"]`, and on the way out nothing at all unless the handler changed it; then the
    backend's `store_in_message` does the rest (store, cookie, sign-out, rotation) as under Litestar's middleware.

    Litestar's middleware made a connection object, looked the session id up twice and wrapped every send through
    its generic middleware machinery: about 20 µs per request beyond the session's own work, measured in-process
    (a tenth of a hold request). Only the scope types SessionConfig.scopes names (HTTP).
    """

    def __init__(self, app: ASGIApp, backend: WriteOnChangeSessionBackend) -> None:
        self.app = app
        self.backend = backend
        self.key = backend.config.key
        self.scopes = backend.config.scopes
        self.socket_prefixes = backend.config.socket_prefixes
        self._store: Store | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in self.scopes and not (
                self.socket_prefixes and scope["type"] == "websocket" and scope["path"].startswith(self.socket_prefixes)):
            await self.app(scope, receive, send)
            return
        session_id = self._session_id(scope)
        data: dict[str, Any] = {}
        if session_id is not None:
            if self._store is None:
                self._store = self.backend.config.get_store_from_app(scope["app"])
            raw = await self.backend.get(session_id, self._store)
            if raw is not None:
                data = self.backend.deserialize_data(raw)
        loaded = dict(data)
        scope.setdefault("state", {})[_LOADED] = loaded  # type: ignore[typeddict-unknown-key]
        scope["session"] = data

        async def store_if_changed(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope.get("session")
                if session != loaded:  # otherwise store_in_message would find nothing to do
                    await self.backend.store_in_message(session, message, ASGIConnection(scope, receive, send))
            await send(message)

        await self.app(scope, receive, store_if_changed)

    def _session_id(self, scope: Scope) -> str | None:
        """The session cookie, parsed as Litestar's `connection.cookies` parses it (its own cached parser), without
        the connection and headers objects that cost half of this layer."""
        for name, value in scope["headers"]:
            if name == b"cookie" and (session_id := parse_cookie_string(value.decode("latin-1")).get(self.key)):
                return session_id
        return None
