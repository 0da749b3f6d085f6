"""The organizer's shows, sale controls, waiting room and dashboard over HTTP and WebSocket (API.md, "Organizers"):
handlers translate, shows.py / sale.py / dashboard.py decide.

Mounted under the organizer router (plugin.py): its guard answers 401 / 403 `not_organizer` before any parameter
or body is read; another organization's show is 404 like an unknown one (shows.owned_show). The dashboard's socket
is accepted first and then closed with 4401 / 4403 / 4404 when refused: a refusal before the handshake completes
reaches a browser as a bare 1006.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import msgspec
from litestar import Controller, WebSocket, get, patch, post, put, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.errors import AppError, NotSignedIn
from backend.organizer import dashboard as figures
from backend.organizer import sale, shows
from backend.organizer.guard import Organizer, refusal_of
from backend.organizer.show_schemas import (
    Dashboard,
    OrganizerShow,
    OrganizerShowList,
    QueueSettings,
    QueueSettingsPut,
    SaleBody,
    SaleOut,
    ShowCreate,
    ShowPatch,
)
from backend.organizer.shows import ShowsContext

logger = logging.getLogger("showtime.organizer.dashboard")

# The dashboard's socket sends at most one message a second, and only when the figures changed.
DASHBOARD_INTERVAL_S = 1.0
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ORGANIZER = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_INTERNAL = 1011


class OrganizerShowsController(Controller):
    path = "/shows"
    tags = ["organizer"]

    @post("/", operation_id="createShow", status_code=HTTP_201_CREATED)
    async def create_show(self, organizer: Organizer, organizer_shows: ShowsContext,
                          data: ShowCreate) -> OrganizerShow:
        """A show at one of the organization's venues, public at once; every seat category needs a price (422
        `missing_price` names the first without)."""
        return await shows.create_show(organizer_shows, organizer, data)

    @get("/", operation_id="listOrganizerShows")
    async def list_shows(self, organizer: Organizer, organizer_shows: ShowsContext) -> OrganizerShowList:
        """The organization's shows (the public list has everyone's), soonest first."""
        return await shows.list_shows(organizer_shows, organizer)

    @get("/{show_id:str}", operation_id="getOrganizerShow")
    async def get_show(self, organizer: Organizer, organizer_shows: ShowsContext, show_id: str) -> OrganizerShow:
        """One of the organization's shows, with what it was made with."""
        return await shows.get_show(organizer_shows, organizer, show_id)

    @patch("/{show_id:str}", operation_id="updateShow", status_code=HTTP_200_OK)
    async def update_show(self, organizer: Organizer, organizer_shows: ShowsContext, show_id: str,
                          data: ShowPatch) -> OrganizerShow:
        """Any of the creation's fields; 409 `show_has_sales` when the change would alter what a sold ticket is
        (its venue, currency, or a sold seat's price)."""
        return await shows.update_show(organizer_shows, organizer, show_id, data)

    @post("/{show_id:str}/sale", operation_id="setSale", status_code=HTTP_200_OK)
    async def set_sale(self, organizer: Organizer, organizer_shows: ShowsContext, show_id: str,
                       data: SaleBody) -> SaleOut:
        """Pause, resume or close the sale, on every process within a second. While paused or closed, new holds
        and waiting-room admissions answer 409 `sale_paused` / `sale_closed`; holds that exist may be paid."""
        return await sale.set_sale(organizer_shows, organizer, show_id, data.action)

    @put("/{show_id:str}/queue", operation_id="setQueue", status_code=HTTP_200_OK)
    async def set_queue(self, organizer: Organizer, organizer_shows: ShowsContext, show_id: str,
                        data: QueueSettingsPut) -> QueueSettings:
        """The waiting room's capacity (shoppers at once) and outflow (admissions a minute): the settings in force,
        applied within a second."""
        return await sale.set_queue(organizer_shows, organizer, show_id, data)

    @get("/{show_id:str}/dashboard", operation_id="showDashboard")
    async def dashboard(self, organizer: Organizer, organizer_shows: ShowsContext, show_id: str) -> Dashboard:
        """The sale's figures now; none of them counts the orders table."""
        owned = await shows.owned_show(organizer, show_id)
        context = organizer_shows
        return await figures.dashboard(context.redis, context.waiting_rooms, await context.show_facts.get(owned))


@websocket("/shows/{show_id:str}/dashboard/live")
async def dashboard_socket(socket: WebSocket, show_id: str, organizer_shows: ShowsContext) -> None:
    """The dashboard's figures at once, then again whenever they change, at most once a second."""
    await socket.accept()
    caller = refusal_of(socket)
    if not isinstance(caller, Organizer):
        code = CLOSE_NOT_SIGNED_IN if isinstance(caller, NotSignedIn) else CLOSE_NOT_ORGANIZER
        await socket.close(code=code, reason=caller.code)
        return
    try:
        owned = await shows.owned_show(caller, show_id)
    except AppError as exc:
        await socket.close(code=CLOSE_NOT_FOUND, reason=exc.code)
        return
    try:
        await _stream(socket, organizer_shows, owned)
    except WebSocketDisconnect:
        return
    except Exception:
        logger.exception("dashboard socket of show %s failed", owned)
        with contextlib.suppress(Exception):
            await socket.close(code=CLOSE_INTERNAL, reason="internal error")


async def _stream(socket: WebSocket, context: ShowsContext, show_id: int) -> None:
    gone = asyncio.ensure_future(_until_disconnect(socket))
    last = b""
    try:
        while not gone.done():
            body = msgspec.json.encode(await figures.dashboard(context.redis, context.waiting_rooms,
                                                               await context.show_facts.get(show_id)))
            if body != last:
                await socket.send_text(body.decode())
                last = body
            await asyncio.wait({gone}, timeout=DASHBOARD_INTERVAL_S)
    finally:
        gone.cancel()


async def _until_disconnect(socket: WebSocket) -> None:
    """Reads (and ignores) what the client sends, until it goes."""
    with contextlib.suppress(WebSocketDisconnect):
        while (await socket.receive())["type"] != "websocket.disconnect":
            pass


ROUTES: list[ControllerRouterHandler] = [OrganizerShowsController, dashboard_socket]
