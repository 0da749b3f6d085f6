"""Redis keys of a show's waiting room, all under the show's hash tag so each Lua script runs on one shard.

- serving   STRING  highest number let in so far; a number <= serving is admitted.
- issued    STRING  highest number handed out (the FIFO counter, INCR).
- early     LIST    profiles who joined before the sale opened, until the draw gives them numbers.
- drawn     STRING  count of early arrivals, set once by the draw; its existence means "the line is formed".
- entries   HASH    profile -> number (0 while waiting for the draw): one place per profile, however many tabs.
- holders   HASH    number -> profile: who to admit when serving reaches a number.
- ids       HASH    profile -> queue_id.
- admissions ZSET   number scored by admission time (ms), last minute only: the measured admission rate.
- first     STRING  time of the first admission (ms): the rate's window before a full minute has passed.
- config    HASH    capacity, admission_ttl_ms, admissions_per_minute (the outflow valve, 0 = none): fixed by the
                    line's first joiner, so every process advances the line alike even while their settings differ
                    (a rolling deploy); change them here mid-sale (WaitingRoom.configure).
- valve     HASH    tokens, at (ms): the outflow valve's token bucket (_scripts.ADVANCE).
- changes   pub/sub channel: the queue status after every change, JSON {serving, waiting, rate_per_s, open}.
- sealed    STRING  set when a draw starts: from then on nobody joins the early list (they wait for the draw).
- drawing:<token>:entries / :holders  HASH  one draw's numbers, written in chunks and renamed over entries and
                    holders when complete: Redis never blocks long, a draw that dies half-way leaves nothing
                    visible (its hashes expire), and two draws can never mix their numbers.
- draw_lock STRING  SET NX PX by the process doing the draw; its token names that draw's hashes.
- seed      STRING  the draw's secret seed (64 hex digits), set by the line's first joiner (or the first look at the
                    draw): only its sha256 is shown until the draw, then it is revealed (draw.py).
- draw      HASH    the published draw once done: closed_at (ms), entries_hash, entries_count (drawn entries),
                    placed_after_count (early arrivals without a verified e-mail, numbered after them).
- draw_entries STRING the frozen drawn entries (queue ids, sorted, one per line: what entries_hash is over); a
                    draw writes it under drawing:<token>:list in chunks and FINISH_DRAW renames it here.
- lease:queue-advance  the advancing job's lease (backend.infra.leases): the one process that advances the line.
- admitted  ZSET    the admission grants: profile -> admitted-until (ms), read through admission.py.
"""

from __future__ import annotations

from backend.infra.keyspace import show_tag
from backend.infra.leases import lease_key

ADVANCE_JOB = "queue-advance"  # the lease that lets one process of the fleet advance a show's line

QUEUE_SHOWS = "realtime:queue-shows"  # SET of show ids whose waiting room has entries (outside any show's slot)


def _key(show_id: int | str, name: str) -> str:
    return f"{show_tag(show_id)}:queue:{name}"


def admitted(show_id: int | str) -> str:
    return f"{show_tag(show_id)}:admitted"


def changes_channel(show_id: int | str) -> str:
    return _key(show_id, "changes")


def draw_lock(show_id: int | str) -> str:
    return _key(show_id, "draw-lock")


def script_keys(show_id: int | str, draw_id: str = "none") -> list[str]:
    """KEYS of every waiting-room script, in the order _scripts.py indexes them."""
    return [
        _key(show_id, "serving"),  # 1
        _key(show_id, "issued"),  # 2
        _key(show_id, "early"),  # 3
        _key(show_id, "drawn"),  # 4
        _key(show_id, "admissions"),  # 5
        _key(show_id, "first"),  # 6
        changes_channel(show_id),  # 7
        _key(show_id, "entries"),  # 8
        _key(show_id, "holders"),  # 9
        _key(show_id, "ids"),  # 10
        admitted(show_id),  # 11
        _key(show_id, "config"),  # 12
        _key(show_id, "sealed"),  # 13
        _key(show_id, f"drawing:{draw_id}:entries"),  # 14
        _key(show_id, f"drawing:{draw_id}:holders"),  # 15
        draw_lock(show_id),  # 16
        _key(show_id, "seed"),  # 17
        _key(show_id, "draw"),  # 18
        _key(show_id, "draw-entries"),  # 19
        _key(show_id, f"drawing:{draw_id}:list"),  # 20
        lease_key(ADVANCE_JOB, show_id),  # 21
        _key(show_id, "valve"),  # 22
    ]
