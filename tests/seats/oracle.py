"""Best available by brute force, straight from API.md's rules, independent of the free-run index: every block of
every row is looked at. The tests compare the index's choices and contents with it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from backend.seats import LayoutSeat


@dataclass(frozen=True)
class Row:
    position: int  # from 1, in order of first appearance in the layout
    section_id: int
    seats: tuple[LayoutSeat, ...]  # by seat number


def rows_of(layout: Sequence[LayoutSeat]) -> list[Row]:
    grouped: dict[tuple[int, str], list[LayoutSeat]] = {}
    for seat in layout:
        grouped.setdefault((seat.section_id, seat.row), []).append(seat)
    return [Row(n, section_id, tuple(sorted(members, key=lambda s: s.number)))
            for n, ((section_id, _), members) in enumerate(grouped.items(), start=1)]


def _adjacent(row: Row, i: int, j: int) -> bool:
    return 0 <= i < len(row.seats) and 0 <= j < len(row.seats) and abs(row.seats[i].number - row.seats[j].number) == 1


def blocks(row: Row, is_free: Callable[[int], bool], count: int, accessible: bool = False):
    """(lone, rank sum, best rank, first seat index) of every block of `count` adjacent usable seats in the row."""
    for start in range(len(row.seats) - count + 1):
        members = range(start, start + count)
        if not all(is_free(row.seats[i].seat_id) and (row.seats[i].accessible or not accessible) for i in members):
            continue
        if not all(_adjacent(row, i, i + 1) for i in range(start, start + count - 1)):
            continue
        end = start + count - 1
        lone = False
        for near, beyond in ((start - 1, start - 2), (end + 1, end + 2)):
            seat_before = near + 1 if near < start else near - 1
            if _adjacent(row, near, seat_before) and is_free(row.seats[near].seat_id):
                if not (_adjacent(row, beyond, near) and is_free(row.seats[beyond].seat_id)):
                    lone = True
        ranks = [row.seats[i].rank for i in members]
        yield lone, sum(ranks), min(ranks), start


def choose(layout: Sequence[LayoutSeat], is_free: Callable[[int], bool], count: int, section_id: int | None = None,
           accessible: bool = False) -> list[int] | None:
    """The seat ids best available must offer, in seat-number order; None when no seats satisfy the request."""
    best = None
    rows = [row for row in rows_of(layout) if section_id is None or row.section_id == section_id]
    for row in rows:
        for lone, total, top, start in blocks(row, is_free, count, accessible):
            candidate = (lone, total, top, row.position, start)
            if best is None or candidate < best[0]:
                best = (candidate, [seat.seat_id for seat in row.seats[start:start + count]])
    if best is not None:
        return best[1]
    if not accessible:
        return None
    fallback = None
    for row in rows:
        usable = [seat for seat in row.seats if seat.accessible and is_free(seat.seat_id)]
        if len(usable) < count:
            continue
        chosen = sorted(usable, key=lambda seat: seat.rank)[:count]
        key = (sum(seat.rank for seat in chosen), row.position)
        if fallback is None or key < fallback[0]:
            fallback = (key, [seat.seat_id for seat in sorted(chosen, key=lambda seat: seat.number)])
    return fallback[1] if fallback else None


def expected_index(layout: Sequence[LayoutSeat], is_free: Callable[[int], bool], max_seats: int,
                   ) -> tuple[dict[int, str], dict[str, float], dict[int, dict[str, float]]]:
    """What the free-run index must hold for this state (see backend/seats/_free_runs_lua.py): each row's string,
    and the ZSET entries of the show and of each section, recomputed from scratch."""
    rank_bound = max(seat.rank for seat in layout) + 1
    lone_penalty, big = max_seats * rank_bound, 2 * max_seats * rank_bound * rank_bound
    strings: dict[int, str] = {}
    everywhere: dict[str, float] = {}
    per_section: dict[int, dict[str, float]] = {}
    for row in rows_of(layout):
        chars = []
        for i, seat in enumerate(row.seats):
            if i and not _adjacent(row, i - 1, i):
                chars.append("|")
            chars.append("." if is_free(seat.seat_id) else "x")
        strings[row.position] = "".join(chars)
        for k in range(1, max_seats + 1):
            found = min(blocks(row, is_free, k), default=None)
            if found is None:
                continue
            lone, total, top, _ = found
            score = k * big + ((lone_penalty if lone else 0) + total) * rank_bound + top
            member = f"{k}:{row.position:06d}"
            everywhere[member] = score
            per_section.setdefault(row.section_id, {})[member] = score
    return strings, everywhere, per_section
