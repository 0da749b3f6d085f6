"""best_available on layouts built here: pure, no server, no Redis."""

from __future__ import annotations

import time

from backend.booking.best_available import build_index, cached_index, choose_seats, index_for
from backend.catalog.layout import SectionInfo, VenueLayout


def grid_layout(rows: int, per_row: int, sections: int = 1, accessible: set[tuple[int, int, int]] = frozenset(),
                rank_of=None, gaps: set[int] = frozenset()) -> VenueLayout:
    """Seat id "s{section}{row letter}{number}"; rank row-major by default (row A first, low numbers first).

    `gaps` are seat numbers missing from every row (an aisle), so numbers on either side are not adjacent.
    """
    seat_ids, section_ids, row_labels, numbers, ranks, flags = [], [], [], [], [], []
    for s in range(sections):
        for r in range(rows):
            for n in range(1, per_row + 1):
                if n in gaps:
                    continue
                seat_ids.append(f"s{s}{chr(65 + r)}{n}")
                section_ids.append(100 + s)
                row_labels.append(chr(65 + r))
                numbers.append(n)
                ranks.append(rank_of(s, r, n) if rank_of else (s * rows + r) * per_row + n)
                flags.append((s, r, n) in accessible)
    return VenueLayout(
        venue_id=1, sections=[SectionInfo(100 + s, f"S{s}", 1000) for s in range(sections)], seat_ids=seat_ids,
        index={seat: i for i, seat in enumerate(seat_ids)}, section_ids=section_ids, rows=row_labels,
        numbers=numbers, ranks=ranks, accessible=flags, xs=[0.0] * len(seat_ids), ys=[0.0] * len(seat_ids),
    )


def taken(*seat_ids: str) -> set[bytes]:
    return {seat.encode() for seat in seat_ids}


def centre_first(s: int, r: int, n: int, per_row: int = 10) -> int:
    """Rank like a real hall: front rows first, and within a row the middle seats first."""
    return (s * 10 + r) * 1000 + abs(2 * n - (per_row + 1))


def test_picks_adjacent_seats_in_the_best_row() -> None:
    index = build_index(grid_layout(3, 10))
    assert choose_seats(index, set(), 3) == ["s0A1", "s0A2", "s0A3"]


def test_block_never_spans_rows_or_an_aisle() -> None:
    index = build_index(grid_layout(2, 6, gaps={4}))
    # Row A: 1 2 3 | 5 6. Four adjacent seats exist in no row, because 3 and 5 are not neighbours.
    assert choose_seats(index, set(), 4) is None
    assert choose_seats(index, set(), 3) == ["s0A1", "s0A2", "s0A3"]
    assert choose_seats(index, taken("s0A2"), 3) == ["s0B1", "s0B2", "s0B3"]


def test_lower_rank_wins_even_in_a_later_row() -> None:
    # Row B is ranked better than row A here.
    index = build_index(grid_layout(2, 10, rank_of=lambda s, r, n: (1 - r) * 100 + n))
    assert choose_seats(index, set(), 2) == ["s0B1", "s0B2"]


def test_centre_seats_preferred_when_ranked_so() -> None:
    index = build_index(grid_layout(1, 10, rank_of=centre_first))
    assert choose_seats(index, set(), 2) == ["s0A5", "s0A6"]


def test_never_leaves_a_lone_seat_when_avoidable() -> None:
    index = build_index(grid_layout(2, 10, rank_of=centre_first))
    # Row A has 4 free seats: 1 2 3 4 (5..10 taken). A pair at 2-3 or 3-4 would strand seat 1 or a lone seat;
    # 1-2 leaves 3-4, a usable pair; 3-4 leaves 1-2. Best rank among those that leave no lone seat: 3-4.
    row_a_taken = taken(*(f"s0A{n}" for n in range(5, 11)))
    assert choose_seats(index, row_a_taken, 2) == ["s0A3", "s0A4"]
    # With 3 free seats (1 2 3) any pair strands one seat; three seats fill the gap exactly.
    row_a_three = row_a_taken | taken("s0A4")
    assert choose_seats(index, row_a_three, 3) == ["s0A1", "s0A2", "s0A3"]
    # A pair from 1 2 3 must leave a lone seat, so the pair goes to row B instead...
    assert choose_seats(index, row_a_three, 2) == ["s0B5", "s0B6"]


def test_lone_seat_accepted_when_every_choice_leaves_one() -> None:
    index = build_index(grid_layout(1, 3))
    assert choose_seats(index, set(), 2) == ["s0A1", "s0A2"]  # seat 3 stays alone: there is no other way


def test_section_filter() -> None:
    index = build_index(grid_layout(2, 10, sections=2))
    assert choose_seats(index, set(), 2, section_id=101) == ["s1A1", "s1A2"]
    assert choose_seats(index, set(), 2, section_id=999) is None


def test_accessible_only_offers_accessible_seats_adjacent_first() -> None:
    spaces = {(0, 0, 1), (0, 0, 5), (0, 1, 7), (0, 1, 8)}
    index = build_index(grid_layout(2, 10, accessible=spaces))
    assert choose_seats(index, set(), 2, accessible=True) == ["s0B7", "s0B8"]  # the only adjacent pair
    assert choose_seats(index, set(), 1, accessible=True) == ["s0A1"]


def test_accessible_falls_back_to_one_row_when_no_adjacent_block() -> None:
    spaces = {(0, 0, 1), (0, 0, 5), (0, 1, 2), (0, 1, 9)}
    index = build_index(grid_layout(2, 10, accessible=spaces))
    assert choose_seats(index, set(), 2, accessible=True) == ["s0A1", "s0A5"]
    assert choose_seats(index, taken("s0A1"), 2, accessible=True) == ["s0B2", "s0B9"]
    assert choose_seats(index, taken("s0A1", "s0B9"), 2, accessible=True) is None


def test_impossible_requests_return_none() -> None:
    index = build_index(grid_layout(2, 4))
    assert choose_seats(index, set(), 5) is None
    everything_but_two_apart = taken("s0A2", "s0A3", "s0A4", "s0B1", "s0B2", "s0B3")
    assert choose_seats(index, everything_but_two_apart, 2) is None
    assert choose_seats(index, everything_but_two_apart, 1) == ["s0A1"]


def test_stadium_sized_search_is_fast() -> None:
    """52,800 seats like the demo stadium; measured: an empty and a nearly full house."""
    blocks, rows, per_row = 24, 50, 44
    layout = grid_layout(rows, per_row, sections=blocks,
                         rank_of=lambda s, r, n: (r * blocks + s) * per_row + abs(2 * n - per_row - 1))
    started = time.perf_counter()
    index = build_index(layout)
    build_s = time.perf_counter() - started
    nearly_full = {seat.encode() for i, seat in enumerate(layout.seat_ids) if i % 7}  # scattered free seats
    timings = []
    for occupied in (set(), nearly_full):
        started = time.perf_counter()
        for _ in range(5):
            choice = choose_seats(index, occupied, 4)
        timings.append((time.perf_counter() - started) / 5)
        assert choice is None or len(choice) == 4
    print(f"\nbest_available on 52,800 seats: index {build_s * 1000:.0f} ms, empty {timings[0] * 1000:.2f} ms, "
          f"nearly full {timings[1] * 1000:.1f} ms")
    assert timings[0] < 0.005 and timings[1] < 0.25


def test_the_row_index_is_built_once_per_layout() -> None:
    layout = grid_layout(2, 4)
    layout.venue_id = 424242
    assert cached_index(layout) is None
    built = index_for(layout)
    assert cached_index(layout) is built and index_for(layout) is built
    replaced = grid_layout(2, 4)  # the same venue loaded again: a new layout object gets a new index
    replaced.venue_id = 424242
    assert cached_index(replaced) is None and index_for(replaced) is not built
