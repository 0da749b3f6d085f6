"""The purchase lifecycle's state table: hold -> order -> payment -> tickets (the waiting-room turn around it is
realtime.waiting_room.turn_states').

This table is the specification. `guarded_update` below refuses any change of an order's status that
no row allows, and docs/architecture.md's table is rendered from these rows (`python -m backend.payments.order_states`
prints it; tests/lifecycle/test_state_table.py fails when the two differ), so the code and the document cannot drift.

Order statuses live in the database (the truth for money). A hold's phase is not stored as such: it follows from
Redis (is the hold live?) and its order (open? has the fan said they are paying?), as pretix computes availability
from the truth instead of keeping a counter.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from backend.tickets import sales
from db.tables import Order

# ---------------------------------------------------------------- order statuses (orders.status)

PENDING: Final = "pending_payment"  # an open order: a snapshot of its hold, payable until the hold ends
PAID: Final = "paid"
REFUNDED: Final = "refunded"
EXPIRED: Final = "expired"
CANCELLED: Final = "cancelled"

OrderStatus = Literal["pending_payment", "paid", "expired", "refunded", "cancelled"]
ORDER_STATUSES: Final = (PENDING, PAID, EXPIRED, REFUNDED, CANCELLED)
NEW: Final = "-"  # "no order yet", the origin of checkout

# Why an order that took money was refunded (orders.refund_reason), in the fans' words on the order page.
RefundReason = Literal["seats_taken", "amount_mismatch", "order_cancelled", "organizer_refund", "show_cancelled"]
SEATS_TAKEN: Final = "seats_taken"
AMOUNT_MISMATCH: Final = "amount_mismatch"
ORDER_CANCELLED: Final = "order_cancelled"
ORGANIZER_REFUND: Final = "organizer_refund"  # the organizer refunded every seat (refunds.py)
SHOW_CANCELLED: Final = "show_cancelled"  # the show was cancelled (cancellation.py; a late payment alike)

# Hold phases (derived, see above): what the fan may do with the seats.
HOLD_PHASES: Final = {
    "held": "live in Redis, no open order: seats may be added and released freely",
    "in_checkout": "live, an open order (its snapshot), no payment in flight: a change of seats cancels the order",
    "paying": "live, the fan said they are paying (or Stripe says processing): seats are frozen, 409 hold_in_checkout",
    "ended": "released, expired or sold: the seats are no longer this hold's",
}


@dataclass(frozen=True)
class Transition:
    event: str
    source: tuple[str, ...]  # order statuses it starts from (NEW: no order yet)
    target: str
    guard: str
    redis: str
    database: str
    stripe: str
    ledger: str


TRANSITIONS: Final[tuple[Transition, ...]] = (
    Transition(
        "checkout", (NEW,), PENDING,
        "hold live, the caller's, no open order for it (one per hold: UNIQUE orders.hold_id)",
        "-", "order + one item per held seat at its section price (the snapshot)",
        "create PaymentIntent (idempotency key per order)", "-"),
    Transition(
        "checkout again", (PENDING,), PENDING,
        "the hold's open order (its seats cannot have changed: a change cancels it)",
        "-", "-", "create the intent if an earlier attempt could not", "-"),
    Transition(
        "paying (POST /orders/{id}/paying, payment_intent.processing)", (PENDING,), PENDING,
        "hold live; the grace is given once per hold, so once per order",
        "hold expires_at += PAYMENT_GRACE_SECONDS, seat locks and expiry index follow",
        "paying_at, expires_at = the hold's new end", "-", "-"),
    Transition(
        "payment failed (payment_intent.payment_failed, reconciler)", (PENDING,), PENDING,
        "order open", "-", "last_payment_error (code, decline code, message)", "-", "-"),
    Transition(
        "seats changed (add, release one, release all)", (PENDING,), CANCELLED,
        "no payment in flight (paying_at unset, or Stripe shows a declined attempt), else 409 hold_in_checkout",
        "the change itself (all-or-nothing Lua script)",
        "status cancelled; hold_id and Idempotency-Key freed for the next order",
        "cancel PaymentIntent (if it succeeded meanwhile: settle it as paid, 409)", "-"),
    Transition(
        "cancel order (DELETE /orders/{id})", (PENDING,), CANCELLED,
        "the caller's; no payment in flight, else 409 hold_in_checkout",
        "hold released, seats published available, waiting-room turn ends",
        "status cancelled; hold_id and Idempotency-Key freed",
        "cancel PaymentIntent (if it succeeded meanwhile: settle it as paid, 409)", "-"),
    Transition(
        "payment succeeded, seats claimable", (PENDING, EXPIRED), PAID,
        "amount and currency match; every seat is this hold's or free (claimed atomically in one Lua script, "
        "also after the hold ended); UNIQUE(show, seat) agrees",
        "seats claimed, then sold; the hold ends; waiting-room turn ends",
        "tickets, status paid, paid_at, the show's striped sales counters (one transaction)",
        "read back the intent (the fan's POST /orders/{id}/settle, the webhook and the reconciler are triggers)",
        "payment row in the show's chain"),
    Transition(
        "payment succeeded, a seat taken", (PENDING, EXPIRED), REFUNDED,
        "a seat sold or held by another hold after this hold ended",
        "-", "status refunded, refund_reason seats_taken", "refund in full (idempotency key per order)",
        "payment row, then refund row (the show's chain)"),
    Transition(
        "payment succeeded, amount differs", (PENDING, EXPIRED), REFUNDED,
        "Stripe received another amount or currency than the order's", "-",
        "status refunded, refund_reason amount_mismatch", "refund in full", "payment row, then refund row (the show's chain)"),
    Transition(
        "payment succeeded, order cancelled", (CANCELLED,), REFUNDED,
        "never expected: the intent was cancelled before the order", "-",
        "status refunded, refund_reason order_cancelled", "refund in full", "payment row, then refund row (the show's chain)"),
    Transition(
        "payment succeeded, show cancelled", (PENDING, EXPIRED), REFUNDED,
        "the show was cancelled (show.cancelled_at) before the sale committed", "-",
        "status refunded, refund_reason show_cancelled", "refund in full",
        "payment row, then refund row (the show's chain)"),
    Transition(
        "organizer refund, some seats (POST /organizer/orders/{id}/refund with seat_ids)", (PAID,), PAID,
        "the order is paid; each seat named has a ticket of this order not refunded yet; an Idempotency-Key "
        "already used for this order returns that refund",
        "after the commit: the seats this order bought released from `sold` (one diff; the reconciler retries a "
        "release that failed)",
        "refund row (amount, seats, reason, key); the seats' tickets revoked; refunded_cents += the seats' prices",
        "refund of that amount (idempotency key per refund row), after the commit",
        "refund row (the show's chain), with the Stripe refund"),
    Transition(
        "organizer refund, the last seats (a whole order, or the show's cancellation job)", (PAID,), REFUNDED,
        "as above; no ticket of the order is left unrefunded after it; the cancellation job's key is one per order",
        "after the commit: the seats this order bought released from `sold` (one diff; the reconciler retries a "
        "release that failed)",
        "as above; status refunded, refund_reason organizer_refund or show_cancelled",
        "refund of the rest (idempotency key per refund row), after the commit",
        "refund row (the show's chain), with the Stripe refund"),
    Transition(
        "hold ended unpaid (reconciler, payment_intent.canceled)", (PENDING,), EXPIRED,
        "hold ended (a short margin after expires_at) and Stripe cancelled the intent; an intent Stripe cannot "
        "cancel is read again: succeeded settles as paid, processing waits",
        "- (the sweeper already released the seats)", "status expired", "cancel PaymentIntent", "-"),
    Transition(
        "refund retried (reconciler)", (REFUNDED,), REFUNDED,
        "no refund row for the order yet", "-", "-", "refund (same idempotency key)", "refund row, once per order"),
)


def allowed(source: str, target: str) -> bool:
    """Whether some row of the table moves an order from `source` to `target`."""
    return any(source in row.source and row.target == target for row in TRANSITIONS)


class TransitionRefused(RuntimeError):
    """A status change the table does not allow: a bug in the caller, never the fan's doing."""


async def move(order: dict[str, Any], target: str, now: datetime, *, seats: int | None = None,
               **columns: Any) -> None:
    """The one write that changes an order's status. Call it inside a write transaction with the row that
    `lock_order` returned, so the status it checks is the status it changes. The show's sales counters move with
    it (backend/tickets/sales.py); `seats`: the order's seat count, for a move to or from paid (counted if not
    given)."""
    if not allowed(order["status"], target):
        raise TransitionRefused(f"order {order['id']}: {order['status']} -> {target} is not in the state table")
    values = {getattr(Order, name): value for name, value in columns.items()}
    await Order.update({Order.status: target, Order.updated_at: now, **values}).where(Order.id == order["id"])
    await sales.count_move(order, order["status"], target, seats=seats)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    """The tables as docs/architecture.md carries them, between its lifecycle-table markers."""
    lines = [
        "| event | from | to | guard | Redis | database | Stripe | ledger |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in TRANSITIONS:
        cells = [row.event, ", ".join(f"`{s}`" for s in row.source), f"`{row.target}`", row.guard, row.redis,
                 row.database, row.stripe, row.ledger]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "| hold phase | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in HOLD_PHASES.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
