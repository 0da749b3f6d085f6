"""Realtime's part of the app: the live map and waiting-room sockets, the waiting room over HTTP, the ChannelsPlugin
they run on, and the job that moves the lines. Handlers reach the hubs and the waiting room through dependency
injection."""

from __future__ import annotations

from functools import partial

from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from backend.catalog.facts import ShowFactsCache
from backend.wiring import Contribution, Services, provide
from realtime.lifecycle import Realtime
from realtime.routes import ROUTE_HANDLERS
from realtime.waiting_room import WaitingRoomController


class _ServeAfterChannels(InitPluginProtocol):
    """Listed after the ChannelsPlugin, so its lifespan is entered after the plugin's and left before it."""

    def __init__(self, realtime: Realtime) -> None:
        self.realtime = realtime

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.append(self.realtime.serving)
        return app_config


def build(services: Services) -> Realtime:
    """This process's realtime parts (nothing connects yet); the assembly hands its waiting room to the organizer
    side too."""
    return Realtime.build(services.settings, services.redis)


def contribution(services: Services, *, show_facts: ShowFactsCache, realtime: Realtime) -> Contribution:
    return Contribution(
        route_handlers=[*ROUTE_HANDLERS, WaitingRoomController],
        dependencies={"live_map_hub": provide(realtime.live_map), "queue_hub": provide(realtime.queues),
                      "waiting_room": provide(realtime.waiting_room)},
        background=[partial(realtime.advance_waiting_rooms, show_facts)],
        plugins=[realtime.channels, _ServeAfterChannels(realtime)],
        scrape=[realtime.waiting_room.gauges],
    )
