"""The organizer API over HTTP (API.md, "Organizers"): handlers translate, service.py decides.

Every handler here is mounted under the organizer router (plugin.py), whose guard answers 401 / 403 `not_organizer`
before any parameter or body is read; objects of another organization are 404 (guard.owned_venue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.organizer import service
from backend.organizer.guard import Organizer
from backend.organizer.plans import PretixPlan, ShowtimeLayout
from backend.organizer.schemas import OrganizerVenueList, VenueImported

JSON = "application/json"
# The one body larger than the edge's 64 KB (backend/edge/screening.py): a seating plan. A 60,000-seat plan is 6 MB as
# pretix writes it and 15 MB indented by two spaces; 24 MiB takes either, or 100,000 seats (the most a plan may
# have) written compactly. The edge applies the same limit to this path only (server/app.py reads it here).
PLAN_MAX_BODY_BYTES = 24 * 1024 * 1024


@dataclass
class _ImportOperation(Operation):
    """The handler reads the raw body itself (the plan's format decides how it is read); document it here."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="A venue and its seating plan. A bad plan is refused with 422 `invalid_seating_plan`, its "
                        "`pointer` naming the first bad value (RFC 6901, in this body).",
            content={JSON: OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.OBJECT, required=["name", "city", "lat", "lng", "seating_plan"],
                properties={
                    "name": Schema(type=OpenAPIType.STRING, min_length=1, max_length=200),
                    "city": Schema(type=OpenAPIType.STRING, min_length=1, max_length=100),
                    "lat": Schema(type=OpenAPIType.NUMBER, minimum=-90, maximum=90),
                    "lng": Schema(type=OpenAPIType.NUMBER, minimum=-180, maximum=180),
                    "seating_plan": Schema(
                        type=OpenAPIType.OBJECT,
                        description="A plan in pretix's seating-plan format (JSON schema draft-07, version 0.0.1: "
                                    "`{name, categories, zones, size?}`) or in this project's own "
                                    '(`{"format": "showtime", "version": 1, ...}`); see docs/seating-plans.md.'),
                },
            ))},
        )


class OrganizerVenuesController(Controller):
    path = "/venues"
    tags = ["organizer"]

    @post("/", operation_id="importVenue", operation_class=_ImportOperation, status_code=HTTP_201_CREATED,
          request_max_body_size=PLAN_MAX_BODY_BYTES,
          responses={200: ResponseSpec(data_container=VenueImported, generate_examples=False,
                                       description="The same plan was imported before: the venue it made")})
    async def import_venue(self, request: Request[Any, Any, Any], organizer: Organizer) -> Response[VenueImported]:
        """A venue from a seating-plan file (pretix's format or this project's own): 201 new; 200 when this
        organization imported the same plan under the same name and city before (same `layout_hash`)."""
        venue, created = await service.import_venue(organizer, await request.body())
        return Response(venue, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/", operation_id="listOrganizerVenues")
    async def list_venues(self, organizer: Organizer) -> OrganizerVenueList:
        """The caller's organization's venues."""
        return await service.list_venues(organizer)

    @get("/{venue_id:str}/seating-plan", operation_id="exportSeatingPlan",
         responses={200: ResponseSpec(data_container=ShowtimeLayout | PretixPlan, generate_examples=False,  # type: ignore[arg-type]
                                      description="The plan: this project's own format, or pretix's")})
    async def export_plan(
        self, organizer: Organizer, venue_id: str,
        plan_format: Annotated[Literal["showtime", "pretix"], Parameter(
            query="format", description="`showtime` (this project's own, the default) or `pretix`")] = "showtime",
    ) -> Response[bytes]:
        """A venue's seating plan; importing it again gives the same `layout_hash`."""
        body = await service.export_plan(organizer, venue_id, plan_format)
        return Response(content=body, media_type=JSON)
