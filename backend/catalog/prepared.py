"""Prepared answers: catalog responses encoded and gzipped once, then served from this process's memory.

The catalog is read far more than it changes, and a list or a show's detail is the same for every visitor (no
profile data is ever in it, so one cache serves everyone). Each answer is kept for `ttl` seconds at most: a sale
that changes `seats.available` or a show's status shows in every process within that time, with no Redis or
database work per request in between. Concurrent misses for one key share one build, so an expiry under load
costs one query, not one per waiting request.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from backend.catalog.map_format import gzip

# Small answers (a page of 20 shows is ~8 KB): a middling level compresses nearly as well, much faster.
GZIP_LEVEL = 6


@dataclass(frozen=True)
class Prepared:
    body: bytes
    gzipped: bytes
    etag: str
    expires_at: float

    @classmethod
    def of(cls, body: bytes, ttl: float) -> Prepared:
        return cls(body=body, gzipped=gzip(body, GZIP_LEVEL), etag=f'"c{zlib.crc32(body):08x}-{len(body)}"',
                   expires_at=time.monotonic() + ttl)


class PreparedAnswers:
    """A bounded, per-process map of key -> Prepared, each entry living `ttl` seconds."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl = ttl
        self.size = size
        self._answers: OrderedDict[Hashable, Prepared] = OrderedDict()
        self._building: dict[Hashable, asyncio.Future[Prepared]] = {}

    async def get(self, key: Hashable, build: Callable[[], Awaitable[bytes]]) -> Prepared:
        answer = self._answers.get(key)
        if answer is not None and answer.expires_at > time.monotonic():
            return answer
        pending = self._building.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._build(key, build))
            self._building[key] = pending
            pending.add_done_callback(lambda _: self._building.pop(key, None))
        return await asyncio.shield(pending)

    async def _build(self, key: Hashable, build: Callable[[], Awaitable[bytes]]) -> Prepared:
        answer = Prepared.of(await build(), self.ttl)
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return answer

    def clear(self) -> None:
        self._answers.clear()
