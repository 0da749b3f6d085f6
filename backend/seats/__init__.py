"""Seat state in Redis: the one package that knows its keys and Lua scripts.

Other packages use only the names exported here. Reads never write (reads.py says what a read of an unbuilt
show answers); the rebuild from the database lives in one place (rebuild.py) and is announced once; the write
side (writes.py) is what booking and payments call.
"""

from backend.seats.free_runs import IndexLayout, LayoutSeat, build_index, build_index_from, index_layout
from backend.seats.reads import (
    NOT_BUILT,
    LiveState,
    changes_channel,
    hold_owner,
    read_hold,
    read_state,
    seats_free_for,
    status_of,
    unavailable_counts,
    unsold_among,
    version_of,
)
from backend.seats.rebuild import ensure_built, rebuild_sold_seats
from backend.seats.records import (
    HeldOrSold,
    HoldRecord,
    InCheckout,
    NoBlock,
    NoHold,
    NoSeat,
    Placed,
    Released,
    SaleClosed,
    SeatsTaken,
    SeatStatus,
    StateUnavailable,
    TooManySeats,
)
from backend.seats.writes import (
    claim_seats,
    extend_hold,
    lock_best_available,
    lock_seats,
    mark_checkout,
    mark_sold,
    release_hold,
    release_seat,
    release_sold,
    sweep_expired,
)

__all__ = [
    "NOT_BUILT",
    "HeldOrSold",
    "HoldRecord",
    "InCheckout",
    "IndexLayout",
    "LayoutSeat",
    "LiveState",
    "NoBlock",
    "NoHold",
    "NoSeat",
    "Placed",
    "Released",
    "SaleClosed",
    "SeatStatus",
    "SeatsTaken",
    "StateUnavailable",
    "TooManySeats",
    "build_index",
    "build_index_from",
    "changes_channel",
    "claim_seats",
    "ensure_built",
    "extend_hold",
    "hold_owner",
    "index_layout",
    "lock_best_available",
    "lock_seats",
    "mark_checkout",
    "mark_sold",
    "read_hold",
    "read_state",
    "rebuild_sold_seats",
    "release_hold",
    "release_seat",
    "release_sold",
    "seats_free_for",
    "status_of",
    "sweep_expired",
    "unavailable_counts",
    "unsold_among",
    "version_of",
]
