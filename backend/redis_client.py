"""One Redis client per process, created lazily so importing the app never connects."""

from __future__ import annotations

from redis.asyncio import Redis

from backend.settings import Settings


def build_redis(settings: Settings) -> Redis:
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: start the app through `just serve` (it starts embedded Valkey)")
    url = settings.redis_url.replace("valkey://", "redis://", 1)
    return Redis.from_url(
        url,
        decode_responses=False,
        socket_timeout=5,
        socket_connect_timeout=3,
        health_check_interval=15,
        retry_on_timeout=True,
        max_connections=512,
    )
