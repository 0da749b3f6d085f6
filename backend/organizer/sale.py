"""The organizer's sale controls (API.md, "Organizers"): pause, resume, close; and the waiting room's pace.

The sale's state is the show's row (`show.sale`), so it outlives Redis; every process reads it from its show facts,
which follow a change within a second (catalog/facts.py: a new revision in Redis, read at most twice a second per
show per process), so the hold path pays no database query for it. While paused or closed, holds answer 409
`sale_paused` / `sale_closed` (booking) and the waiting room admits nobody and tells its fans `paused: true`
(realtime/waiting_room, told here through WaitingRooms); holds that exist may still be paid.

A closed sale stays closed: pause and resume then answer 409 `sale_closed`.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import UNSET
from piccolo.columns import Column

from backend.catalog.facts import StoredSale, load_facts
from backend.errors import Conflict
from backend.organizer.guard import Organizer
from backend.organizer.show_schemas import QueueSettings, QueueSettingsPut, SaleOut
from backend.organizer.shows import ShowsContext, announce_change, owned_show, queue_in_force
from backend.timeutil import utcnow
from db.tables import Show

Action = Literal["pause", "resume", "close"]
_TARGET: dict[Action, StoredSale] = {"pause": "paused", "resume": "open", "close": "closed"}


async def set_sale(context: ShowsContext, organizer: Organizer, raw_id: str, action: Action) -> SaleOut:
    show_id = await owned_show(organizer, raw_id)
    facts = await load_facts(show_id)
    target = _TARGET[action]
    if facts.sale == "closed" and target != "closed":
        raise Conflict("This sale is closed, and a closed sale stays closed.", code="sale_closed")
    if facts.sale != target:
        # Only from the state read: two organizers' clicks racing end in one of their states, never a reopened close.
        await Show.update({Show.sale: target}).where((Show.id == show_id) & (Show.sale == facts.sale))
        if facts.queue_enabled:
            await context.waiting_rooms.configure(show_id, paused=target != "open")
        await announce_change(context, show_id)
    facts = await load_facts(show_id)
    return SaleOut(sale=facts.sale_shown(utcnow()))


async def set_queue(context: ShowsContext, organizer: Organizer, raw_id: str,
                    body: QueueSettingsPut) -> QueueSettings:
    """The waiting room's capacity and outflow, now: the line's own settings change at once for every process
    (realtime's line config), and the show keeps them for a line formed later."""
    show_id = await owned_show(organizer, raw_id)
    values: dict[Column | str, Any] = {}
    if body.capacity is not UNSET:
        values[Show.queue_capacity] = body.capacity
    if body.outflow_per_minute is not UNSET:
        values[Show.queue_outflow_per_minute] = body.outflow_per_minute
    if values:
        await Show.update(values).where(Show.id == show_id)
    facts = await load_facts(show_id)
    settings = queue_in_force(context, facts.queue_enabled, facts.queue_capacity, facts.queue_outflow_per_minute)
    if values and facts.queue_enabled:
        await context.waiting_rooms.configure(show_id, active_shoppers=settings.capacity,
                                              admissions_per_minute=settings.outflow_per_minute or 0)
    if values:
        await announce_change(context, show_id)
    return settings
