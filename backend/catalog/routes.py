from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from backend.catalog.answers import CatalogAnswers
from backend.catalog.query import decode_list_query
from backend.catalog.schemas import SeatMap, SeatStatusDocument, ShowOut, ShowPage
from backend.catalog.seat_map import SeatMapService
from backend.errors import NotFound
from backend.ids import ascii_int, parse_show_id

JSON = "application/json"
LAYOUT_MEDIA_TYPE = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"


def prepared_response(request: Request[Any, Any, Any], etag: str, body: bytes, gzipped: bytes, media_type: str,
                      cache_control: str = "no-cache") -> Response[bytes]:
    """An answer encoded and compressed beforehand: 304 when the client has it, gzip when it takes gzip."""
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(content=b"", status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(content=gzipped, media_type=media_type, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


class CatalogController(Controller):
    path = "/api/v1/shows"
    tags = ["catalog"]

    @get("/", operation_id="listShows", responses={200: ResponseSpec(data_container=ShowPage)})
    async def list_shows(
        self,
        request: Request[Any, Any, Any],
        catalog: CatalogAnswers,
        q: Annotated[str | None, Parameter(description="Words to find in title, venue or city")] = None,
        near: Annotated[str | None, Parameter(description="LAT,LNG; results sorted by distance")] = None,
        radius_km: Annotated[float | None, Parameter(description="Radius around `near`, default 50")] = None,
        from_: Annotated[str | None, Parameter(query="from", description="Earliest start, RFC 3339")] = None,
        to: Annotated[str | None, Parameter(description="Latest start, RFC 3339")] = None,
        limit: Annotated[int | None, Parameter(description="1 to 100, default 20")] = None,
        cursor: Annotated[str | None, Parameter(description="next_cursor of the previous page")] = None,
    ) -> Response[bytes]:
        """Upcoming shows, soonest first; with `near`, within `radius_km` sorted by distance."""
        query = decode_list_query(
            {"q": q, "near": near, "radius_km": radius_km, "from": from_, "to": to, "limit": limit, "cursor": cursor}
        )
        answer = await catalog.show_list(query)
        return prepared_response(request, answer.etag, answer.body, answer.gzipped, JSON)

    @get("/{show_id:str}", operation_id="getShow", responses={200: ResponseSpec(data_container=ShowOut)})
    async def get_show(self, request: Request[Any, Any, Any], catalog: CatalogAnswers, show_id: str) -> Response[bytes]:
        """One show."""
        answer = await catalog.show(parse_show_id(show_id))
        return prepared_response(request, answer.etag, answer.body, answer.gzipped, JSON)

    @get("/{show_id:str}/map", operation_id="getSeatMap", responses={200: ResponseSpec(data_container=SeatMap)})
    async def seat_map(
        self, request: Request[Any, Any, Any], seat_maps: SeatMapService, show_id: str
    ) -> Response[bytes]:
        """Layout and live status of every seat; gzip when accepted, ETag so an unchanged map is a 304."""
        encoded = await seat_maps.current(parse_show_id(show_id))
        return prepared_response(request, encoded.etag, encoded.body, encoded.gzipped, JSON)

    @get("/{show_id:str}/map/status", operation_id="getSeatStatus",
         responses={200: ResponseSpec(data_container=SeatStatusDocument)})
    async def seat_status(
        self, request: Request[Any, Any, Any], seat_maps: SeatMapService, show_id: str
    ) -> Response[bytes]:
        """Every seat's status, 2 bits each in the order of the venue layout it names (a few KB for a stadium);
        ETag per map version, gzip when accepted."""
        encoded = await seat_maps.status(parse_show_id(show_id))
        return prepared_response(request, encoded.etag, encoded.body, encoded.gzipped, JSON)


class VenueLayoutController(Controller):
    path = "/api/v1/venues"
    tags = ["catalog"]

    @get("/{venue_id:str}/layouts/{layout_hash:str}", operation_id="getVenueLayout",
         responses={200: ResponseSpec(data_container=bytes, media_type=LAYOUT_MEDIA_TYPE, generate_examples=False,
                                      description="The layout's bytes (see docs/architecture.md, Seat map format)")})
    async def venue_layout(self, request: Request[Any, Any, Any], seat_maps: SeatMapService, venue_id: str,
                           layout_hash: str) -> Response[bytes]:
        """A venue's seating layout, compact and immutable: its hash is in the path, so it is cached for a year."""
        venue = ascii_int(venue_id)
        if venue is None:
            raise _layout_not_found()
        layout = await seat_maps.layout(venue)
        if layout.hash != layout_hash or not layout.position:
            raise _layout_not_found()
        return prepared_response(request, f'"{layout.hash}"', layout.body, layout.gzipped, LAYOUT_MEDIA_TYPE,
                                 IMMUTABLE)


def _layout_not_found() -> NotFound:
    return NotFound("No such layout: ask the show's map status for the current one.", code="layout_not_found")
