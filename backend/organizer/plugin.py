"""The organizer side's part of the app: one router under `/api/v1/organizer` whose guard (guard.py) stands in front
of every organizer route, the ones added later included: add their controllers to `ROUTES`."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from backend.catalog.answers import CatalogAnswers
from backend.catalog.facts import ShowFactsCache
from backend.organizer import show_routes
from backend.organizer.cancellation_routes import OrganizerCancellationController
from backend.organizer.export_routes import OrganizerExportsController
from backend.organizer.guard import organizer_guard, provide_organizer
from backend.organizer.routes import OrganizerVenuesController
from backend.organizer.shows import ShowsContext
from backend.organizer.waiting_rooms import WaitingRooms
from backend.wiring import Contribution, Services, provide

PATH = "/api/v1/organizer"
ROUTES: list[ControllerRouterHandler] = [OrganizerVenuesController, *show_routes.ROUTES,
                                         OrganizerCancellationController, OrganizerExportsController]


def contribution(services: Services, *, show_facts: ShowFactsCache, catalog: CatalogAnswers,
                 waiting_rooms: WaitingRooms) -> Contribution:
    shows = ShowsContext(settings=services.settings, redis=services.redis, show_facts=show_facts, catalog=catalog,
                         waiting_rooms=waiting_rooms)
    router = Router(path=PATH, route_handlers=ROUTES, guards=[organizer_guard],
                    dependencies={"organizer": Provide(provide_organizer), "organizer_shows": provide(shows)})
    return Contribution(route_handlers=[router])
