"""The Stripe gateway's HTTP session lives as long as the app: the payments domain opens it at startup and ends it
among the app's shutdown hooks (backend/payments/plugin.py), so a stopping process leaves no connection to Stripe
open behind it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from redis.asyncio import Redis

from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY, STANDIN_SECRET_KEY
from backend.payments.gateway import GatewayError, IntentMissing
from backend.payments.plugin import Payments, contribution
from backend.settings import get_settings
from backend.wiring import Services
from realtime.waiting_room import Admissions
from tests.support.servers import ServerProcess


async def test_the_payments_domain_ends_its_stripe_session_when_the_app_stops(server: ServerProcess,
                                                                             redis: Redis, redis_url: str) -> None:
    settings = replace(get_settings(), redis_url=redis_url, stripe_secret_key=STANDIN_SECRET_KEY,
                       stripe_publishable_key=STANDIN_PUBLISHABLE_KEY, stripe_api_base=server.standin_url)
    payments = Payments(settings, redis, Admissions(redis))
    services = Services(settings)  # builds a client; nothing here connects with it
    part = contribution(services, payments)
    for hook in part.startup:
        await hook()
    with pytest.raises(IntentMissing):  # Stripe answered: the session is open
        await payments.provide_gateway().retrieve_intent("pi_not_there")
    for hook in part.shutdown:
        await hook()
    with pytest.raises(GatewayError) as after:  # nothing is sent once the app has stopped
        await payments.provide_gateway().retrieve_intent("pi_not_there")
    assert not isinstance(after.value, IntentMissing)
    await services.redis.aclose()
