"""Holds over HTTP against the real server, Redis and database: API.md's "Holds" section, case by case."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from redis.asyncio import Redis

from backend.catalog.cancellations import mark_cancelled
from backend.seats import _keys as keys
from backend.seats import ensure_built
from backend.timeutil import utcnow
from db.tables import Show
from realtime.waiting_room import admission
from tests.booking.helpers import hold, next_changes, seat_map, statuses, subscribe
from tests.support.data import create_show

MakeFan = Callable[[], Awaitable[httpx.AsyncClient]]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.cluster
async def test_hold_answers_201_and_the_map_shows_the_seats_held(fan: httpx.AsyncClient) -> None:
    show = await create_show()
    front_a = show.rows["Front/A"]
    before = await seat_map(fan, show.id)
    response = await hold(fan, show.id, front_a[:2])
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"hold_id", "show_id", "seat_ids", "expires_at", "amount_cents", "currency"}
    assert body["show_id"] == show.sid and body["seat_ids"] == front_a[:2]
    assert body["amount_cents"] == 2 * 5000 and body["currency"] == "EUR"
    lives_for = (parse_time(body["expires_at"]) - datetime.now(UTC)).total_seconds()
    assert 470 < lives_for <= 480  # HOLD_TTL_SECONDS defaults to 480
    after = await seat_map(fan, show.id)
    assert after["version"] > before["version"]
    seats = {seat["id"]: seat["status"] for seat in after["seats"]}
    assert [seats[s] for s in front_a[:3]] == ["held", "held", "available"]
    assert sum(status == "held" for status in seats.values()) == 2


@pytest.mark.cluster
async def test_a_hold_publishes_the_exact_diff_on_the_changes_channel(fan: httpx.AsyncClient, redis: Redis) -> None:
    show = await create_show()
    seats = show.rows["Back/B"][3:5]
    await ensure_built(redis, show.id)  # a show already on sale (its first hold would build it, with a reset first)
    before = (await seat_map(fan, show.id))["version"]  # a watcher loads the map, then subscribes
    pubsub = await subscribe(redis, show.id)
    try:
        assert (await hold(fan, show.id, seats)).status_code == 201
        message = await next_changes(pubsub, timeout=5)
    finally:
        await pubsub.aclose()
    assert message is not None
    version = (await seat_map(fan, show.id))["version"]
    assert version == before + 1
    assert message[0] == f'{{"v":{version},"c":[["{seats[0]}","held"],["{seats[1]}","held"]]}}'.encode()


async def test_taken_seats_are_409_and_nothing_is_held_for_the_loser(make_fan: MakeFan) -> None:
    show = await create_show()
    first, second = await make_fan(), await make_fan()
    row = show.rows["Front/B"]
    assert (await hold(first, show.id, row[1:3])).status_code == 201
    response = await hold(second, show.id, [row[0], row[2], row[3]])
    assert response.status_code == 409
    assert response.json()["error"] == "seats_unavailable"
    assert response.json()["seat_ids"] == [row[2]]
    seats = await statuses(second, show.id)
    assert seats[row[0]] == "available" and seats[row[3]] == "available"  # all-or-nothing


async def test_new_seats_join_the_hold_and_keep_its_expiry(fan: httpx.AsyncClient) -> None:
    show = await create_show()
    row = show.rows["Front/C"]
    first = (await hold(fan, show.id, row[:1])).json()
    await asyncio.sleep(0.05)  # expires_at has milliseconds: a moved expiry would show
    second = await hold(fan, show.id, [row[5], row[6]])
    assert second.status_code == 201
    joined = second.json()
    assert joined["hold_id"] == first["hold_id"]
    assert joined["expires_at"] == first["expires_at"]
    assert joined["seat_ids"] == [row[0], row[5], row[6]]
    assert joined["amount_cents"] == 3 * 5000
    # Asking again for seats already in the hold changes nothing.
    again = await hold(fan, show.id, [row[5]])
    assert again.status_code == 201 and again.json() == joined


async def test_per_order_limit_counts_the_seats_already_held(fan: httpx.AsyncClient) -> None:
    show = await create_show()
    row = show.rows["Back/A"]
    too_many_at_once = await hold(fan, show.id, row[:9])
    assert too_many_at_once.status_code == 422 and too_many_at_once.json()["error"] == "too_many_seats"
    assert (await hold(fan, show.id, row[:6])).status_code == 201
    over = await hold(fan, show.id, row[6:9])
    assert over.status_code == 422 and over.json()["error"] == "too_many_seats"
    assert (await statuses(fan, show.id))[row[6]] == "available"
    exactly = await hold(fan, show.id, row[6:8])
    assert exactly.status_code == 201 and len(exactly.json()["seat_ids"]) == 8
    best = await hold(fan, show.id, best_available={"count": 1})
    assert best.status_code == 422 and best.json()["error"] == "too_many_seats"


async def test_bad_requests_are_422_with_a_code(fan: httpx.AsyncClient) -> None:
    show, other = await create_show(), await create_show()
    seat = show.seat_ids[0]
    cases = [
        ({"seat_ids": [seat], "best_available": {"count": 1}}, "invalid"),
        ({}, "invalid"),
        ({"seat_ids": []}, "invalid"),
        ({"seat_ids": [seat, seat]}, "duplicate_seats"),
        ({"seat_ids": [seat, other.seat_ids[0], "nope"]}, "unknown_seats"),
        ({"best_available": {"count": 0}}, "invalid"),
        ({"best_available": {"count": 2, "section_id": str(other.sections["Front"])}}, "unknown_section"),
        ({"seat_ids": [1]}, "invalid"),
        ({"seat_ids": [seat], "surprise": True}, "invalid"),
    ]
    for body, code in cases:
        response = await fan.post(f"/api/v1/shows/{show.id}/holds", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] == code, (body, response.text)
    unknown = await fan.post(f"/api/v1/shows/{show.id}/holds",
                             json={"seat_ids": [seat, other.seat_ids[0], "nope"]})
    assert unknown.json()["seat_ids"] == [other.seat_ids[0], "nope"]
    assert all(status == "available" for status in (await statuses(fan, show.id)).values())


async def test_not_signed_in_is_401_and_unknown_show_404(anon: httpx.AsyncClient, fan: httpx.AsyncClient) -> None:
    show = await create_show()
    response = await hold(anon, show.id, show.seat_ids[:1])
    assert response.status_code == 401
    for show_ref in ("987654321", "abc"):
        response = await hold(fan, show_ref, ["1"])
        assert response.status_code == 404 and response.json()["error"] == "show_not_found"


async def test_outside_the_sale_window_is_409_sale_not_open(fan: httpx.AsyncClient) -> None:
    later = await create_show(sale_opens_in=timedelta(hours=2))
    response = await hold(fan, later.id, later.seat_ids[:1])
    assert response.status_code == 409 and response.json()["error"] == "sale_not_open"
    assert "sale_opens_at" in response.json()
    over = await create_show(starts_in=timedelta(hours=-1), sale_opens_in=timedelta(days=-3))
    response = await hold(fan, over.id, over.seat_ids[:1])
    assert response.status_code == 409 and response.json()["error"] == "sale_not_open"


async def test_waiting_room_shows_need_an_admission(fan: httpx.AsyncClient, redis: Redis) -> None:
    show = await create_show(queue_enabled=True)
    response = await hold(fan, show.id, show.seat_ids[:1])
    assert response.status_code == 403 and response.json()["error"] == "queue_required"
    profile_id = int(fan.profile["profile_id"])  # type: ignore[attr-defined]
    # The real way in: join the line; with the sale open and places free, the join itself admits.
    joined = await fan.post(f"/api/v1/shows/{show.id}/queue")
    assert joined.status_code == 201 and joined.json()["admitted"], joined.text
    assert await admission.is_admitted(redis, show.id, profile_id)
    placed = await hold(fan, show.id, show.seat_ids[:1])
    assert placed.status_code == 201
    # Releasing the whole hold means the fan is done shopping: the admission goes to the next in line.
    assert (await fan.delete(f"/api/v1/holds/{placed.json()['hold_id']}")).status_code == 204
    assert not await admission.is_admitted(redis, show.id, profile_id)


@pytest.mark.cluster
async def test_a_cancellation_marked_by_another_process_refuses_holds_at_once(make_fan: MakeFan,
                                                                             redis: Redis) -> None:
    """The mark alone (the database and every cached fact still say on sale): the lock scripts refuse in the step
    that would lock, named seats and best available alike; on a show with a waiting room, before the admission."""
    show, queued = await create_show(), await create_show(queue_enabled=True)
    fan = await make_fan()
    warm = await hold(fan, show.id, show.seat_ids[:1])  # this process now has the show's facts cached
    assert warm.status_code == 201, warm.text
    await mark_cancelled(redis, show.id)
    await mark_cancelled(redis, queued.id)
    for attempt in (hold(fan, show.id, show.seat_ids[1:3]), hold(fan, show.id, best_available={"count": 2}),
                    hold(await make_fan(), show.id, best_available={"count": 2}),
                    hold(fan, queued.id, queued.seat_ids[:1])):
        refused = await attempt
        assert (refused.status_code, refused.json()["error"]) == (409, "show_cancelled"), refused.text
    state = await redis.hgetall(keys.state(show.id))
    assert list(state) == [show.seat_ids[0].encode()]  # the warm-up's seat only
    # The other way round: cancelled in the database, the mark lost with Redis: the show's facts refuse.
    lost = await create_show()
    await Show.update({Show.cancelled_at: utcnow(), Show.cancel_reason: "test"}).where(Show.id == lost.id)
    refused = await hold(fan, lost.id, best_available={"count": 2})
    assert (refused.status_code, refused.json()["error"]) == (409, "show_cancelled"), refused.text


@pytest.mark.cluster
async def test_a_hold_is_visible_to_its_owner_only(make_fan: MakeFan) -> None:
    show = await create_show()
    owner, stranger = await make_fan(), await make_fan()
    placed = (await hold(owner, show.id, show.seat_ids[:2])).json()
    response = await owner.get(f"/api/v1/holds/{placed['hold_id']}")
    assert response.status_code == 200 and response.json() == placed
    for client, hold_id in ((stranger, placed["hold_id"]), (owner, "nonsense"),
                            (owner, f"h{show.id}_AAAAAAAAAAAAAAAA")):
        response = await client.get(f"/api/v1/holds/{hold_id}")
        assert response.status_code == 404 and response.json()["error"] == "hold_not_found"
    assert (await stranger.delete(f"/api/v1/holds/{placed['hold_id']}")).status_code == 404
    no_show = await owner.delete(f"/api/v1/holds/h987654321_AAAAAAAAAAAAAAAA/seats/{show.seat_ids[0]}")
    assert no_show.status_code == 404 and no_show.json()["error"] == "hold_not_found"
    gone = await stranger.delete(f"/api/v1/holds/{placed['hold_id']}/seats/{show.seat_ids[0]}")
    assert gone.status_code == 404
    assert (await owner.get(f"/api/v1/holds/{placed['hold_id']}")).json()["seat_ids"] == show.seat_ids[:2]


async def test_release_seats_one_by_one(make_fan: MakeFan) -> None:
    show = await create_show()
    owner, other = await make_fan(), await make_fan()
    first, second = show.rows["Front/D"][:2]
    hold_id = (await hold(owner, show.id, [first, second])).json()["hold_id"]
    response = await owner.delete(f"/api/v1/holds/{hold_id}/seats/{first}")
    assert response.status_code == 200
    assert response.json()["seat_ids"] == [second] and response.json()["amount_cents"] == 5000
    assert (await statuses(owner, show.id))[first] == "available"
    again = await owner.delete(f"/api/v1/holds/{hold_id}/seats/{first}")
    assert again.status_code == 404 and again.json()["error"] == "seat_not_in_hold"
    last = await owner.delete(f"/api/v1/holds/{hold_id}/seats/{second}")
    assert last.status_code == 204 and last.content == b""
    assert (await owner.get(f"/api/v1/holds/{hold_id}")).status_code == 404
    assert (await hold(other, show.id, [first, second])).status_code == 201


@pytest.mark.cluster
async def test_release_everything_frees_the_seats_at_once(make_fan: MakeFan, redis: Redis) -> None:
    show = await create_show()
    owner, other = await make_fan(), await make_fan()
    seats = show.rows["Back/D"][4:7]
    hold_id = (await hold(owner, show.id, seats)).json()["hold_id"]  # the state exists from here on
    pubsub = await subscribe(redis, show.id)
    try:
        response = await owner.delete(f"/api/v1/holds/{hold_id}")
        assert response.status_code == 204
        message = await next_changes(pubsub, timeout=5)
    finally:
        await pubsub.aclose()
    assert message is not None and message[0].endswith(
        (',"c":[' + ",".join(f'["{s}","available"]' for s in seats) + "]}").encode())
    now = await statuses(owner, show.id)
    assert [now[s] for s in seats] == ["available"] * 3
    assert (await owner.get(f"/api/v1/holds/{hold_id}")).status_code == 404
    assert (await owner.delete(f"/api/v1/holds/{hold_id}")).status_code == 404
    assert (await hold(other, show.id, seats)).status_code == 201
    assert not await redis.exists(keys.hold(show.id, hold_id))


async def test_best_available_over_http(make_fan: MakeFan) -> None:
    show = await create_show(accessible_every=4)
    first, second = await make_fan(), await make_fan()
    placed = await hold(first, show.id, best_available={"count": 3})
    assert placed.status_code == 201, placed.text
    assert placed.json()["seat_ids"] == show.rows["Front/A"][:3]  # ranks run row by row from Front A1
    nxt = (await hold(second, show.id, best_available={"count": 3})).json()["seat_ids"]
    assert nxt == show.rows["Front/A"][3:6]
    back = await hold(second, show.id, best_available={"count": 2, "section_id": str(show.sections["Back"])})
    assert back.json()["seat_ids"] == nxt + show.rows["Back/A"][:2]  # joined to the same hold
    third = await make_fan()
    accessible = await hold(third, show.id, best_available={"count": 2, "accessible": True})
    # accessible_every=4: seats 1, 5, 9 of each row, never side by side. Front A1 and A5 are taken, so the best
    # row with two free accessible seats is Front B.
    assert accessible.status_code == 201
    assert accessible.json()["seat_ids"] == [show.rows["Front/B"][0], show.rows["Front/B"][4]]
    fourth = await make_fan()
    impossible = await hold(fourth, show.id, best_available={"count": 8, "accessible": True})
    assert impossible.status_code == 409 and impossible.json()["error"] == "seats_unavailable"
