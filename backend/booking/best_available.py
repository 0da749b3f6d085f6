"""Best available: which `count` seats to offer a fan who did not pick seats on the map. Pure: no I/O.

The rules, in the order they decide:
1. The seats are adjacent: consecutive seat numbers in one row of one section.
2. The block does not leave a single lone empty seat beside it in its row (a seat nobody buying in pairs can
   use), unless every possible block would.
3. The best block has the lowest sum of ranks (lower rank is better), i.e. the best mean rank; ties go to the
   block holding the best single seat, then to layout order, so the answer is deterministic.

`accessible=True` only offers accessible seats. Accessible spaces are sparse and rarely side by side (the
stadium has one in every eleven seats of its front rows), so when no adjacent block of them exists the fan
still gets `count` accessible seats in one row (the best-ranked free ones of the best such row) rather than
nothing. The lone-seat rule looks at the row's real seats: an accessible block must not strand a lone ordinary
seat either.

The row index is built once per venue layout. A search walks rows in order of the best block they could
possibly hold (the sum of their `count` best ranks) and stops as soon as no remaining row can beat the block
in hand, so on an empty or half-full stadium it touches a handful of its 1,200 rows, and a full scan stays in
milliseconds.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from itertools import accumulate

from backend.catalog.layout import VenueLayout


@dataclass(frozen=True)
class Row:
    """One row of one section, its seats in seat-number order."""

    section_id: int
    label: str
    numbers: tuple[int, ...]
    keys: tuple[bytes, ...]  # seat ids as bytes: the live-state hash's field names, so no decoding per search
    ranks: tuple[int, ...]
    accessible: tuple[bool, ...]
    # lower_bounds[k] = sum of the row's k best ranks: no block of k seats in this row can score below it.
    lower_bounds: tuple[int, ...]
    # (start, end) offsets of the runs of consecutive seat numbers: a block never crosses an aisle or a gap.
    segments: tuple[tuple[int, int], ...]


@dataclass
class SeatingIndex:
    rows: list[Row]
    _rows_by_bound: dict[int, list[tuple[int, int]]] = field(default_factory=dict, repr=False)

    def rows_for(self, count: int) -> list[tuple[int, int]]:
        """(lower bound, row position) of every row with at least `count` seats, most promising first."""
        ordered = self._rows_by_bound.get(count)
        if ordered is None:
            ordered = sorted(
                (row.lower_bounds[count], position)
                for position, row in enumerate(self.rows)
                if len(row.keys) >= count
            )
            self._rows_by_bound[count] = ordered
        return ordered


def build_index(layout: VenueLayout) -> SeatingIndex:
    grouped: dict[tuple[int, str], list[int]] = {}
    for i in range(len(layout.seat_ids)):
        grouped.setdefault((layout.section_ids[i], layout.rows[i]), []).append(i)
    rows = []
    for (section_id, label), members in grouped.items():
        members.sort(key=lambda i: layout.numbers[i])
        ranks = tuple(layout.ranks[i] for i in members)
        rows.append(
            Row(
                section_id=section_id,
                label=label,
                numbers=tuple(layout.numbers[i] for i in members),
                keys=tuple(layout.seat_ids[i].encode() for i in members),
                ranks=ranks,
                accessible=tuple(layout.accessible[i] for i in members),
                lower_bounds=(0, *accumulate(sorted(ranks))),
                segments=_segments([layout.numbers[i] for i in members]),
            )
        )
    return SeatingIndex(rows)


def _segments(numbers: list[int]) -> tuple[tuple[int, int], ...]:
    segments, start = [], 0
    for i in range(1, len(numbers) + 1):
        if i == len(numbers) or numbers[i] != numbers[i - 1] + 1:
            segments.append((start, i))
            start = i
    return tuple(segments)


_indexes: dict[int, tuple[VenueLayout, SeatingIndex]] = {}


def cached_index(layout: VenueLayout) -> SeatingIndex | None:
    cached = _indexes.get(layout.venue_id)
    return cached[1] if cached is not None and cached[0] is layout else None


def index_for(layout: VenueLayout) -> SeatingIndex:
    """The layout's row index, built on first use and kept as long as the process keeps that layout."""
    cached = _indexes.get(layout.venue_id)
    if cached is None or cached[0] is not layout:
        cached = (layout, build_index(layout))
        _indexes[layout.venue_id] = cached
    return cached[1]


# A candidate block: (leaves a lone seat, rank sum, best rank, row position, first seat's offset in the row).
Candidate = tuple[bool, int, int, int, int]


def _blocks_in_row(row: Row, position: int, taken: bytes, unusable: bytes, count: int):
    """Every block of `count` adjacent usable seats in the row, as candidates.

    Flags are bytes (1 = taken or unusable), so finding a run of usable seats is bytes.find, in C: a full scan
    of a nearly sold-out stadium then costs a few milliseconds instead of a Python step per seat.
    """
    wanted = b"\x00" * count
    for segment_start, segment_end in row.segments:
        start = unusable.find(wanted, segment_start, segment_end)
        while start != -1:
            end = start + count - 1
            block_ranks = row.ranks[start:end + 1]
            leaves_lone_seat = _leaves_lone_seat(row.numbers, taken, start, end)
            yield (leaves_lone_seat, sum(block_ranks), min(block_ranks), position, start)
            start = unusable.find(wanted, start + 1, segment_end)


def _leaves_lone_seat(numbers: tuple[int, ...], taken: bytes, start: int, end: int) -> bool:
    """True when exactly one free seat would be left between the block and the next taken seat or row end."""

    def adjacent(a: int, b: int) -> bool:
        return numbers[b] == numbers[a] + 1

    size = len(numbers)
    left = start - 1
    if left >= 0 and not taken[left] and adjacent(left, start):
        beyond = left - 1
        if not (beyond >= 0 and not taken[beyond] and adjacent(beyond, left)):
            return True
    right = end + 1
    if right < size and not taken[right] and adjacent(end, right):
        beyond = right + 1
        if not (beyond < size and not taken[beyond] and adjacent(right, beyond)):
            return True
    return False


def _unusable(occupied: int, accessible: bool) -> bool:
    return bool(occupied) or not accessible


def choose_seats(
    index: SeatingIndex,
    taken: Container[bytes],
    count: int,
    section_id: int | None = None,
    accessible: bool = False,
) -> list[str] | None:
    """The best `count` seats not in `taken` (seat ids as bytes), in seat-number order; None when none fit."""
    if count < 1:
        return None
    best: Candidate | None = None
    is_taken = taken.__contains__
    for bound, position in index.rows_for(count):
        if best is not None and not best[0] and bound > best[1]:
            break  # no row from here on can hold a better block than the lone-free one in hand
        row = index.rows[position]
        if section_id is not None and row.section_id != section_id:
            continue
        occupied = bytes(map(is_taken, row.keys))
        unusable = bytes(map(_unusable, occupied, row.accessible)) if accessible else occupied
        for candidate in _blocks_in_row(row, position, occupied, unusable, count):
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        row = index.rows[best[3]]
        return [key.decode() for key in row.keys[best[4]:best[4] + count]]
    if accessible:
        return _accessible_in_one_row(index, taken, count, section_id)
    return None


def _accessible_in_one_row(
    index: SeatingIndex, taken: Container[bytes], count: int, section_id: int | None
) -> list[str] | None:
    """No adjacent accessible block anywhere: the best `count` free accessible seats that share a row."""
    best: tuple[int, int, list[int]] | None = None
    for position, row in enumerate(index.rows):
        if section_id is not None and row.section_id != section_id:
            continue
        usable = [i for i, key in enumerate(row.keys) if row.accessible[i] and key not in taken]
        if len(usable) < count:
            continue
        chosen = sorted(usable, key=lambda i: row.ranks[i])[:count]
        score = sum(row.ranks[i] for i in chosen)
        if best is None or (score, position) < best[:2]:
            best = (score, position, sorted(chosen))
    if best is None:
        return None
    row = index.rows[best[1]]
    return [row.keys[i].decode() for i in best[2]]
