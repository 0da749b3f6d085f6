"""The catalog's part of the app: shows and seat maps, and the caches holds, checkout and the waiting room read
too (layouts, show facts, seat maps), shared through dependency injection and `Services`."""

from __future__ import annotations

from functools import partial

from backend.catalog.answers import CatalogAnswers
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache, warm_layouts
from backend.catalog.routes import CatalogController, VenueLayoutController
from backend.catalog.seat_map import SeatMapService
from backend.wiring import Contribution, Services, provide


def contribution(services: Services) -> Contribution:
    layouts, facts = LayoutCache(), ShowFactsCache()
    seat_maps = SeatMapService(services.redis, layouts, facts)
    return Contribution(
        route_handlers=[CatalogController, VenueLayoutController],
        dependencies={"layouts": provide(layouts), "show_facts": provide(facts), "seat_maps": provide(seat_maps),
                      "catalog": provide(CatalogAnswers(services.redis))},
        shared=[layouts, facts, seat_maps],
        background=[partial(warm_layouts, layouts)],
    )
