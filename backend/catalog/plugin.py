"""The catalog's part of the app: shows and seat maps. The caches that holds, checkout and the waiting room read
too (layouts, show facts) are made by the app's assembly, which hands them to each domain that needs them; handlers
reach them through dependency injection."""

from __future__ import annotations

from functools import partial

from backend.catalog.answers import CatalogAnswers
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache, warm_layouts
from backend.catalog.routes import CatalogController, VenueLayoutController
from backend.catalog.seat_map import SeatMapService
from backend.wiring import Contribution, Services, provide


def contribution(services: Services, *, show_facts: ShowFactsCache, layouts: LayoutCache,
                 answers: CatalogAnswers) -> Contribution:
    seat_maps = SeatMapService(services.redis, layouts, show_facts)
    return Contribution(
        route_handlers=[CatalogController, VenueLayoutController],
        dependencies={"layouts": provide(layouts), "show_facts": provide(show_facts),
                      "seat_maps": provide(seat_maps), "catalog": provide(answers)},
        background=[partial(warm_layouts, layouts)],
    )
