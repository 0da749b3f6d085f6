"""A fan's list of tickets: `me` and the fan's own id name the same list; another profile's is 403, whoever asks
(API.md, Tickets)."""

from __future__ import annotations

from tests.support.data import create_show
from tests.tickets.devices import buy


async def test_me_and_one_s_own_id_list_the_same_tickets_and_another_profile_s_are_refused(server, make_fan) -> None:
    show = await create_show(rows=1, seats_per_row=4)
    fan, other = await make_fan(), await make_fan()
    bought = await buy(server, fan, show.id, show.rows["Front/A"][:2])
    mine = (await fan.get("/api/v1/auth/me")).json()["profile_id"]
    theirs = (await other.get("/api/v1/auth/me")).json()["profile_id"]

    for ref in ("me", str(mine)):
        answer = await fan.get(f"/api/v1/profile/{ref}/tickets")
        assert answer.status_code == 200, answer.text
        assert sorted(t["ticket_id"] for t in answer.json()["items"]) == sorted(t["ticket_id"] for t in bought)
    for asker, ref in ((fan, str(theirs)), (other, str(mine))):
        answer = await asker.get(f"/api/v1/profile/{ref}/tickets")
        assert (answer.status_code, answer.json()["error"]) == (403, "not_your_tickets"), answer.text
    assert (await other.get("/api/v1/profile/me/tickets")).json()["items"] == []
