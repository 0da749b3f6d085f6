"""The realtime endpoints: the live map and waiting-room sockets, and the waiting room over HTTP.

Handlers only translate: they find the show, hand the socket or the request to a hub or the waiting room, and
render the answer. Sockets never see a stack trace: a show that does not exist (or has no waiting room) gets one
error message and a 1008 close; an unexpected failure is logged and closes with 1011.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Response, WebSocket, get, post, websocket
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.auth import provide_profile_id
from backend.catalog.facts import ShowFacts, ShowFactsCache
from backend.errors import AppError
from backend.ids import parse_show_id
from backend.timeutil import from_epoch_ms, rfc3339
from realtime import draw
from realtime.feeds import FeedHub
from realtime.schemas import QueueDrawOut, QueueEntryOut
from realtime.waiting_room import Place, PublishedDraw, WaitingRoom
from realtime.watchers import WS_INTERNAL_ERROR, close_quietly, refuse

logger = logging.getLogger("showtime.realtime.routes")

MAX_VERSION_DIGITS = 19  # a version is a signed 64-bit Redis integer


async def _show_or_refuse(
    socket: WebSocket, show_id: str, facts: ShowFactsCache, needs_queue: bool = False
) -> ShowFacts | None:
    try:
        show = await facts.get(parse_show_id(show_id))
    except AppError as exc:
        await refuse(socket, exc.code, exc.detail)
        return None
    if needs_queue and not show.queue_enabled:
        await refuse(socket, "queue_not_enabled", "This show has no waiting room.")
        return None
    return show


def resume_from(socket: WebSocket) -> int | None:
    """The live map's `?since=V` (an extension to API.md): the version a client reconnecting after a lost
    connection already has. Anything but a plain non-negative integer counts as absent (a snapshot, as before)."""
    raw = socket.query_params.get("since")
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_VERSION_DIGITS:
        return None
    return int(raw)


async def _serve(
    socket: WebSocket, show_id: str, hub: FeedHub[Any], facts: ShowFactsCache, needs_queue: bool = False,
    since: int | None = None,
) -> None:
    try:
        show = await _show_or_refuse(socket, show_id, facts, needs_queue)
        if show is None:
            return
        await socket.accept()
        await hub.watch(socket, show.id, since)
    except Exception:
        logger.exception("socket %s failed", socket.scope["path"])
        await close_quietly(socket, WS_INTERNAL_ERROR, "internal error")


@websocket("/api/v1/shows/{show_id:str}/live")
async def live_map_socket(socket: WebSocket, show_id: str, live_map_hub: FeedHub, show_facts: ShowFactsCache) -> None:
    """A snapshot of held and sold seats, then coalesced diffs, each starting at the previous message's version.
    With `?since=V` (a client back after a lost connection, e.g. a 1012 when a server restarts) the first message
    is a diff from V instead, when this process's feed still holds the steps since V; else the snapshot."""
    await _serve(socket, show_id, live_map_hub, show_facts, since=resume_from(socket))


@websocket("/api/v1/shows/{show_id:str}/queue/live")
async def waiting_room_socket(socket: WebSocket, show_id: str, queue_hub: FeedHub, show_facts: ShowFactsCache) -> None:
    """The line's status at once, then on every change and every few seconds: {serving, waiting, rate_per_s}."""
    await _serve(socket, show_id, queue_hub, show_facts, needs_queue=True)


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


ROUTE_HANDLERS: list[Any] = [live_map_socket, waiting_room_socket, WaitingRoomController]
