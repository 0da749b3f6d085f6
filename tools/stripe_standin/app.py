"""The stand-in's ASGI application: all wiring in one place."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.logging import LoggingConfig
from litestar.types import ASGIApp

from . import admin, browser
from .api import StripeApi, StripeGateway
from .cors import allow_browser_calls
from .errors import StripeError, unrecognized_url
from .payments import Payments
from .settings import Settings
from .store import Store
from .webhooks import Webhooks

log = logging.getLogger("stripe_standin")


def create_app(settings: Settings) -> ASGIApp:
    store = Store(settings.state_file)
    webhooks = Webhooks(store, settings)
    payments = Payments(store, webhooks, processing_seconds=settings.processing_seconds)
    gateway = StripeGateway(settings, store, payments)

    @contextlib.asynccontextmanager
    async def deliver_webhooks(_: Litestar) -> AsyncIterator[None]:
        # Fold the journal into a fresh snapshot: fails now, not on the first payment, if the state file cannot be
        # written, and starts the journal empty.
        store.compact(time.time())
        # What was loaded lives as long as the process: out of the collector's sight.
        gc.collect()
        gc.freeze()
        delivery = asyncio.create_task(webhooks.run(), name="webhook-delivery")
        processing = asyncio.create_task(payments.run_processing(), name="processing-payments")
        log.info(
            "Stripe stand-in ready: state in %s, webhooks to %s",
            settings.state_file,
            settings.webhook_url or "(nowhere)",
        )
        try:
            yield
        finally:
            for task in (processing, delivery):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            # An interrupted delivery stays pending and resumes after a restart.
            store.compact(time.time())
            store.close()

    def stripe_not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/v1/"):
            error = unrecognized_url(request.method, request.url.path)
            return Response(error.body(), status_code=error.status)
        status = getattr(exc, "status_code", 500)
        return Response({"status_code": status, "detail": str(getattr(exc, "detail", exc))}, status_code=status)

    def stripe_error(_: Request, exc: StripeError) -> Response:
        return Response(exc.body(), status_code=exc.status)

    app = Litestar(
        route_handlers=[StripeApi, *browser.routes, *admin.routes],
        dependencies={
            "gateway": Provide(lambda: gateway, sync_to_thread=False),
            "webhooks": Provide(lambda: webhooks, sync_to_thread=False),
            "store": Provide(lambda: store, sync_to_thread=False),
            "payments": Provide(lambda: payments, sync_to_thread=False),
        },
        exception_handlers={
            NotFoundException: stripe_not_found,
            MethodNotAllowedException: stripe_not_found,
            StripeError: stripe_error,
        },
        lifespan=[deliver_webhooks],
        openapi_config=None,
        # The handlers __main__ set up write each record at once. Litestar's default would route every record
        # through a queue to a listener thread: a lock hand-off per record, ~10 % of the stand-in's CPU under load.
        logging_config=LoggingConfig(
            configure_root_logger=False,
            loggers={"litestar": {"level": "INFO", "propagate": True, "handlers": []}},
            log_exceptions="always",
        ),
    )
    return allow_browser_calls(app)
