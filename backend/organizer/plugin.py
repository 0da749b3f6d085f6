"""The organizer side's part of the app: one router under `/api/v1/organizer` whose guard (guard.py) stands in front
of every organizer route, the ones added later included: add their controllers to `ROUTES`."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from backend.organizer.cancellation_routes import OrganizerCancellationController
from backend.organizer.export_routes import OrganizerExportsController
from backend.organizer.guard import organizer_guard, provide_organizer
from backend.organizer.routes import OrganizerVenuesController
from backend.wiring import Contribution, Services

PATH = "/api/v1/organizer"
ROUTES = [OrganizerVenuesController, OrganizerCancellationController, OrganizerExportsController]


def contribution(_: Services) -> Contribution:
    router = Router(path=PATH, route_handlers=ROUTES, guards=[organizer_guard],
                    dependencies={"organizer": Provide(provide_organizer)})
    return Contribution(route_handlers=[router])
