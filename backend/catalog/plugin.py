"""The catalog's part of the app: shows and seat maps. Its caches (layouts, show facts, seat maps) are shared
services (`backend/wiring.py`): holds, checkout and the waiting room read them too."""

from __future__ import annotations

from functools import partial

from backend.catalog.layout import warm_layouts
from backend.catalog.routes import CatalogController
from backend.wiring import Contribution, Services


def contribution(services: Services) -> Contribution:
    return Contribution(route_handlers=[CatalogController], background=[partial(warm_layouts, services.layouts)])
