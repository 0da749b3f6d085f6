"""Helpers for the payments tests: paying through the Stripe stand-in as Stripe.js does, the stand-in's test
controls, signing webhooks like Stripe, and polling with deadlines."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from backend.launcher.processes import free_port
from backend.launcher.serve import STANDIN_PUBLISHABLE_KEY, STANDIN_SECRET_KEY, standin_webhook_secret
from backend.payments.gateway import StripeGateway
from tests.support.servers import ServerProcess

VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"
# The stand-in's payments that stay `processing` until they settle (tools/stripe_standin/README.md).
PROCESSING_THEN_SUCCEEDS = "pm_card_processingThenSucceeds"
PROCESSING_THEN_DECLINED = "pm_card_processingThenDeclined"


def webhook_secret(var_dir: Path) -> str:
    """The secret the launcher derives for the stand-in (backend/launcher/serve.py), from SECRET_KEY when the environment sets
    it (the suite does, for every server it starts), else from the key the launcher wrote into its var dir."""
    return standin_webhook_secret(os.environ.get("SECRET_KEY") or (var_dir / "secret_key").read_text().strip())


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Standin:
    """The browser's side of Stripe (publishable key + client secret) and the stand-in's test controls."""

    def __init__(self, server: ServerProcess) -> None:
        self.url = server.standin_url

    async def confirm(self, client_secret: str, payment_method: str | None = VISA,
                      card_number: str | None = None) -> httpx.Response:
        """What stripe.confirmCardPayment does: POST /v1/payment_intents/{id}/confirm with the publishable key."""
        intent_id = client_secret.split("_secret_")[0]
        form: dict[str, Any] = {"key": STANDIN_PUBLISHABLE_KEY, "client_secret": client_secret}
        if card_number:
            form.update({"payment_method_data[type]": "card", "payment_method_data[card][number]": card_number,
                         "payment_method_data[card][exp_month]": "12",
                         "payment_method_data[card][exp_year]": str(time.gmtime().tm_year + 2),
                         "payment_method_data[card][cvc]": "123"})
        else:
            form["payment_method"] = payment_method
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(f"{self.url}/v1/payment_intents/{intent_id}/confirm", data=form)

    async def pay(self, client_secret: str, **kwargs: Any) -> dict:
        response = await self.confirm(client_secret, **kwargs)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "succeeded"
        return response.json()

    async def set_webhooks(self, enabled: bool) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(f"{self.url}/_standin/webhooks", json={"enabled": enabled})
            assert response.status_code == 200, response.text

    @asynccontextmanager
    async def webhooks_lost(self) -> AsyncIterator[None]:
        """Events made inside the block are never delivered (Stripe lost them); delivery resumes after it."""
        await self.set_webhooks(False)
        try:
            yield
        finally:
            await self.set_webhooks(True)

    async def redeliver_lost(self, **filters: str) -> int:
        """Send again every event that was lost while webhooks were off (a late webhook); returns how many."""
        lost = await self.events(status="not_sent", **filters)
        async with httpx.AsyncClient(timeout=10) as client:
            for event in lost:
                response = await client.post(f"{self.url}/_standin/events/{event['id']}/redeliver")
                assert response.status_code == 200, response.text
        return len(lost)

    async def finish_processing(self, intent_id: str) -> dict:
        """A `processing` PaymentIntent settles now, as its payment method says (the stand-in's test control)."""
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(f"{self.url}/_standin/payment_intents/{intent_id}/finish_processing")
            assert response.status_code == 200, response.text
            return response.json()

    async def _get(self, path: str, **params: str) -> Any:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{self.url}{path}", params=params,
                                        headers={"Authorization": f"Bearer {STANDIN_SECRET_KEY}"})
            assert response.status_code == 200, response.text
            return response.json()

    async def events(self, **filters: str) -> list[dict]:
        return (await self._get("/_standin/events", **filters))["data"]

    async def refund_count(self, payment_intent: str) -> int:
        """How many refunds Stripe made of this payment."""
        return int((await self._get("/_standin/refunds", payment_intent=payment_intent))["total"])

    async def intent(self, intent_id: str) -> dict:
        return await self._get(f"/v1/payment_intents/{intent_id}")

    async def charge(self, charge_id: str) -> dict:
        return await self._get(f"/v1/charges/{charge_id}")


def intent_id_of(client_secret: str) -> str:
    return client_secret.split("_secret_")[0]


async def hold(client: httpx.AsyncClient, show_id: int | str, seat_ids: list[str]) -> dict:
    response = await client.post(f"/api/v1/shows/{show_id}/holds", json={"seat_ids": seat_ids})
    assert response.status_code == 201, response.text
    return response.json()


async def checkout(client: httpx.AsyncClient, show_id: int | str, hold_id: str,
                   idempotency_key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return await client.post(f"/api/v1/shows/{show_id}/checkout", json={"hold_id": hold_id}, headers=headers)


async def hold_and_checkout(client: httpx.AsyncClient, show_id: int | str, seat_ids: list[str]) -> dict:
    held = await hold(client, show_id, seat_ids)
    response = await checkout(client, show_id, held["hold_id"])
    assert response.status_code == 201, response.text
    return response.json()


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float, interval: float = 0.1) -> Any:
    """Poll until `check` returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(interval)


async def order_status_becomes(client: httpx.AsyncClient, order_id: str, status: str,
                               timeout: float = 15) -> dict:
    async def check() -> dict | None:
        response = await client.get(f"/api/v1/orders/{order_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        return body if body["status"] == status else None

    return await eventually(check, timeout)


async def sold_count(show_id: int) -> int:
    """The show's sold seats as the catalog counts them when Redis does not know the show: its tickets."""
    from backend.catalog.search import sold_counts

    return (await sold_counts([show_id])).get(show_id, 0)


@asynccontextmanager
async def unreachable_gateway() -> AsyncIterator[StripeGateway]:
    """The app's Stripe gateway pointed where nothing listens: Stripe does not answer."""
    gateway = StripeGateway(secret_key=STANDIN_SECRET_KEY, publishable_key=STANDIN_PUBLISHABLE_KEY,
                            webhook_secret=None, api_base=f"http://127.0.0.1:{free_port()}")
    try:
        yield gateway
    finally:
        await gateway.close()
