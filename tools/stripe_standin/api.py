"""The Stripe REST API (``/v1``): Stripe's form-encoded requests in, Stripe's JSON objects out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import MediaType

from . import objects
from .auth import authenticate
from .errors import StripeError, invalid_request
from .forms import decode
from .idempotency import IdempotencyRecords, fingerprint, should_remember
from .payments import Caller, Payments, RequestInfo
from .settings import Settings
from .store import Store

log = logging.getLogger("stripe_standin.api")

Operation = Callable[[dict[str, Any], Caller, RequestInfo], dict[str, Any]]


class StripeGateway:
    """Turns one HTTP request into one Stripe operation: parameters, key, idempotency, errors, saving."""

    def __init__(self, settings: Settings, store: Store, payments: Payments, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.store = store
        self.payments = payments
        self.idempotency = IdempotencyRecords(store)
        self.clock = clock

    async def call(self, request: Request, operation: Operation, *, publishable_allowed: bool = False) -> Response:
        request_id = "req_" + objects.random_token(14)
        idempotency_key = request.headers.get("idempotency-key") if request.method == "POST" else None
        try:
            params = await self._params(request)
            caller = authenticate(request.headers, params, self.settings, publishable_allowed=publishable_allowed)
            # Everything from here on is synchronous, so no other request interleaves with this one.
            status, body, replayed = self._run(request, operation, params, caller, request_id, idempotency_key)
        except StripeError as error:
            status, body, replayed = error.status, error.body(), False
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("stripe-version", objects.API_VERSION),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        outcome = (body["error"].get("code") or body["error"]["type"]) if status >= 400 else body.get("id", "")
        log.info(
            "%s %s -> %d %s%s",
            request.method,
            request.url.path,
            status,
            outcome,
            " (replayed)" if replayed else "",
        )
        return Response(content=body, status_code=status, headers=headers, media_type=MediaType.JSON)

    def _run(
        self,
        request: Request,
        operation: Operation,
        params: dict[str, Any],
        caller: Caller,
        request_id: str,
        idempotency_key: str | None,
    ) -> tuple[int, dict[str, Any], bool]:
        request_fingerprint = fingerprint(request.method, request.url.path, params)
        # A browser's key never replays the backend's answer (which holds more than a browser may see).
        record_key = f"{'pk' if caller.publishable else 'sk'}:{idempotency_key}"
        if idempotency_key:
            earlier = self.idempotency.replay(record_key, request_fingerprint)
            if earlier is not None:
                return earlier[0], earlier[1], True
        info = RequestInfo(request_id=request_id, idempotency_key=idempotency_key)
        try:
            status, body = 200, operation(params, caller, info)
        except StripeError as error:
            status, body = error.status, error.body()
        if request.method == "POST":
            now = self.clock()
            if idempotency_key and should_remember(status):
                self.idempotency.remember(record_key, request_fingerprint, status, body, now)
            self.store.flush(now)
        return status, body, False

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            return decode(request.scope["query_string"].decode("latin-1"))
        raw = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if raw and content_type not in ("application/x-www-form-urlencoded", ""):
            raise invalid_request(
                f"Invalid request: unsupported Content-Type {content_type}. "
                "Stripe's API takes application/x-www-form-urlencoded bodies."
            )
        try:
            return decode(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise invalid_request("Invalid request: the body is not UTF-8.") from exc


class StripeApi(Controller):
    path = "/v1"
    include_in_schema = False

    @post("/payment_intents", status_code=200)
    async def create_payment_intent(self, request: Request, gateway: StripeGateway) -> Response:
        return await gateway.call(request, lambda params, _, info: gateway.payments.create_intent(params, info))

    @get("/payment_intents")
    async def list_payment_intents(self, request: Request, gateway: StripeGateway) -> Response:
        return await gateway.call(request, lambda params, _, __: gateway.payments.list_intents(params))

    @get("/payment_intents/{intent_id:str}")
    async def retrieve_payment_intent(self, request: Request, gateway: StripeGateway, intent_id: str) -> Response:
        return await gateway.call(
            request,
            lambda params, caller, _: gateway.payments.retrieve_intent(intent_id, params, caller),
            publishable_allowed=True,
        )

    @post("/payment_intents/{intent_id:str}", status_code=200)
    async def update_payment_intent(self, request: Request, gateway: StripeGateway, intent_id: str) -> Response:
        return await gateway.call(
            request, lambda params, _, info: gateway.payments.update_intent(intent_id, params, info)
        )

    @post("/payment_intents/{intent_id:str}/confirm", status_code=200)
    async def confirm_payment_intent(self, request: Request, gateway: StripeGateway, intent_id: str) -> Response:
        return await gateway.call(
            request,
            lambda params, caller, info: gateway.payments.confirm_intent(intent_id, params, caller, info),
            publishable_allowed=True,
        )

    @post("/payment_intents/{intent_id:str}/cancel", status_code=200)
    async def cancel_payment_intent(self, request: Request, gateway: StripeGateway, intent_id: str) -> Response:
        return await gateway.call(
            request, lambda params, _, info: gateway.payments.cancel_intent(intent_id, params, info)
        )

    @post("/refunds", status_code=200)
    async def create_refund(self, request: Request, gateway: StripeGateway) -> Response:
        return await gateway.call(request, lambda params, _, info: gateway.payments.create_refund(params, info))

    @get("/refunds")
    async def list_refunds(self, request: Request, gateway: StripeGateway) -> Response:
        return await gateway.call(request, lambda params, _, __: gateway.payments.list_refunds(params))

    @get("/refunds/{refund_id:str}")
    async def retrieve_refund(self, request: Request, gateway: StripeGateway, refund_id: str) -> Response:
        return await gateway.call(request, lambda params, _, __: gateway.payments.retrieve("refund", refund_id, params))

    @get("/charges/{charge_id:str}")
    async def retrieve_charge(self, request: Request, gateway: StripeGateway, charge_id: str) -> Response:
        return await gateway.call(request, lambda params, _, __: gateway.payments.retrieve("charge", charge_id, params))

    @get("/payment_methods/{method_id:str}")
    async def retrieve_payment_method(self, request: Request, gateway: StripeGateway, method_id: str) -> Response:
        return await gateway.call(
            request, lambda params, _, __: gateway.payments.retrieve("payment_method", method_id, params)
        )

    @get("/events")
    async def list_events(self, request: Request, gateway: StripeGateway) -> Response:
        return await gateway.call(request, lambda params, _, __: gateway.payments.list_events(params))

    @get("/events/{event_id:str}")
    async def retrieve_event(self, request: Request, gateway: StripeGateway, event_id: str) -> Response:
        return await gateway.call(request, lambda _, __, ___: gateway.payments.retrieve_event(event_id))
