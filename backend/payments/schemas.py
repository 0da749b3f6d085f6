from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from backend.payments.order_states import OrderStatus, RefundReason
from backend.tickets.schemas import TicketOut


class CheckoutBody(msgspec.Struct):
    """The hold to pay for. Never card data: such a body is refused with 422."""

    hold_id: Annotated[str, Meta(min_length=1, max_length=64)]


class PaymentSetup(msgspec.Struct):
    """What the browser needs to confirm the payment with Stripe.js: never anything card-related."""

    provider: Literal["stripe"]
    client_secret: str | None
    publishable_key: str
    js_url: str


class CheckoutOut(msgspec.Struct):
    order_id: str
    status: OrderStatus
    amount_cents: int
    currency: str
    expires_at: str
    payment: PaymentSetup


class PaymentErrorOut(msgspec.Struct):
    code: str | None
    decline_code: str | None
    message: str | None


class OrderOut(msgspec.Struct):
    order_id: str
    show_id: str
    status: OrderStatus
    amount_cents: int
    currency: str
    last_payment_error: PaymentErrorOut | None
    tickets: list[TicketOut]
    # Until when the order is payable: its hold's end, later by the payment grace once the fan said they are paying.
    expires_at: str
    # Set with status `refunded`: seats_taken | amount_mismatch | order_cancelled | organizer_refund |
    # show_cancelled.
    refund_reason: RefundReason | None = None
    # What goes back to the fan (decided; Stripe is asked right after): an organizer may refund some seats (the
    # order stays `paid`, `tickets` lists the others) or all (`refunded`); an automatic refund (`refund_reason`
    # seats_taken, amount_mismatch, ...) is all that was received.
    refunded_cents: int = 0


class RefundBody(msgspec.Struct, forbid_unknown_fields=True):
    """An organizer's refund: the seats (ids as the order's tickets name them; absent: every seat not refunded
    yet) and the reason the fan reads in the refund e-mail."""

    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    seat_ids: Annotated[list[Annotated[str, Meta(min_length=1, max_length=20)]], Meta(min_length=1,
                                                                                      max_length=100)] | None = None


class PayingOut(msgspec.Struct):
    """The answer to "I am paying": the hold's end, extended once by the payment grace."""

    order_id: str
    status: OrderStatus
    expires_at: str


class WebhookAck(msgspec.Struct):
    received: bool
    duplicate: bool = False
