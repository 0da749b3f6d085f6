from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from redis.asyncio import Redis

from backend.catalog import search
from backend.catalog.detail import get_show_json
from backend.catalog.query import decode_list_query
from backend.catalog.schemas import SeatMap, ShowOut, ShowPage
from backend.catalog.seat_map import SeatMapService
from backend.ids import parse_show_id


class CatalogController(Controller):
    path = "/api/v1/shows"
    tags = ["catalog"]

    @get("/", operation_id="listShows")
    async def list_shows(
        self,
        redis: Redis,
        q: Annotated[str | None, Parameter(description="Words to find in title, venue or city")] = None,
        near: Annotated[str | None, Parameter(description="LAT,LNG; results sorted by distance")] = None,
        radius_km: Annotated[float | None, Parameter(description="Radius around `near`, default 50")] = None,
        from_: Annotated[str | None, Parameter(query="from", description="Earliest start, RFC 3339")] = None,
        to: Annotated[str | None, Parameter(description="Latest start, RFC 3339")] = None,
        limit: Annotated[int | None, Parameter(description="1 to 100, default 20")] = None,
        cursor: Annotated[str | None, Parameter(description="next_cursor of the previous page")] = None,
    ) -> ShowPage:
        """Upcoming shows, soonest first; with `near`, within `radius_km` sorted by distance."""
        query = decode_list_query(
            {"q": q, "near": near, "radius_km": radius_km, "from": from_, "to": to, "limit": limit, "cursor": cursor}
        )
        return await search.list_shows(redis, query)

    @get("/{show_id:str}", operation_id="getShow", responses={200: ResponseSpec(data_container=ShowOut)})
    async def get_show(self, redis: Redis, show_id: str) -> Response[bytes]:
        """One show."""
        body = await get_show_json(redis, parse_show_id(show_id))
        return Response(content=body, media_type="application/json")

    @get("/{show_id:str}/map", operation_id="getSeatMap", responses={200: ResponseSpec(data_container=SeatMap)})
    async def seat_map(
        self, request: Request[Any, Any, Any], redis: Redis, seat_maps: SeatMapService, show_id: str
    ) -> Response[bytes]:
        """Layout and live status of every seat; gzip when accepted, ETag so an unchanged map is a 304."""
        encoded = await seat_maps.current(redis, parse_show_id(show_id))
        headers = {"ETag": encoded.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if encoded.etag in request.headers.get("if-none-match", ""):
            return Response(content=b"", status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(content=encoded.gzipped, media_type="application/json", headers=headers)
        return Response(content=encoded.body, media_type="application/json", headers=headers)
