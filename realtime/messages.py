"""What travels over the sockets (API.md "Live seat map" and "Waiting room") and over Redis pub/sub."""

from __future__ import annotations

import msgspec

from backend.seats import HeldOrSold, SeatStatus

# ---------------------------------------------------------------- to clients


# Tagged structs: msgspec writes the tag first, so messages read as API.md spells them: {"type": ..., ...}.


class Snapshot(msgspec.Struct, tag_field="type", tag="snapshot"):
    version: int
    seats: dict[str, HeldOrSold]  # seats not listed are available


class Diff(msgspec.Struct, tag_field="type", tag="diff"):
    from_version: int
    version: int
    changes: list[tuple[str, SeatStatus]]


class QueueBroadcast(msgspec.Struct, tag_field="type", tag="queue"):
    serving: int
    waiting: int
    rate_per_s: float
    # Extension to API.md: false until the early arrivals' places are drawn (sale_opens_at); then clients that
    # joined early fetch GET .../queue/me once to learn their number.
    open: bool
    # API.md, "Organizers": true while the organizer has paused or closed the sale (nobody is let in meanwhile).
    paused: bool


class ErrorMessage(msgspec.Struct, tag_field="type", tag="error"):
    error: str
    detail: str


# What `just openapi` adds to the exported OpenAPI document's components, for the web app's generated types.
CLIENT_MESSAGES = (Snapshot, Diff, QueueBroadcast, ErrorMessage)


# ---------------------------------------------------------------- from Redis


class SeatChanges(msgspec.Struct):
    """A message on `{show:N}:changes` (backend/seats): one version bump, or a reset after a rebuild."""

    v: int
    c: list[tuple[str | int, SeatStatus]] = []
    reset: bool = False


class QueueStatus(msgspec.Struct):
    """A message on `{show:N}:queue:changes`, written by the waiting room's Lua scripts."""

    serving: int
    waiting: int
    rate_per_s: float
    open: bool
    paused: bool = False


encode = msgspec.json.encode
decode_seat_changes = msgspec.json.Decoder(SeatChanges).decode
decode_queue_status = msgspec.json.Decoder(QueueStatus).decode
