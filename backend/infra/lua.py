"""The one way this project runs a Lua script in Redis (seat state and the waiting room alike)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError


class LuaScript:
    """A script run by its SHA1, loaded into Redis on first use (and again after a Redis restart)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, redis: Redis, keys: Sequence[str], args: Sequence[str | bytes | int | float] = ()) -> Any:
        # Any: a Redis reply is as dynamically typed as the Lua table it came from; callers unpack it.
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)
