"""The organizer's sale controls (API.md, "Organizers"): pause, resume, close; new holds and waiting-room
admissions refused meanwhile, holds that exist still paid; the waiting room's broadcast says `paused`; every
process sees a change through the show facts' revision, not after their 30 s TTL."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
import websockets
from redis.asyncio import Redis

from backend.catalog.facts import ShowFactsCache, touch
from backend.timeutil import utcnow
from db.tables import Show
from realtime.waiting_room import WaitingRoom
from tests.organizer.conftest import MakeOrganizer
from tests.organizer.test_shows import PREFIX, new_show
from tests.payments.helpers import Standin, checkout, eventually, hold, order_status_becomes
from tests.realtime.waiting_room.test_waiting_room_scripts import OPENS_MS, a_show


async def seats_of(client: httpx.AsyncClient, show_id: str) -> list[str]:
    return [seat["id"] for seat in (await client.get(f"/api/v1/shows/{show_id}/map")).json()["seats"]]


async def sale(organizer: httpx.AsyncClient, show_id: str, action: str) -> httpx.Response:
    return await organizer.post(f"{PREFIX}/shows/{show_id}/sale", json={"action": action})


async def next_where(socket: websockets.ClientConnection, paused: bool) -> dict:
    """The first broadcast saying so (one sent just before the change may come first), within 10 s."""
    deadline = time.monotonic() + 10
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), max(0.1, deadline - time.monotonic())))
        assert message["type"] == "queue", message
        if message["paused"] is paused:
            return message


async def test_a_paused_sale_refuses_new_holds_and_lets_held_seats_be_paid(
        server, make_organizer: MakeOrganizer, make_fan) -> None:
    organizer = await make_organizer()
    show = await new_show(organizer)
    seats = await seats_of(organizer, show["id"])
    early, late = await make_fan(), await make_fan()
    held = await hold(early, show["id"], seats[:2])

    paused = await sale(organizer, show["id"], "pause")
    assert paused.status_code == 200 and paused.json() == {"sale": "paused"}, paused.text
    for body in ({"seat_ids": seats[4:6]}, {"best_available": {"count": 2}}):
        refused = await late.post(f"/api/v1/shows/{show['id']}/holds", json=body)
        assert refused.status_code == 409 and refused.json()["error"] == "sale_paused", refused.text
    assert (await organizer.get(f"{PREFIX}/shows/{show['id']}")).json()["sale"] == "paused"

    order = await checkout(early, show["id"], held["hold_id"])
    assert order.status_code == 201, order.text
    await Standin(server).pay(order.json()["payment"]["client_secret"])
    await order_status_becomes(early, order.json()["order_id"], "paid")

    assert (await sale(organizer, show["id"], "resume")).json() == {"sale": "open"}
    assert (await late.post(f"/api/v1/shows/{show['id']}/holds", json={"seat_ids": seats[4:6]})).status_code == 201

    assert (await sale(organizer, show["id"], "close")).json() == {"sale": "closed"}
    refused = await late.post(f"/api/v1/shows/{show['id']}/holds", json={"best_available": {"count": 1}})
    assert refused.status_code == 409 and refused.json()["error"] == "sale_closed", refused.text
    for action in ("resume", "pause"):
        again = await sale(organizer, show["id"], action)
        assert again.status_code == 409 and again.json()["error"] == "sale_closed", again.text
    assert (await sale(organizer, show["id"], "close")).json() == {"sale": "closed"}


async def test_a_sale_not_yet_open_is_scheduled_and_may_be_paused(make_organizer: MakeOrganizer) -> None:
    organizer = await make_organizer()
    show = await new_show(organizer, sale_opens_at=(utcnow() + timedelta(days=1)).isoformat())
    assert show["sale"] == "scheduled" and show["status"] == "scheduled"
    assert (await sale(organizer, show["id"], "pause")).json() == {"sale": "paused"}
    assert (await sale(organizer, show["id"], "resume")).json() == {"sale": "scheduled"}
    bad = await organizer.post(f"{PREFIX}/shows/{show['id']}/sale", json={"action": "reopen"})
    assert bad.status_code == 422, bad.text


async def test_the_waiting_room_stands_still_and_says_paused(server, make_organizer: MakeOrganizer,
                                                              make_fan) -> None:
    organizer = await make_organizer()
    show = await new_show(organizer, queue={"enabled": True, "capacity": 1})
    first, second, third = await make_fan(), await make_fan(), await make_fan()
    url = f"/api/v1/shows/{show['id']}/queue"
    assert (await first.post(url)).json()["admitted"] is True
    assert (await second.post(url)).json()["admitted"] is False  # capacity 1: the first shops

    async with websockets.connect(f"{server.ws_url}{url}/live", compression=None) as socket:
        assert json.loads(await asyncio.wait_for(socket.recv(), 10))["paused"] is False
        assert (await sale(organizer, show["id"], "pause")).status_code == 200
        await next_where(socket, paused=True)

        refused = await third.post(url)
        assert refused.status_code == 409 and refused.json()["error"] == "sale_paused", refused.text
        kept = await second.post(url)  # who is in line keeps their place
        assert kept.status_code == 200 and kept.json()["admitted"] is False, kept.text
        # The capacity grows while paused: still nobody is let in.
        put = await organizer.put(f"{PREFIX}/shows/{show['id']}/queue", json={"capacity": 5})
        assert put.status_code == 200 and put.json()["capacity"] == 5, put.text
        await asyncio.sleep(1.5)  # three advancing ticks
        assert (await second.get(f"{url}/me")).json()["admitted"] is False

        assert (await sale(organizer, show["id"], "resume")).status_code == 200
        await next_where(socket, paused=False)

    async def admitted() -> bool:
        return bool((await second.get(f"{url}/me")).json()["admitted"])

    await eventually(admitted, 10)  # the next advancing tick lets the line move again


async def test_a_paused_line_admits_nobody_whatever_its_free_capacity(server, redis: Redis) -> None:
    room = WaitingRoom(redis, active_shoppers=10, admission_ttl_s=600)
    show = a_show()
    for profile in (1, 2):
        await room.join(show, profile, OPENS_MS + 1)
    await room.configure(show.id, paused=True)
    await room.join(show, 3, OPENS_MS + 2)  # an unpaused process's stale facts: the line's own config decides
    assert await room.advance(show.id, OPENS_MS + 10) == 0
    assert (await room.status(show.id, OPENS_MS + 10)).paused is True
    await room.configure(show.id, paused=False)
    assert (await room.status(show.id, OPENS_MS + 11)).paused is False
    # Joining let the first two in already (capacity 10); the third waited for the pause to end.
    assert await room.advance(show.id, OPENS_MS + 12) == 1


async def test_every_process_sees_a_change_once_the_revision_moves(server, redis: Redis,
                                                                 make_organizer: MakeOrganizer) -> None:
    """Two caches stand for two processes; the database changes behind both. Without a new revision they keep
    their copy (up to the 30 s TTL); with one, both reload at their next check (0.5 s)."""
    organizer = await make_organizer()
    show_id = int((await new_show(organizer))["id"])
    here, there = ShowFactsCache(redis), ShowFactsCache(redis)
    assert (await here.get(show_id)).sale == (await there.get(show_id)).sale == "open"

    await Show.update({Show.sale: "paused"}).where(Show.id == show_id)
    await asyncio.sleep(1.2)  # past two checks
    assert (await here.get(show_id)).sale == "open"  # nothing said it changed

    await touch(redis, show_id)
    await asyncio.sleep(1.2)
    assert (await here.get(show_id)).sale == (await there.get(show_id)).sale == "paused"
