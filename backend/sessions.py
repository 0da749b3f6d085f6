"""Server-side sessions in Redis that cost nothing for anonymous visitors.

Litestar's backend stores a session and sets a cookie on every response, signed in or not; in a flash sale that is
one Redis write per anonymous map or catalog read. This backend writes only when the session's content changed,
and never invents a session for a visitor who has none.

Reads go through a small per-process near-cache (SessionConfig.near_cache_seconds, SESSION_CACHE_SECONDS): a fan's
burst of requests (hold, checkout, status) costs one Redis read, where the read was a third of a hold request's
CPU. This process's own writes and sign-outs update it at once; a sign-out served by another process is seen here
within that many seconds at most, no longer than a request already in flight at the sign-out would act.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import Empty, Message, Scopes, ScopeSession

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

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope.setdefault("state", {})[_LOADED] = dict(data)
        return data

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
