"""The realtime sockets: the live map and the waiting room's line (its HTTP routes are realtime.waiting_room's).

Handlers only translate: they find the show, hand the socket or the request to a hub or the waiting room, and
render the answer. Sockets never see a stack trace: a show that does not exist (or has no waiting room) gets one
error message and a 1008 close; an unexpected failure is logged and closes with 1011.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import WebSocket, websocket

from backend.catalog.facts import ShowFacts, ShowFactsCache
from backend.errors import AppError
from backend.ids import parse_show_id
from realtime.feeds import FeedHub
from realtime.watchers import WS_INTERNAL_ERROR, close_quietly, forget, refuse

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
    finally:
        forget(socket)


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


ROUTE_HANDLERS: list[Any] = [live_map_socket, waiting_room_socket]
