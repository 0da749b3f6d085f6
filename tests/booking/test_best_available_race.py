"""Best available never bounces: 250 fans on a 2,000-seat show send their best-available requests at the same
moment, wave after wave, and every request is answered 201 until no seats are left; then the next one is 409.

Each wave is 250 simultaneous requests for 2 seats (one per fan, each fan's new seats joining its hold, 8 at most);
four waves sell out the show's 1,000 pairs exactly (rows of 50 seats split into pairs leave no seat over). Before
best available chose and locked in one step, most requests of a wave chose the same best pair and all but one lost
it (on main's code of 2026-12-02 the first wave already had 409s)"""

from __future__ import annotations

import asyncio
import time

import httpx
from redis.asyncio import Redis

from backend.seats import _keys as keys
from tests.booking.race import close_fans, signed_in_fans
from tests.support.data import create_show
from tests.support.servers import ServerProcess

FANS = 250
WAVES = 4
COUNT = 2


async def _wave(fans, show_id: int) -> list[tuple[int, int, dict]]:
    start = asyncio.Event()

    async def one(index: int, client: httpx.AsyncClient) -> tuple[int, int, dict]:
        await start.wait()
        response = await client.post(f"/api/v1/shows/{show_id}/holds", json={"best_available": {"count": COUNT}})
        return index, response.status_code, response.json()

    tasks = [asyncio.create_task(one(fan.index, fan.client)) for fan in fans]
    await asyncio.sleep(0)
    start.set()
    return list(await asyncio.gather(*tasks))


async def test_best_available_answers_201_until_the_show_is_sold_out(server: ServerProcess, redis: Redis) -> None:
    show = await create_show(rows=20, seats_per_row=50)  # 2 sections x 20 rows x 50 = 2,000 seats
    row_of = {seat: row for row, members in show.rows.items() for seat in members}
    position = {seat: i for members in show.rows.values() for i, seat in enumerate(members)}
    fans = await signed_in_fans(redis, server.url, FANS)
    try:
        held: dict[int, list[str]] = {}
        for wave in range(WAVES):
            started = time.perf_counter()
            answers = await _wave(fans, show.id)
            statuses = sorted({status for _, status, _ in answers})
            print(f"\nwave {wave + 1}: {FANS} simultaneous best-available requests in "
                  f"{time.perf_counter() - started:.2f} s: {statuses}")
            assert statuses == [201], [(status, body) for _, status, body in answers if status != 201][:5]
            for index, _, body in answers:
                new = body["seat_ids"][len(held.get(index, [])):]
                assert held.get(index, []) == body["seat_ids"][:len(held.get(index, []))]  # the hold only grows
                # Adjacent seats of one row.
                assert len(new) == COUNT and len({row_of[seat] for seat in new}) == 1, new
                assert [position[seat] for seat in new] == list(range(position[new[0]], position[new[0]] + COUNT))
                held[index] = body["seat_ids"]

        every_seat = [seat for seats in held.values() for seat in seats]
        assert len(every_seat) == len(set(every_seat)) == len(show.seat_ids)  # each seat once: sold out exactly
        state = await redis.hgetall(keys.state(show.id))
        assert len(state) == len(show.seat_ids)

        late = (await signed_in_fans(redis, server.url, 1))[0]
        try:
            refused = await late.client.post(f"/api/v1/shows/{show.id}/holds", json={"best_available": {"count": 1}})
            assert refused.status_code == 409 and refused.json()["error"] == "seats_unavailable", refused.text
        finally:
            await late.client.aclose()
    finally:
        await close_fans(fans)
