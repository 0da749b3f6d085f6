"""Stripe Events: recorded with every state change, signed as Stripe signs them, delivered in the
background with retries.

Deliveries never block an API answer. A failed attempt (connection error or non-2xx answer) is
retried after 0.5 s, 1 s, 2 s, 4 s ... (capped at a minute) until ``webhook_max_attempts`` is
reached. Pending deliveries live in the state file, so a restarted stand-in resumes them.

The test switch ``webhooks_enabled`` simulates lost webhooks: an event produced while it is off is
recorded with delivery status ``not_sent`` and stays lost when the switch goes back on (unless it
is redelivered explicitly, like Stripe's "Resend" button).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from . import objects
from .settings import Settings
from .store import Store

log = logging.getLogger("stripe_standin.webhooks")

RETRY_BASE_SECONDS = 0.5
RETRY_CAP_SECONDS = 60.0
DELIVERY_TIMEOUT_SECONDS = 10.0
ATTEMPT_HISTORY = 10

# Delivery statuses
PENDING = "pending"  # waiting for its first attempt or a retry
DELIVERED = "delivered"  # the endpoint answered 2xx
FAILED = "failed"  # gave up after webhook_max_attempts
NOT_SENT = "not_sent"  # produced while webhooks were switched off: lost on purpose
NO_ENDPOINT = "no_endpoint"  # no webhook URL configured


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    """``Stripe-Signature`` exactly as Stripe computes it."""
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_delay(attempts_made: int) -> float:
    return min(RETRY_BASE_SECONDS * 2 ** (attempts_made - 1), RETRY_CAP_SECONDS)


class Webhooks:
    def __init__(self, store: Store, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.url = settings.webhook_url
        self.secret = settings.webhook_secret
        self.max_attempts = settings.webhook_max_attempts
        self.clock = clock
        self._wake = asyncio.Event()

    # recording (synchronous: called from the API while it changes objects)

    def record(
        self,
        event_type: str,
        data_object: dict[str, Any],
        *,
        request_id: str | None,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        now = self.clock()
        if not self.url:
            status = NO_ENDPOINT
        elif not self.store.webhooks_enabled:
            status = NOT_SENT
        else:
            status = PENDING
        event = objects.event(
            event_type,
            json.loads(json.dumps(data_object)),  # a snapshot, not a live reference
            created=int(now),
            pending_webhooks=1 if self.url else 0,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        self.store.events[event["id"]] = {
            "event": event,
            "delivery": {
                "status": status,
                "attempts": 0,
                "next_attempt_at": now if status == PENDING else None,
                "last_attempt_at": None,
                "delivered_at": None,
                "last_response_status": None,
                "last_error": None,
                "history": [],
            },
        }
        self._wake.set()
        return event

    # test switches

    def set_enabled(self, enabled: bool) -> None:
        self.store.webhooks_enabled = enabled
        self._wake.set()

    def redeliver(self, event_id: str) -> dict[str, Any] | None:
        entry = self.store.events.get(event_id)
        if entry is None or not self.url:
            return entry
        entry["delivery"].update(status=PENDING, attempts=0, next_attempt_at=self.clock())
        self._wake.set()
        return entry

    # delivery (the background task)

    async def run(self) -> None:
        """Deliver due events oldest first, then sleep until the next one is due or a new one arrives."""
        # After a restart, resume pending deliveries at once rather than after their backoff: the
        # endpoint was most likely restarted too.
        now = self.clock()
        for entry in self._pending():
            entry["delivery"]["next_attempt_at"] = min(entry["delivery"]["next_attempt_at"], now)
        async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT_SECONDS, follow_redirects=False) as client:
            while True:
                self._wake.clear()
                try:
                    delay = await self._deliver_due(client)
                except Exception:
                    # A bug here must not silently end all deliveries: say so, and try again later.
                    log.exception("webhook delivery failed unexpectedly; trying again in %ss", RETRY_CAP_SECONDS)
                    delay = RETRY_CAP_SECONDS
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass

    async def _deliver_due(self, client: httpx.AsyncClient) -> float | None:
        while self.store.webhooks_enabled and self.url:
            now = self.clock()
            due = sorted(
                (entry for entry in self._pending() if entry["delivery"]["next_attempt_at"] <= now),
                key=lambda entry: entry["delivery"]["next_attempt_at"],
            )
            if not due:
                upcoming = [entry["delivery"]["next_attempt_at"] for entry in self._pending()]
                return max(0.0, min(upcoming) - now) if upcoming else None
            try:
                for entry in due:
                    if not self.store.webhooks_enabled:
                        break
                    await self._attempt(client, entry)
            finally:
                # Once per batch, not per attempt: a delivery whose outcome a crash loses is simply
                # sent again after the restart (at least once, as Stripe promises).
                self.store.save(self.clock())
        return None

    def _pending(self) -> list[dict[str, Any]]:
        return [entry for entry in self.store.events.values() if entry["delivery"]["status"] == PENDING]

    async def _attempt(self, client: httpx.AsyncClient, entry: dict[str, Any]) -> None:
        payload = json.dumps(entry["event"], indent=2)  # Stripe sends pretty-printed JSON
        started = self.clock()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Cache-Control": "no-cache",
            "Stripe-Signature": signature_header(payload, self.secret, int(started)),
        }
        status_code: int | None = None
        error: str | None = None
        try:
            response = await client.post(self.url, content=payload.encode(), headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

        now = self.clock()
        delivery = entry["delivery"]
        delivery["attempts"] += 1
        delivery["last_attempt_at"] = now
        delivery["last_response_status"] = status_code
        delivery["last_error"] = error
        delivery["history"] = [*delivery["history"], {"at": now, "status": status_code, "error": error}][
            -ATTEMPT_HISTORY:
        ]
        event = entry["event"]
        if error is None:
            delivery.update(status=DELIVERED, delivered_at=now, next_attempt_at=None)
            log.info("delivered %s %s", event["type"], event["id"])
        elif delivery["attempts"] >= self.max_attempts:
            delivery.update(status=FAILED, next_attempt_at=None)
            log.warning(
                "gave up on %s %s after %d attempts: %s",
                event["type"],
                event["id"],
                delivery["attempts"],
                error,
            )
        else:
            delay = retry_delay(delivery["attempts"])
            delivery["next_attempt_at"] = now + delay
            log.info("delivery of %s %s failed (%s); retry in %.1fs", event["type"], event["id"], error, delay)


def summary(entry: dict[str, Any], *, with_event: bool = True) -> dict[str, Any]:
    """One event as the test controls list it."""
    event = entry["event"]
    data_object = event["data"]["object"]
    result = {
        "id": event["id"],
        "type": event["type"],
        "created": event["created"],
        "object_id": data_object.get("id"),
        "payment_intent": data_object["id"]
        if data_object.get("object") == "payment_intent"
        else data_object.get("payment_intent"),
        "delivery": entry["delivery"],
    }
    if with_event:
        result["event"] = event
    return result
