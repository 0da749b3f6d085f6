"""Redis key names. Everything about one show shares the hash tag `{show:<id>}`, so one Lua script can touch
all of a show's keys and a Redis Cluster spreads shows over its shards.

- state      HASH  seat_id -> hold_id (held) | "sold"; seats absent are available. The live map's snapshot.
- version    STRING the live-map version; its absence means the state must be rebuilt from the database.
- seat       STRING per seat, `SET seat hold_id NX PX ttl`: the lock itself.
- hold       HASH  profile, seats (JSON list), expires_at_ms, amount_cents, currency.
- holder     STRING profile's hold for this show (one hold per profile and show).
- expiries   ZSET  hold_id scored by expiry (ms): what the sweeper walks.
- changes    pub/sub channel: one message per version bump, `{"v": V, "c": [[seat_id, status], ...]}`.
"""

from __future__ import annotations

ACTIVE_SHOWS = "booking:active-shows"  # SET of show ids that have unexpired holds (outside any show's slot)
SOLD_SENTINEL = b"sold"


def tag(show_id: int | str) -> str:
    return f"{{show:{show_id}}}"


def state(show_id: int | str) -> str:
    return f"{tag(show_id)}:state"


def version(show_id: int | str) -> str:
    return f"{tag(show_id)}:version"


def seat_lock(show_id: int | str, seat_id: int | str) -> str:
    return f"{tag(show_id)}:seat:{seat_id}"


def hold(show_id: int | str, hold_id: str) -> str:
    return f"{tag(show_id)}:hold:{hold_id}"


def holder(show_id: int | str, profile_id: int | str) -> str:
    return f"{tag(show_id)}:holder:{profile_id}"


def expiries(show_id: int | str) -> str:
    return f"{tag(show_id)}:expiries"


def changes_channel(show_id: int | str) -> str:
    return f"{tag(show_id)}:changes"


def detail_cache(show_id: int | str) -> str:
    return f"{tag(show_id)}:detail"
