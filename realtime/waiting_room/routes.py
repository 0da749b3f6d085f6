"""The waiting room over HTTP: join the line, read one's place, read the draw. Handlers only translate: the show id
is parsed here, the line's rules are WaitingRoom's."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.catalog.facts import ShowFactsCache
from backend.edge.auth import provide_profile_id
from backend.ids import parse_show_id
from backend.timeutil import from_epoch_ms, rfc3339
from realtime.schemas import QueueDrawOut, QueueEntryOut
from realtime.waiting_room import draw
from realtime.waiting_room.line import Place, PublishedDraw, WaitingRoom


def entry_out(place: Place) -> QueueEntryOut:
    return QueueEntryOut(
        queue_id=place.queue_id,
        number=place.number,
        position=place.position,
        admitted=place.admitted,
        admitted_until=place.admitted_until,
        estimated_wait_s=place.estimated_wait_s,
    )


def draw_out(published: PublishedDraw) -> QueueDrawOut:
    return QueueDrawOut(
        algorithm=draw.ALGORITHM,
        commitment=published.commitment,
        entries_closed_at=rfc3339(from_epoch_ms(published.entries_closed_at_ms)),
        drawn=published.drawn,
        seed=published.seed.hex() if published.drawn and published.seed else None,
        entries_hash=published.entries_hash,
        entries_count=None if published.entries is None else len(published.entries),
        entries=published.entries,
        placed_after_count=published.placed_after_count if published.drawn else None,
    )


class WaitingRoomController(Controller):
    path = "/api/v1/shows/{show_id:str}/queue"
    tags = ["waiting room"]
    dependencies = {"profile_id": Provide(provide_profile_id)}

    @post("/", operation_id="joinQueue", status_code=HTTP_201_CREATED)
    async def join(
        self, show_id: str, profile_id: int, show_facts: ShowFactsCache, waiting_room: WaitingRoom
    ) -> Response[QueueEntryOut]:
        """Take a place in the show's line: 201 the first time, 200 with the same entry again (any tab)."""
        show = await show_facts.get(parse_show_id(show_id))
        place, created = await waiting_room.join(show, profile_id)
        return Response(entry_out(place), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/me", operation_id="getMyQueueEntry")
    async def me(
        self, show_id: str, profile_id: int, show_facts: ShowFactsCache, waiting_room: WaitingRoom
    ) -> QueueEntryOut:
        """The caller's place in the line, fresh; 404 not_in_queue before joining."""
        show = await show_facts.get(parse_show_id(show_id))
        return entry_out(await waiting_room.place(show, profile_id))

    @get("/draw", operation_id="getQueueDraw")
    async def draw(self, show_id: str, show_facts: ShowFactsCache, waiting_room: WaitingRoom) -> Response[QueueDrawOut]:
        """The draw of early arrivals, public: the seed's commitment before the sale opens; after the draw the seed,
        the frozen entry list (queue ids) and its hash, so any fan can recompute their number."""
        show = await show_facts.get(parse_show_id(show_id))
        published = await waiting_room.draw_record(show)
        # once drawn it never changes: caches (a CDN in front) may keep it; before, the answer changes at opening
        cache = "public, max-age=86400, immutable" if published.drawn else "no-cache"
        return Response(draw_out(published), headers={"Cache-Control": cache})
