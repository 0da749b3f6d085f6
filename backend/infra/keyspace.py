"""The Redis Cluster hash-tag convention shared by every per-show key (seat state, waiting room, admission,
caches): every key of a show starts with `{show:<id>}`, so a Lua script can touch all of them on one shard and a
cluster spreads shows over its shards. Only the tag lives here; each package names its own keys behind it.
"""

from __future__ import annotations


def show_tag(show_id: int | str) -> str:
    return f"{{show:{show_id}}}"
