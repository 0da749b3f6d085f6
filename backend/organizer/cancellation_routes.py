"""Cancelling a show over HTTP (API.md, "Organizers"): handlers translate, cancellation.py decides. Mounted under the
organizer router (plugin.py), whose guard answers 401 / 403 `not_organizer` first; another organization's show is
404."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.status_codes import HTTP_202_ACCEPTED
from msgspec import Meta

from backend.infra.redis_client import RedisDependency
from backend.organizer import cancellation
from backend.organizer.cancellation import CancelProgress, CancelStatus
from backend.organizer.guard import Organizer
from backend.organizer.ownership import provide_owned_show
from backend.timeutil import utcnow


class CancelBody(msgspec.Struct, forbid_unknown_fields=True):
    """Why the show is cancelled: every fan refunded reads it in the refund e-mail."""

    reason: Annotated[str, Meta(min_length=1, max_length=500)]


class OrganizerCancellationController(Controller):
    path = "/shows"
    tags = ["organizer"]

    @post("/{show_id:str}/cancel", operation_id="cancelShow", status_code=HTTP_202_ACCEPTED,
          dependencies={"owned": Provide(provide_owned_show)})
    async def cancel(self, owned: int, data: CancelBody, redis: RedisDependency) -> Response[CancelProgress]:
        """Cancel the show: it is `cancelled` at once (new holds answer 409 `show_cancelled`), and every paid order
        is refunded by a background job, resumably (a crash mid-way finishes after restart), never twice. Asking
        again answers the progress."""
        progress = await cancellation.cancel_show(redis, owned, data.reason, utcnow())
        return Response(progress, status_code=HTTP_202_ACCEPTED)

    @get("/{show_id:str}/cancel", operation_id="getShowCancellation")
    async def progress(self, organizer: Organizer, show_id: str) -> CancelStatus:
        """How far the refunds of a cancelled show are: `done` once every paid order is refunded (409
        `show_not_cancelled` for a show that is not cancelled)."""
        return await cancellation.cancellation_status(organizer, show_id)
