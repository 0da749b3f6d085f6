"""Seat holds: the rules of a sale around the seat locks (backend.seats), and the hold lookup payments needs.

A hold belongs to one profile and one show and lives HOLD_TTL_SECONDS; new seats join the profile's live hold
and keep its expiry. Locking is all-or-nothing per request, atomic in one Lua script, so a seat is never in
two holds.

A hold with an open order is that order's snapshot: before its seats change, the purchase lifecycle (an
`OpenOrderGuard`, handed in by the app's assembly) cancels the order, or refuses the change while a payment is in
flight. Checkout marks the hold first (`mark_checkout`), and the seat scripts answer InCheckout for a marked hold
until the guard has run, so only holds that reached checkout pay for the guard's database look
(`HoldService._guarded`, the one place that asks). On a show with a waiting room, only admitted profiles hold seats,
and releasing everything ends the turn (`ShoppingTurns`, handed in likewise: guards.py).

For the payments code: `get_hold(redis, hold_id) -> HoldRecord | None` (a hold id names its show),
`mark_checkout(redis, hold)` before an order is written, and `release_hold(redis, turns, show_id, hold_id,
profile_id)` when an order is cancelled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from redis.asyncio import Redis

from backend import seats
from backend.booking.guards import OpenOrderGuard, ShoppingTurns
from backend.booking.hold_ids import new_hold_id, show_of_hold
from backend.booking.schemas import BestAvailableRequest, HoldRequest
from backend.catalog.cache_keys import cancelled_key
from backend.catalog.cancellations import refuse_if_cancelled, show_cancelled
from backend.catalog.facts import ShowFacts, ShowFactsCache
from backend.catalog.layout import LayoutCache, VenueLayout
from backend.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from backend.settings import Settings
from backend.timeutil import rfc3339, utcnow

__all__ = ["HoldService", "get_hold", "mark_checkout", "release_hold"]

Outcome = TypeVar("Outcome")

LockOutcome = (seats.Placed | seats.SeatsTaken | seats.TooManySeats | seats.InCheckout | seats.NoBlock
               | seats.SaleClosed)


class HoldService:
    def __init__(self, redis: Redis, settings: Settings, show_facts: ShowFactsCache, layouts: LayoutCache, *,
                 open_orders: OpenOrderGuard, turns: ShoppingTurns) -> None:
        self.redis = redis
        self.settings = settings
        self.show_facts = show_facts
        self.layouts = layouts
        self.open_orders = open_orders
        self.turns = turns

    async def place(self, show_id: int, profile_id: int, request: HoldRequest,
                    now: datetime | None = None) -> seats.HoldRecord:
        """Hold the requested (or the best available) seats for the profile, or raise the domain error."""
        facts = await self.show_facts.get(show_id)
        self._check_request_shape(request, self._limit(facts))
        self._check_sale_open(facts, now or utcnow())
        if facts.cancelled:
            raise show_cancelled()
        if facts.queue_enabled:
            # A cancelled show says so to every fan, admitted or not: asked before the admission. Elsewhere the
            # lock script asks in the same step as it locks (cancelled_key below), saving a round trip per hold.
            await refuse_if_cancelled(self.redis, facts)
            if not await self.turns.is_admitted(show_id, profile_id):
                raise Forbidden("This show has a waiting room: join the queue and wait to be admitted.",
                                code="queue_required")
        layout = await self.layouts.get(facts.venue_id)
        try:
            if request.best_available is not None:
                return await self._place_best_available(facts, layout, profile_id, request.best_available)
            return await self._place_seats(facts, layout, profile_id, request.seat_ids or [])
        except seats.StateUnavailable:
            raise Unavailable("The seat map is being rebuilt; try again in a moment.") from None

    async def get(self, hold_ref: str, profile_id: int) -> seats.HoldRecord:
        show_id = _show_of(hold_ref)
        record = await seats.read_hold(self.redis, show_id, hold_ref)
        if record is None or record.profile_id != profile_id:
            raise _hold_not_found()
        return record

    async def release_seat(self, hold_ref: str, seat_id: str, profile_id: int) -> seats.HoldRecord | None:
        """The hold without that seat, or None when it was the hold's last seat (the hold is gone)."""
        show_id = _show_of(hold_ref)
        try:
            facts = await self.show_facts.get(show_id)
        except NotFound:
            raise _hold_not_found() from None  # a well-formed id naming a show that does not exist
        layout = await self.layouts.get(facts.venue_id)
        if seat_id not in layout.index:
            raise _seat_not_in_hold()
        outcome = await self._guarded(show_id, profile_id, lambda checkout_cleared: seats.release_seat(
            self.redis, show_id=show_id, hold_id=hold_ref, profile_id=profile_id, seat_id=seat_id,
            price=layout.price_of(seat_id, facts.section_prices), currency=facts.currency,
            checkout_cleared=checkout_cleared,
        ))
        if isinstance(outcome, seats.Released):
            return None
        if isinstance(outcome, seats.NoSeat):
            raise _seat_not_in_hold()
        if isinstance(outcome, seats.NoHold):
            raise _hold_not_found()
        assert isinstance(outcome, seats.HoldRecord)  # not InCheckout: _guarded cleared it
        return outcome

    async def release(self, hold_ref: str, profile_id: int) -> None:
        """Release the whole hold. The profile is done shopping: its admission goes to the next fan."""
        show_id = _show_of(hold_ref)
        outcome = await self._guarded(show_id, profile_id, lambda checkout_cleared: _release_hold(
            self.redis, self.turns, show_id, hold_ref, profile_id, checkout_cleared=checkout_cleared))
        if isinstance(outcome, seats.NoHold):
            raise _hold_not_found()

    async def _guarded(self, show_id: int, profile_id: int, write: Callable[[bool], Awaitable[Outcome]]) -> Outcome:
        """Run a seat write; when its hold went to checkout (InCheckout), ask the open-order guard, which cancels the
        order or refuses the change, then run the write again with the checkout cleared."""
        outcome = await write(False)
        if isinstance(outcome, seats.InCheckout):
            await self.open_orders.before_hold_change(show_id, outcome.hold_id, profile_id, utcnow())
            outcome = await write(True)  # a cleared write never answers InCheckout again
        return outcome

    # ------------------------------------------------------------------ rules

    def _limit(self, facts: ShowFacts) -> int:
        """Seats per order: the show's own limit (organizer), else the platform's."""
        return facts.max_seats_per_order or self.settings.max_seats_per_order

    @staticmethod
    def _check_request_shape(request: HoldRequest, limit: int) -> None:
        if (request.seat_ids is None) == (request.best_available is None):
            raise Invalid("Send either seat_ids or best_available, not both and not neither.")
        if request.seat_ids is not None:
            wanted = len(request.seat_ids)
        else:
            assert request.best_available is not None  # exactly one of the two, checked just above
            wanted = request.best_available.count
        if wanted > limit:
            raise Invalid(f"At most {limit} seats per order.", code="too_many_seats", max_seats=limit)
        if request.seat_ids is not None and len(set(request.seat_ids)) != len(request.seat_ids):
            repeated = sorted(seat for seat, n in Counter(request.seat_ids).items() if n > 1)
            if repeated:
                raise Invalid("seat_ids lists the same seat more than once.", code="duplicate_seats",
                              seat_ids=repeated)

    @staticmethod
    def _check_sale_open(facts: ShowFacts, now: datetime) -> None:
        # The organizer's pause or close first (read from the facts, which follow a change within a second:
        # catalog/facts.py): it says more than the clock does.
        if facts.sale == "paused":
            raise Conflict("The organizer has paused this sale; try again shortly.", code="sale_paused")
        if facts.sale == "closed":
            raise Conflict("The organizer has closed this sale.", code="sale_closed")
        if now < facts.sale_opens_at:
            raise Conflict("The sale for this show has not opened yet.", code="sale_not_open",
                           sale_opens_at=rfc3339(facts.sale_opens_at))
        if now >= facts.starts_at:
            raise Conflict("This show has started; its sale is over.", code="sale_not_open",
                           reason="show_ended")

    # ------------------------------------------------------------------ locking

    async def _place_seats(self, facts: ShowFacts, layout: VenueLayout, profile_id: int,
                           seat_ids: list[str]) -> seats.HoldRecord:
        unknown = [seat for seat in seat_ids if seat not in layout.index]
        if unknown:
            raise Invalid("Some seats are not in this show's venue.", code="unknown_seats", seat_ids=unknown)
        outcome = await self._lock(facts, layout, profile_id, seat_ids)
        if isinstance(outcome, seats.SeatsTaken):
            raise _seats_unavailable(outcome.seat_ids)
        return outcome

    async def _place_best_available(self, facts: ShowFacts, layout: VenueLayout, profile_id: int,
                                    wanted: BestAvailableRequest) -> seats.HoldRecord:
        """Chosen and locked in one Redis step (backend/seats/free_runs.py has the rules), so it never loses a race:
        409 only when no `count` seats satisfy the request."""
        section_id = _section_of(layout, wanted.section_id)
        outcome = await self._placed(facts, profile_id, lambda checkout_cleared: seats.lock_best_available(
            self.redis,
            show_id=facts.id,
            profile_id=profile_id,
            new_hold_id=new_hold_id(facts.id),
            count=wanted.count,
            section_id=section_id,
            accessible=wanted.accessible,
            prices=_prices(layout, facts),
            ttl_ms=self.settings.hold_ttl_seconds * 1000,
            max_seats=self._limit(facts),
            currency=facts.currency,
            closing_mark=cancelled_key(facts.id),
            checkout_cleared=checkout_cleared,
        ))
        if isinstance(outcome, seats.SeatsTaken):
            raise _seats_unavailable(outcome.seat_ids)
        return outcome

    async def _lock(self, facts: ShowFacts, layout: VenueLayout, profile_id: int,
                    seat_ids: list[str]) -> seats.HoldRecord | seats.SeatsTaken:
        return await self._placed(facts, profile_id, lambda checkout_cleared: seats.lock_seats(
            self.redis,
            show_id=facts.id,
            profile_id=profile_id,
            new_hold_id=new_hold_id(facts.id),
            seats=[(seat, layout.price_of(seat, facts.section_prices)) for seat in seat_ids],
            ttl_ms=self.settings.hold_ttl_seconds * 1000,
            max_seats=self._limit(facts),
            currency=facts.currency,
            closing_mark=cancelled_key(facts.id),
            checkout_cleared=checkout_cleared,
        ))

    async def _placed(self, facts: ShowFacts, profile_id: int, lock: Callable[[bool], Awaitable[LockOutcome]],
                      ) -> seats.HoldRecord | seats.SeatsTaken:
        # The new seats may join a hold with an open order: _guarded asks the guard then.
        outcome = await self._guarded(facts.id, profile_id, lock)
        if isinstance(outcome, seats.TooManySeats):
            limit = self._limit(facts)
            raise Invalid(f"At most {limit} seats per order, counting the seats you already hold.",
                          code="too_many_seats", max_seats=limit)
        if isinstance(outcome, seats.NoBlock):
            raise Conflict("No seats together are available with these wishes.", code="seats_unavailable",
                           seat_ids=[])
        if isinstance(outcome, seats.SaleClosed):
            raise show_cancelled()
        if isinstance(outcome, seats.Placed):
            return outcome.record
        assert isinstance(outcome, seats.SeatsTaken)  # not InCheckout: _guarded cleared it
        return outcome


_section_prices: dict[int, tuple[VenueLayout, ShowFacts, dict[int, int]]] = {}


def _prices(layout: VenueLayout, facts: ShowFacts) -> dict[int, int]:
    """Section id -> price of a seat, once per (layout, the show's facts): best available prices the seats the
    script picks."""
    cached = _section_prices.get(facts.id)
    if cached is None or cached[0] is not layout or cached[1] is not facts:
        cached = (layout, facts, layout.section_prices(facts.section_prices))
        _section_prices[facts.id] = cached
    return cached[2]


def _show_of(hold_ref: str) -> int:
    show_id = show_of_hold(hold_ref)
    if show_id is None:
        raise _hold_not_found()
    return show_id


def _section_of(layout: VenueLayout, section_ref: str | None) -> int | None:
    if section_ref is None:
        return None
    if section_ref.isdigit() and any(str(s.id) == section_ref for s in layout.sections):
        return int(section_ref)
    raise Invalid("No such section in this show's venue.", code="unknown_section", section_id=section_ref)


def _hold_not_found() -> NotFound:
    return NotFound("No such hold (it may have expired).", code="hold_not_found")


def _seat_not_in_hold() -> NotFound:
    return NotFound("That seat is not in this hold.", code="seat_not_in_hold")


def _seats_unavailable(seat_ids: list[str]) -> Conflict:
    return Conflict("Some of these seats were just taken; pick others.", code="seats_unavailable",
                    seat_ids=seat_ids)


# ---------------------------------------------------------------------- for payments


async def get_hold(redis: Redis, hold_id: str) -> seats.HoldRecord | None:
    """The live hold, or None when the id is unknown, malformed or the hold expired."""
    show_id = show_of_hold(hold_id)
    if show_id is None:
        return None
    return await seats.read_hold(redis, show_id, hold_id)


async def release_hold(redis: Redis, turns: ShoppingTurns, show_id: int, hold_id: str, profile_id: int) -> None:
    """Payments cancelled the hold's order: every seat of the hold is available at once and, on a show with a waiting
    room, that shopping turn is over."""
    outcome = await _release_hold(redis, turns, show_id, hold_id, profile_id, checkout_cleared=True)
    if isinstance(outcome, seats.NoHold):
        raise _hold_not_found()


async def _release_hold(redis: Redis, turns: ShoppingTurns, show_id: int, hold_id: str, profile_id: int,
                        checkout_cleared: bool) -> seats.Released | seats.NoHold | seats.InCheckout:
    # One script releases the seats and, in the same step, ends the profile's shopping turn.
    return await seats.release_hold(redis, show_id=show_id, hold_id=hold_id, profile_id=profile_id,
                                    leave=turns.grants_key(show_id), checkout_cleared=checkout_cleared)


async def mark_checkout(redis: Redis, hold: seats.HoldRecord) -> bool:
    """Checkout is about to snapshot the hold into an order: later seat changes ask the payments lifecycle first
    (OpenOrderGuard). False when the hold is no longer live."""
    return await seats.mark_checkout(redis, show_id=hold.show_id, hold_id=hold.hold_id, profile_id=hold.profile_id)
