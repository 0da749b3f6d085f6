"""Best available's rules (API.md), each on a venue made here, chosen and locked by the seat script in Redis."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from backend import seats
from backend.booking.hold_ids import new_hold_id
from backend.catalog.cache_keys import cancelled_key
from tests.seats.venues import MAX_SEATS, TTL_MS, Venue, best, choose, grid, new_show, synthetic_show_id
from tests.support import data

pytestmark = [pytest.mark.usefixtures("server"), pytest.mark.cluster]  # `server`: a migrated database


def centre_first(s: int, r: int, n: int, per_row: int = 10) -> int:
    """Rank like a real hall: front rows first, and within a row the middle seats first."""
    return (s * 10 + r) * 1000 + abs(2 * n - (per_row + 1))


def row_of(venue: Venue, section: int, row: str, numbers: range) -> list[str]:
    return [f"s{section}{row}{n}" for n in numbers]


async def test_picks_adjacent_seats_in_the_best_row(redis: Redis) -> None:
    assert await choose(redis, grid(3, 10), (), 3) == ["s0A1", "s0A2", "s0A3"]


async def test_block_never_spans_rows_or_an_aisle(redis: Redis) -> None:
    venue = grid(2, 6, gaps={4})
    # Row A: 1 2 3 | 5 6. Four adjacent seats exist in no row, because 3 and 5 are not neighbours.
    assert await choose(redis, venue, (), 4) is None
    assert await choose(redis, venue, (), 3) == ["s0A1", "s0A2", "s0A3"]
    assert await choose(redis, venue, ["s0A2"], 3) == ["s0B1", "s0B2", "s0B3"]


async def test_lower_rank_wins_even_in_a_later_row(redis: Redis) -> None:
    venue = grid(2, 10, rank_of=lambda s, r, n: (1 - r) * 100 + n)  # row B is ranked better than row A here
    assert await choose(redis, venue, (), 2) == ["s0B1", "s0B2"]


async def test_centre_seats_preferred_when_ranked_so(redis: Redis) -> None:
    assert await choose(redis, grid(1, 10, rank_of=centre_first), (), 2) == ["s0A5", "s0A6"]


async def test_never_leaves_a_lone_seat_when_avoidable(redis: Redis) -> None:
    venue = grid(2, 10, rank_of=centre_first)
    # Row A has 4 free seats: 1 2 3 4 (5..10 taken). A pair at 2-3 strands seat 1 and seat 4; 1-2 leaves 3-4, a
    # usable pair; 3-4 leaves 1-2. Best rank among those that leave no lone seat: 3-4.
    row_a_taken = row_of(venue, 0, "A", range(5, 11))
    assert await choose(redis, venue, row_a_taken, 2) == ["s0A3", "s0A4"]
    # With 3 free seats (1 2 3) three seats fill the gap exactly...
    assert await choose(redis, venue, [*row_a_taken, "s0A4"], 3) == ["s0A1", "s0A2", "s0A3"]
    # ...and a pair from them must leave a lone seat, so the pair goes to row B instead.
    assert await choose(redis, venue, [*row_a_taken, "s0A4"], 2) == ["s0B5", "s0B6"]


async def test_a_seat_taken_beside_a_block_can_make_its_row_the_best(redis: Redis) -> None:
    """Taking seats mostly worsens a row (the index reads such a row again when it comes first), but taking a
    block's lone neighbour improves the block, and the index must know at once, on either side of the block, and
    without forgetting a better block of the same row."""
    def venue(row_a: list[int], row_b: tuple[int, ...] = (11, 12, 13, 14, 15, 16)) -> Venue:
        return grid(2, 6, rank_of=lambda s, r, n: (row_a if r == 0 else row_b)[n - 1])

    # A2-A3 (ranks 1 + 2) strands A1, so B1-B2 (23) beats A's best that strands no one, A1-A2 (51)...
    left = venue([50, 1, 2, 70, 71, 72])
    assert await choose(redis, left, (), 2) == ["s0B1", "s0B2"]
    # ...until A1 is taken.
    assert await choose(redis, left, ["s0A1"], 2) == ["s0A2", "s0A3"]
    right = venue([72, 71, 70, 2, 1, 50])  # the same, mirrored: A4-A5 strands A6
    assert await choose(redis, right, (), 2) == ["s0B1", "s0B2"]
    assert await choose(redis, right, ["s0A6"], 2) == ["s0A4", "s0A5"]
    # A1 taken improves A2-A3 (5 + 6) but row A's best stays A5-A6 (1 + 2), ahead of B1-B2 (3 + 4).
    kept = venue([50, 5, 6, 70, 1, 2], (3, 4, 30, 31, 32, 33))
    assert await choose(redis, kept, ["s0A1"], 2) == ["s0A5", "s0A6"]


async def test_a_block_improved_by_a_take_is_offered_though_the_block_beside_it_scores_better(redis: Redis) -> None:
    """A take at the end of a run makes the block beside it stop stranding a seat. The block one seat over (the
    seat taken and the block's seats but its far one) may score better, and the offer is needless only if that block
    stranded no one before the take (the row's entry was at most its score then). Here it stranded a seat (the far
    seat taken before the index was built, so the row's entries were exact): the offer must be made, on either side."""
    async def chosen(venue: Venue, before: str, then: str) -> list[str] | None:
        show_id = synthetic_show_id()

        async def hold(profile_id: int, seat: str) -> None:
            placed = await seats.lock_seats(
                redis, show_id=show_id, profile_id=profile_id, new_hold_id=new_hold_id(show_id),
                seats=[(str(venue.ids[seat]), 1000)], ttl_ms=TTL_MS, max_seats=1, currency="EUR",
                closing_mark=cancelled_key(show_id))
            assert isinstance(placed, seats.Placed), placed

        await seats.ensure_built(redis, show_id)
        await hold(1, before)
        # The index is built with `before` taken: its entries are exact.
        assert await seats.build_index_from(redis, show_id, seats.index_layout(venue.seats), MAX_SEATS)
        await hold(3, then)
        outcome = await best(redis, show_id, 2, 2)
        assert isinstance(outcome, seats.Placed), outcome
        return venue.names(outcome.record.seat_ids)

    row_b = (10, 11, 80, 81, 82, 83)  # B1-B2: 21, better than row A's best before the take (A1-A2 or A5-A6: 101)
    # A: 1 2 x 4 5 6 with A6 then taken: A4-A5 (ranks 2 + 1) no longer strands A6; A5-A6 (1 + 0) stranded A4.
    left = grid(2, 6, rank_of=lambda s, r, n: ((50, 51, 70, 2, 1, 0), row_b)[r][n - 1])
    assert await chosen(left, "s0A3", "s0A6") == ["s0A4", "s0A5"]
    # Mirrored: 1 2 3 x 5 6 with A1 then taken: A2-A3 no longer strands A1; A1-A2 stranded A3.
    right = grid(2, 6, rank_of=lambda s, r, n: ((0, 1, 2, 70, 51, 50), row_b)[r][n - 1])
    assert await chosen(right, "s0A4", "s0A1") == ["s0A2", "s0A3"]


async def test_lone_seat_accepted_when_every_choice_leaves_one(redis: Redis) -> None:
    assert await choose(redis, grid(1, 3), (), 2) == ["s0A1", "s0A2"]  # seat 3 stays alone: there is no other way


async def test_ties_go_to_the_block_with_the_best_seat_then_to_layout_order(redis: Redis) -> None:
    # Row A ranks 1 4 | row B ranks 2 3: both pairs sum to 5; B holds neither the best seat (1) ... A does.
    venue = grid(2, 2, rank_of=lambda s, r, n: {(0, 1): 1, (0, 2): 4, (1, 1): 2, (1, 2): 3}[(r, n)])
    assert await choose(redis, venue, (), 2) == ["s0A1", "s0A2"]
    # Equal in everything but place: the row that comes first in the layout.
    same = grid(2, 3, sections=2, rank_of=lambda s, r, n: (r * 2 + s) * 10 + n)
    assert await choose(redis, same, (), 3) == ["s0A1", "s0A2", "s0A3"]


async def test_section_filter(redis: Redis) -> None:
    venue = grid(2, 10, sections=2)
    assert await choose(redis, venue, (), 2, section_id=101) == ["s1A1", "s1A2"]
    assert await choose(redis, venue, (), 2, section_id=999) is None
    # Each section's price (100: 1000, 101: 2000 in venues.best), the one of the seats chosen.
    show_id = await new_show(redis, venue)
    amounts = [await best(redis, show_id, profile, 2, section_id=section) for profile, section in ((5, 101), (6, 100))]
    assert [outcome.record.amount_cents for outcome in amounts if isinstance(outcome, seats.Placed)] == [4000, 2000]


async def test_accessible_only_offers_accessible_seats_adjacent_first(redis: Redis) -> None:
    venue = grid(2, 10, accessible={(0, 0, 1), (0, 0, 5), (0, 1, 7), (0, 1, 8)})
    assert await choose(redis, venue, (), 2, accessible=True) == ["s0B7", "s0B8"]  # the only adjacent pair
    assert await choose(redis, venue, (), 1, accessible=True) == ["s0A1"]


async def test_accessible_falls_back_to_one_row_when_no_adjacent_block(redis: Redis) -> None:
    venue = grid(2, 10, accessible={(0, 0, 1), (0, 0, 5), (0, 1, 2), (0, 1, 9)})
    assert await choose(redis, venue, (), 2, accessible=True) == ["s0A1", "s0A5"]
    assert await choose(redis, venue, ["s0A1"], 2, accessible=True) == ["s0B2", "s0B9"]
    assert await choose(redis, venue, ["s0A1", "s0B9"], 2, accessible=True) is None


async def test_impossible_requests_find_no_block(redis: Redis) -> None:
    venue = grid(2, 4)
    assert await choose(redis, venue, (), 5) is None
    everything_but_two_apart = ["s0A2", "s0A3", "s0A4", "s0B1", "s0B2", "s0B3"]
    assert await choose(redis, venue, everything_but_two_apart, 2) is None
    assert await choose(redis, venue, everything_but_two_apart, 1) == ["s0A1"]


async def test_a_hold_takes_the_next_best_block_each_time_until_none_is_left(redis: Redis) -> None:
    venue = grid(2, 4)
    show_id = await new_show(redis, venue)
    picked = []
    for profile in range(10, 14):
        outcome = await best(redis, show_id, profile, 2)
        assert isinstance(outcome, seats.Placed), outcome
        picked.append(venue.names(outcome.record.seat_ids))
    assert picked == [["s0A1", "s0A2"], ["s0A3", "s0A4"], ["s0B1", "s0B2"], ["s0B3", "s0B4"]]
    assert isinstance(await best(redis, show_id, 14, 1), seats.NoBlock)


async def test_new_seats_join_the_profiles_hold_within_the_per_order_limit(redis: Redis) -> None:
    venue = grid(2, 10)
    show_id = await new_show(redis, venue)
    first = await best(redis, show_id, 7, 3)
    second = await best(redis, show_id, 7, 4)
    assert isinstance(first, seats.Placed) and isinstance(second, seats.Placed)
    assert second.record.hold_id == first.record.hold_id
    assert venue.names(second.record.seat_ids) == ["s0A1", "s0A2", "s0A3", "s0A4", "s0A5", "s0A6", "s0A7"]
    assert second.record.amount_cents == 7 * 1000
    assert isinstance(await best(redis, show_id, 7, 2), seats.TooManySeats)  # 7 + 2 > 8


async def test_the_index_is_built_on_first_use_and_again_for_a_larger_per_order_limit(redis: Redis) -> None:
    show = await data.create_show(rows=1, seats_per_row=12, sections=(("Front", 1000),))
    first = await best(redis, show.id, 3, 2)  # no state, no index yet: both are built from the database
    assert isinstance(first, seats.Placed)
    assert first.record.seat_ids == show.rows["Front/A"][:2]
    larger = await best(redis, show.id, 4, 10, max_seats=10)  # the index was built for blocks of up to 8
    assert isinstance(larger, seats.Placed)
    assert larger.record.seat_ids == show.rows["Front/A"][2:12]


async def test_best_available_asks_before_joining_a_hold_gone_to_checkout(redis: Redis) -> None:
    """Unless its caller says the open order was cleared, a best-available hold never joins a hold in checkout."""
    show_id = await new_show(redis, grid(2, 10), ())
    first = await best(redis, show_id, 7, 2)
    assert isinstance(first, seats.Placed)
    hold_id = first.record.hold_id
    assert await seats.mark_checkout(redis, show_id=show_id, hold_id=hold_id, profile_id=7)
    assert await best(redis, show_id, 7, 2) == seats.InCheckout(hold_id)
