"""Best available over HTTP leaves no lone seat when another choice avoids it, even when the best-ranked pair
would (these fail with the lone-seat rule switched off: the best ranks alone would win)."""

from __future__ import annotations

import httpx

from tests.booking.helpers import hold
from tests.support.data import create_show


async def _best(client: httpx.AsyncClient, show_id: int, count: int) -> list[str]:
    response = await hold(client, show_id, best_available={"count": count})
    assert response.status_code == 201, response.text
    return response.json()["seat_ids"]


async def test_the_best_ranked_pair_that_strands_a_seat_loses_to_a_clean_one(make_fan) -> None:
    show = await create_show(rows=3, seats_per_row=10, sections=(("Front", 5000),))
    row_a, row_b = show.rows["Front/A"], show.rows["Front/B"]
    blocker, buyer = await make_fan(), await make_fan()
    # Row A keeps seats 1-3 free: any pair there strands seat 1 or seat 3; row B is empty.
    assert (await hold(blocker, show.id, row_a[3:])).status_code == 201
    assert sorted(await _best(buyer, show.id, 2)) == sorted(row_b[:2])


async def test_a_lone_seat_is_accepted_when_every_choice_leaves_one(make_fan) -> None:
    show = await create_show(rows=1, seats_per_row=3, sections=(("Front", 5000),))
    buyer = await make_fan()
    assert sorted(await _best(buyer, show.id, 2)) == sorted(show.rows["Front/A"][:2])


async def test_a_gap_of_one_between_holds_is_not_created(make_fan) -> None:
    show = await create_show(rows=2, seats_per_row=6, sections=(("Front", 5000),))
    row_a, row_b = show.rows["Front/A"], show.rows["Front/B"]
    blocker, buyer = await make_fan(), await make_fan()
    # Row A: seats 1 and 5-6 held; 2-4 free. A pair at 2-3 strands 4, at 3-4 strands 2: row B is better.
    assert (await hold(blocker, show.id, [row_a[0], row_a[4], row_a[5]])).status_code == 201
    assert sorted(await _best(buyer, show.id, 2)) == sorted(row_b[:2])
