"""Redis key names of seat state (private to backend.seats: other packages call its functions, never a key).
Every key of a show shares the hash tag `{show:<id>}` (backend.infra.keyspace).

- state      HASH  seat_id -> hold_id (held) | "sold"; seats absent are available. The live map's snapshot.
- version    STRING the live-map version; its absence means the state was never built, or Redis lost it.
- seat       STRING per seat, `SET seat hold_id NX PX ttl`: the lock itself.
- hold       HASH  profile, seats (JSON list), expires_at_ms, amount_cents, currency.
- holder     STRING profile's hold for this show (one hold per profile and show).
- expiries   ZSET  hold_id scored by expiry (ms): what the sweeper walks.
- sold-by    HASH  seat_id -> the id of the order that bought it, for each sold seat: a refund gives back only the
                   seats its own order bought, so a late or repeated refund cannot free a seat sold again since.
- changes    pub/sub channel: one message per version bump, `{"v": V, "c": [[seat_id, status], ...]}`.
- fr:*       the free-run index of best available (_free_runs_lua.py lists its keys; free_runs.py explains it).
"""

from __future__ import annotations

from functools import lru_cache

from backend.infra.keyspace import show_tag

ACTIVE_SHOWS = "booking:active-shows"  # SET of show ids that have unexpired holds (outside any show's slot)
SOLD_SENTINEL = b"sold"


@lru_cache(maxsize=4096)  # every seat call names a show's keys: built once per show, not per request
def prefix(show_id: int | str) -> str:
    """What every key of the show starts with; scripts build the keys they discover from it."""
    return f"{show_tag(show_id)}:"


def state(show_id: int | str) -> str:
    return f"{prefix(show_id)}state"


def version(show_id: int | str) -> str:
    return f"{prefix(show_id)}version"


def seat_lock(show_id: int | str, seat_id: int | str) -> str:
    return f"{prefix(show_id)}seat:{seat_id}"


def hold(show_id: int | str, hold_id: str) -> str:
    return f"{prefix(show_id)}hold:{hold_id}"


def holder(show_id: int | str, profile_id: int | str) -> str:
    return f"{prefix(show_id)}holder:{profile_id}"


def expiries(show_id: int | str) -> str:
    return f"{prefix(show_id)}expiries"


def sold_by(show_id: int | str) -> str:
    return f"{prefix(show_id)}sold-by"


def free_runs_meta(show_id: int | str) -> str:
    """The free-run index's meta hash: its presence says the show has an index (the other fr:* keys are found from
    the prefix by the scripts)."""
    return f"{prefix(show_id)}fr:meta"


def changes_channel(show_id: int | str) -> str:
    return f"{prefix(show_id)}changes"


@lru_cache(maxsize=4096)
def show_keys(show_id: int) -> tuple[str, str, str, str]:
    """The first KEYS of every seat script: state, version, expiries, changes channel."""
    return state(show_id), version(show_id), expiries(show_id), changes_channel(show_id)
