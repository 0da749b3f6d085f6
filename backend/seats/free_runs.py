"""The free-run index: best available chosen and locked in one Redis step, at the cost of one row.

**The rules** (API.md: `count` adjacent seats in one row, best-ranked first, never leaving a lone empty seat beside
them when another choice avoids it), in the order they decide:
1. The seats are adjacent: consecutive seat numbers in one row of one section (a block never crosses an aisle).
2. The block does not leave a single lone free seat beside it in its row, unless every possible block would.
3. The best block has the lowest sum of ranks (lower rank is better), i.e. the best mean rank; ties go to the block
   holding the best single seat, then to layout order (row position, then seat number), so the answer is
   deterministic.
`section_id` keeps to one section. `accessible` only offers accessible seats: the best adjacent block of them
(the lone-seat rule still looks at the row's real seats), else, as accessible spaces are sparse and rarely side by
side, the `count` best-ranked free accessible seats of one row (the row whose such seats have the lowest rank sum).

**The index** (keys in _free_runs_lua.py), per show, next to the seat state and in its hash slot:
- each row of the venue as a string of free (`.`) and taken (`x`) seats in seat-number order, `|` at an aisle;
- for every block size k up to the per-order limit, a sorted set of the rows that have a free block of k seats,
  scored by their best one (rule 2 as the score's top part, then rank sum, then best rank) or less, one for the
  show and one per section; rows of equal score sort by position (layout order).
A request reads the head of one sorted set, that row's string and layout, picks the block in the row (O(row)), and
locks it in the same script that chose it (scripts.PLACE_BEST): no other request can come between the choice and
the lock, so best available never loses a race, and answers `no_block` (409) only when no block fits. Accessible
requests read the few rows that have accessible seats (24 of the stadium's 1,200).

**How it stays right.** The index mirrors one fact: whether a seat is in the state hash (held or sold) or not
(free). Every script that changes that passes its changes through one function (`publish` in scripts.py, which
calls `fr_apply` before it publishes them), which rewrites each touched row's string: hold, best-available hold,
release of a seat or a hold, expiry (the sweep), sale (the rest of a hold released) and claim. A row where a seat
was freed gets its best block of every size recomputed. A row whose seats were only taken, as in nearly every
hold, gets only what the take improved (a block whose lone neighbour was taken) and loses the sizes it can no
longer seat: its other entries may now score better than the row does, and the request that finds such an entry
first checks it against the row, sets it right and reads the next (_free_runs_lua.py says why the answer is still
the best block; a stale entry costs one such check, once). This keeps a hold's upkeep to its row's string instead
of eight recomputations and four sorted-set writes.

The rebuild after a flush (INIT_STATE) drops the index with the old state, and the next best-available request
builds it from the rebuilt state in one script (BUILD_INDEX), so no change can fall between the state it read and
the index it wrote. A seat whose hold expired is taken in the index until the sweeper releases it, as it was for the
whole-state read this replaces. tests/seats/test_free_run_index.py checks the index against a recomputation from
the state after random sequences of all of these, and a flush (the rows' strings equal, no entry above its row's
score), and each best-available hold against a brute-force choice; tests/seats/test_best_available_rules.py has
the takes that improve a row.

The venue's layout part (rows, ranks, where each seat is) is read from the database once per venue and process
(`index_layout`), and written to Redis only when an index is built.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from backend.seats import _keys as keys
from backend.seats import scripts
from backend.seats.single_flight import SingleFlight
from db.tables import Seat, Show

PLACE = struct.Struct(">HH")  # row position, character position (both from 1): fr:places holds one per seat id
MAX_ROWS = 0xFFFF
MAX_ROW_LENGTH = 127  # a block's start is one byte, 127 + start, in the row's block orders
EXACT = 2**53  # scores are sums of ranks in doubles (ZSET scores, Lua numbers): they must stay exact


@dataclass(frozen=True)
class LayoutSeat:
    seat_id: int
    section_id: int
    row: str
    number: int
    rank: int
    accessible: bool


@dataclass(frozen=True)
class IndexRow:
    section_id: int
    ranks: list[int]  # by character position; 0 at an aisle
    seat_ids: list[int]  # by character position; 0 at an aisle
    accessible: str  # '1' or '0' by character position
    empty: str  # the row string with every seat free: '.' per seat, '|' at an aisle


@dataclass(frozen=True)
class IndexLayout:
    """A venue's layout as the index stores it (see _free_runs_lua.py)."""

    rank_bound: int  # above every rank
    base: int  # the lowest seat id
    span: int  # seat ids base .. base + span - 1 have a place
    places: bytes
    rows: list[IndexRow]  # by row position, from 1
    sections: list[int]
    accessible_rows: list[int]  # row positions (from 1) with at least one accessible seat


def index_layout(seats: Sequence[LayoutSeat]) -> IndexLayout:
    """The index's layout, rows in order of first appearance in `seats` (the venue's layout order: by rank, then id,
    as backend.catalog.layout loads it), each row's seats by number."""
    grouped: dict[tuple[int, str], list[LayoutSeat]] = {}
    for seat in seats:
        grouped.setdefault((seat.section_id, seat.row), []).append(seat)
    if len(grouped) > MAX_ROWS:
        raise ValueError(f"{len(grouped)} rows: the index places at most {MAX_ROWS}")
    base = min((seat.seat_id for seat in seats), default=0)
    span = max((seat.seat_id for seat in seats), default=-1) - base + 1
    places = bytearray(PLACE.size * span)
    rows, accessible_rows, sections = [], [], []
    for position, ((section_id, label), members) in enumerate(grouped.items(), start=1):
        members.sort(key=lambda seat: seat.number)
        chars: list[str] = []
        ranks: list[int] = []
        flags: list[str] = []
        ids: list[int] = []
        for i, seat in enumerate(members):
            if i and seat.number != members[i - 1].number + 1:  # an aisle: blocks never cross it
                chars.append("|")
                ranks.append(0)
                flags.append("0")
                ids.append(0)
            chars.append(".")
            ranks.append(seat.rank)
            flags.append("1" if seat.accessible else "0")
            ids.append(seat.seat_id)
            PLACE.pack_into(places, PLACE.size * (seat.seat_id - base), position, len(chars))
        if len(chars) > MAX_ROW_LENGTH:
            raise ValueError(f"row {label} of section {section_id} has {len(chars)} places; the index takes "
                             f"{MAX_ROW_LENGTH} at most")
        rows.append(IndexRow(section_id, ranks, ids, "".join(flags), "".join(chars)))
        if "1" in flags:
            accessible_rows.append(position)
        if section_id not in sections:
            sections.append(section_id)
    rank_bound = max((seat.rank for seat in seats), default=0) + 1
    return IndexLayout(rank_bound, base, span, bytes(places), rows, sections, accessible_rows)


def block_order(row: IndexRow, k: int) -> list[int]:
    """The starts (character positions, from 1) of the row's blocks of k seats, best first: by rank sum, then best
    rank, then start (rule 3). A block never spans an aisle."""
    starts = [a for a in range(1, len(row.empty) - k + 2) if "|" not in row.empty[a - 1:a - 1 + k]]
    return sorted(starts, key=lambda a: (sum(row.ranks[a - 1:a - 1 + k]), min(row.ranks[a - 1:a - 1 + k]), a))


def row_layout(row: IndexRow, max_seats: int) -> bytes:
    """A row's layout as fr:rows stores it: section id (4 bytes), length (2), number of block sizes (1), the ranks
    and seat ids (4 bytes each), the accessible flags (1 byte each), then for each block size k from 1 its blocks
    best first: their number (1 byte), then one byte per block, 127 + its start."""
    length = len(row.empty)
    parts = [struct.pack(f">IHB{length}I{length}I", row.section_id, length, max_seats, *row.ranks, *row.seat_ids),
             row.accessible.encode()]
    for k in range(1, max_seats + 1):
        order = block_order(row, k)
        parts.append(bytes([len(order), *(127 + start for start in order)]))
    return b"".join(parts)


def check_exact(layout: IndexLayout, max_seats: int) -> None:
    """Every score the index makes (see _free_runs_lua.py) is an integer below 2**53."""
    r = layout.rank_bound
    if (max_seats + 1) * 2 * max_seats * r * r >= EXACT:
        raise ValueError(f"ranks up to {r} with blocks of {max_seats}: the index's scores would not be exact")


_layouts: dict[int, IndexLayout] = {}  # venue id -> layout; a venue's seating does not change while it sells
_venues: dict[int, int] = {}  # show id -> venue id
_loading: SingleFlight[int, IndexLayout] = SingleFlight()  # by venue id


async def venue_layout(show_id: int) -> IndexLayout:
    """The index layout of the show's venue, from the database once per venue and process (requests that ask at
    the same time share one load)."""
    venue_id = _venues.get(show_id)
    if venue_id is None:
        found = await Show.select(Show.venue).where(Show.id == show_id).output(as_list=True)
        venue_id = int(found[0]) if found else 0
        if found:
            _venues[show_id] = venue_id
    layout = _layouts.get(venue_id)
    if layout is None:
        layout = await _loading.run(venue_id, lambda: _load_layout(venue_id))
    return layout


async def _load_layout(venue_id: int) -> IndexLayout:
    rows = await Seat.select(
        Seat.id, Seat.section, Seat.row, Seat.number, Seat.rank, Seat.accessible
    ).where(Seat.venue == venue_id).order_by(Seat.rank).order_by(Seat.id)
    layout = index_layout([
        LayoutSeat(row["id"], row["section"], row["row"], row["number"], row["rank"], bool(row["accessible"]))
        for row in rows
    ])
    _layouts[venue_id] = layout
    return layout


async def build_index_from(redis: Redis, show_id: int, layout: IndexLayout, max_seats: int) -> bool | None:
    """Build the show's index for blocks of up to `max_seats` from its live state, in one script: True when built,
    False when an index for at least that many was already there, None when the state itself is not built."""
    check_exact(layout, max_seats)
    rows = _row_layouts(layout, max_seats)
    reply = await scripts.build_index(
        redis,
        [keys.version(show_id), keys.state(show_id), keys.free_runs_meta(show_id)],
        [keys.prefix(show_id), max_seats, layout.rank_bound, layout.base, layout.span, layout.places,
         json.dumps(layout.sections), json.dumps(layout.accessible_rows),
         *(part for row, blob in zip(layout.rows, rows, strict=True) for part in (blob, row.empty))],
    )
    if isinstance(reply, list):
        return None
    return bool(reply)


_row_blobs: dict[tuple[int, int], tuple[IndexLayout, list[bytes]]] = {}


def _row_layouts(layout: IndexLayout, max_seats: int) -> list[bytes]:
    """The rows' layouts for the index, once per layout and block size limit (the stadium's take ~0.3 s)."""
    key = (id(layout), max_seats)
    cached = _row_blobs.get(key)
    if cached is None or cached[0] is not layout:
        cached = (layout, [row_layout(row, max_seats) for row in layout.rows])
        _row_blobs[key] = cached
    return cached[1]


async def build_index(redis: Redis, show_id: int, max_seats: int) -> bool | None:
    """As build_index_from, with the layout of the show's venue."""
    return await build_index_from(redis, show_id, await venue_layout(show_id), max_seats)
