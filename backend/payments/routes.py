"""HTTP for payments: checkout, reading an order, Stripe's webhook. Handlers translate; services decide."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, delete, get, post
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from litestar.types import Method
from litestar.types.internal_types import PathParameterDefinition

from backend.booking.guards import ShoppingTurns
from backend.catalog.facts import ShowFactsCache
from backend.catalog.layout import LayoutCache
from backend.edge.auth import provide_profile_id
from backend.errors import BadRequest, Unavailable
from backend.ids import parse_order_id, parse_show_id
from backend.infra import metrics
from backend.infra.redis_client import RedisDependency
from backend.payments import WEBHOOK_PATH
from backend.payments import checkout as checkout_service
from backend.payments.confirmation import settle_for_owner
from backend.payments.gateway import GatewayError, InvalidWebhook, MalformedWebhook, StripeGateway
from backend.payments.order_lifecycle import OrderLifecycle
from backend.payments.orders import order_of_profile
from backend.payments.schemas import CheckoutBody, CheckoutOut, OrderOut, PayingOut, PaymentSetup, WebhookAck
from backend.payments.transactions import is_transient
from backend.payments.webhooks import handle_webhook
from backend.settings import Settings
from backend.timeutil import rfc3339_ms, utcnow


def _checkout_operation_id(_: HTTPRouteHandler, __: Method | HttpMethod,
                           path: list[str | PathParameterDefinition]) -> str:
    # One handler, two paths (API.md keeps the seed's path): OpenAPI needs an id per path.
    return "startCheckout" if "shows" in path else "startCheckoutSeedPath"


def _render_checkout(order: checkout_service.CheckoutOrder, gateway: StripeGateway) -> CheckoutOut:
    return CheckoutOut(
        order_id=str(order.id), status=order.status, amount_cents=order.amount_cents, currency=order.currency,
        expires_at=rfc3339_ms(order.expires_at),  # the hold's own expiry: payable until it ends
        payment=PaymentSetup(provider="stripe", client_secret=order.client_secret,
                             publishable_key=gateway.publishable_key, js_url=gateway.js_url),
    )


class PaymentsController(Controller):
    path = "/api/v1"
    tags = ["payments"]

    @post(["/shows/{show_id:str}/checkout", "/{show_id:str}/checkout"], operation_id=_checkout_operation_id,
          status_code=HTTP_201_CREATED, dependencies={"profile_id": Provide(provide_profile_id)})
    async def checkout(
        self, data: CheckoutBody, redis: RedisDependency, gateway: StripeGateway, layouts: LayoutCache,
        show_facts: ShowFactsCache, open_orders: OrderLifecycle, show_id: str, profile_id: int,
        idempotency_key: Annotated[str | None, Parameter(header="Idempotency-Key", required=False,
                                                         description="Repeat-safe retries")] = None,
    ) -> Response[CheckoutOut]:
        """Order + Stripe PaymentIntent for a live hold: 201 new, 200 the same order again."""
        # Card data never gets this far: the edge (backend.edge.screening) refuses it for every route.
        with metrics.timed(metrics.CHECKOUT_SECONDS):
            outcome = await checkout_service.checkout(
                redis, gateway, show_facts, layouts, open_orders,
                checkout_service.CheckoutRequest(profile_id=profile_id, show_id=parse_show_id(show_id),
                                                 hold_id=data.hold_id, idempotency_key=idempotency_key),
                utcnow(),
            )
        return Response(_render_checkout(outcome.order, gateway),
                        status_code=HTTP_201_CREATED if outcome.created else HTTP_200_OK)

    @get("/orders/{order_id:str}", operation_id="getOrder",
         dependencies={"profile_id": Provide(provide_profile_id)})
    async def get_order(self, order_id: str, profile_id: int, settings: Settings) -> OrderOut:
        """The caller's order with its tickets (404 for anyone else's)."""
        return await order_of_profile(settings.secret_key, profile_id, parse_order_id(order_id))

    @delete("/orders/{order_id:str}", operation_id="cancelOrder", status_code=HTTP_204_NO_CONTENT,
            dependencies={"profile_id": Provide(provide_profile_id)})
    async def cancel_order(self, order_id: str, profile_id: int, open_orders: OrderLifecycle) -> None:
        """Cancel an unpaid order: its payment is cancelled at Stripe, its hold released, its seats available."""
        await open_orders.cancel(parse_order_id(order_id), profile_id, utcnow())

    @post("/orders/{order_id:str}/settle", operation_id="settleOrder", status_code=HTTP_200_OK,
          dependencies={"profile_id": Provide(provide_profile_id)})
    async def settle(self, order_id: str, profile_id: int, redis: RedisDependency, gateway: StripeGateway,
                     turns: ShoppingTurns, settings: Settings) -> OrderOut:
        """Stripe.js reported the payment confirmed: the PaymentIntent is read back from Stripe and, if it
        succeeded, the order is settled now (`paid`, with its tickets); otherwise the order as it stands.
        Idempotent; the webhook and the reconciler remain the backstop (404 for anyone else's order)."""
        try:
            settled = await settle_for_owner(redis, gateway, turns, parse_order_id(order_id), profile_id, utcnow(),
                                             settings.payment_grace_seconds)
        except Exception as exc:
            if not is_transient(exc):
                raise
            raise Unavailable("The database is busy; retry later.", code="busy") from None
        return await order_of_profile(settings.secret_key, profile_id, settled)

    @post("/orders/{order_id:str}/paying", operation_id="startPaying", status_code=HTTP_200_OK,
          dependencies={"profile_id": Provide(provide_profile_id)})
    async def paying(self, order_id: str, profile_id: int, open_orders: OrderLifecycle) -> PayingOut:
        """The fan is confirming the card now: the hold is extended once by the payment grace."""
        paying = await open_orders.paying(parse_order_id(order_id), profile_id, utcnow())
        return PayingOut(order_id=str(paying.order_id), status=paying.status,
                         expires_at=rfc3339_ms(paying.expires_at))


@post(WEBHOOK_PATH, operation_id="stripeWebhook", status_code=HTTP_200_OK, tags=["payments"])
async def stripe_webhook(
    request: Request[Any, Any, Any], redis: RedisDependency, gateway: StripeGateway, turns: ShoppingTurns,
    settings: Settings,
    stripe_signature: Annotated[str | None, Parameter(header="Stripe-Signature", required=False)] = None,
) -> WebhookAck:
    """Stripe events, verified over the raw body; 400 when the signature does not verify."""
    payload = await request.body()
    try:
        outcome = await handle_webhook(redis, gateway, turns, payload, stripe_signature, utcnow(),
                                       settings.payment_grace_seconds)
    except InvalidWebhook:
        raise BadRequest("The Stripe-Signature header does not verify.", code="invalid_signature") from None
    except MalformedWebhook:
        raise BadRequest("The signed body is not a Stripe event.", code="invalid_event") from None
    except GatewayError:
        # Stripe retries a failed delivery; by then it can be read back.
        raise Unavailable("Stripe could not be read back; retry later.", code="stripe_unavailable") from None
    except Exception as exc:
        if not is_transient(exc):
            raise
        raise Unavailable("The database is busy; retry later.", code="busy") from None
    return WebhookAck(received=True, duplicate=outcome.duplicate)
