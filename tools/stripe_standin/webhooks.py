"""Stripe Events: recorded with every state change, signed as Stripe signs them, delivered as Stripe delivers them.

Delivery, like Stripe's:
- in the background: it never delays an API answer;
- concurrently: up to ``webhook_concurrency`` deliveries in flight at once (16 by default);
- in no guaranteed order: Stripe does not promise one, so each free place takes an event at random from the
  oldest ``ORDER_WINDOW`` of those due, and a later event may arrive before an earlier one (the window keeps an
  event from waiting behind ever newer ones while the endpoint is slower than the events come);
- retried after any non-2xx answer, a connection error or a timeout, after 0.5 s, 1 s, 2 s, 4 s ... (capped at a
  minute), until ``webhook_max_attempts`` attempts; one event waiting for its retry holds up no other.

Deliveries live in the store (journaled like every change), so a restarted stand-in resumes the pending ones at
once. The outcome of an attempt reaches the disk with the next flush; a crash that loses it sends the event again
after the restart: at least once, as Stripe promises.

The test switch ``webhooks_enabled`` simulates lost webhooks: an event produced while it is off is recorded with
delivery status ``not_sent`` and stays lost when the switch goes back on (unless it is redelivered explicitly,
like Stripe's "Resend" button). While it is off, no new attempt starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec

from . import objects
from .http_client import DeliveryError, WebhookClient
from .settings import Settings
from .store import Store

log = logging.getLogger("stripe_standin.webhooks")

RETRY_BASE_SECONDS = 0.5
RETRY_CAP_SECONDS = 60.0
DELIVERY_TIMEOUT_SECONDS = 10.0
ATTEMPT_HISTORY = 10
# A free place takes one of the oldest ORDER_WINDOW due events, at random.
ORDER_WINDOW = 32

# Delivery statuses
PENDING = "pending"  # waiting for its first attempt or a retry
DELIVERED = "delivered"  # the endpoint answered 2xx
FAILED = "failed"  # gave up after webhook_max_attempts
NOT_SENT = "not_sent"  # produced while webhooks were switched off: lost on purpose
NO_ENDPOINT = "no_endpoint"  # no webhook URL configured

_encoder = msgspec.json.Encoder()


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """``Stripe-Signature`` exactly as Stripe computes it."""
    signed = str(timestamp).encode() + b"." + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_delay(attempts_made: int) -> float:
    return min(RETRY_BASE_SECONDS * 2 ** (attempts_made - 1), RETRY_CAP_SECONDS)


def snapshot(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON object (several times faster than copy.deepcopy)."""
    result: dict[str, Any] = msgspec.json.decode(_encoder.encode(obj))
    return result


def payload_of(event: dict[str, Any]) -> bytes:
    """The body Stripe POSTs: the event as pretty-printed JSON."""
    return msgspec.json.format(_encoder.encode(event), indent=2)


class Webhooks:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.url = settings.webhook_url
        self.secret = settings.webhook_secret
        self.max_attempts = settings.webhook_max_attempts
        self.concurrency = settings.webhook_concurrency
        self.clock = clock
        self.rng = rng or random.Random()  # shuffles deliveries, protects nothing
        self._wake = asyncio.Event()  # the scheduler: a retry to plan, an outcome to write
        self._work = asyncio.Event()  # the workers: an event is due, or deliveries were switched back on
        # Scheduling (memory only; rebuilt from the pending deliveries at start):
        self._ready: deque[str] = deque()  # due now, oldest first
        self._later: list[tuple[float, str]] = []  # (when, event id): a heap of retries
        self._scheduled: dict[str, float | None] = {}  # event id -> its time in _later, None when in _ready
        self._in_flight: set[str] = set()
        self._again: set[str] = set()  # redelivered while an attempt was in flight: queue once it ends

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
            snapshot(data_object),  # the object as it is now, not a live reference
            created=int(now),
            pending_webhooks=1 if self.url else 0,
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        self.store.events[event["id"]] = event
        self.store.deliveries[event["id"]] = {
            "status": status,
            "attempts": 0,
            "next_attempt_at": now if status == PENDING else None,
            "last_attempt_at": None,
            "delivered_at": None,
            "last_response_status": None,
            "last_error": None,
            "history": [],
        }
        if status == PENDING:
            self._enqueue(event["id"])
        return event

    # test switches

    def set_enabled(self, enabled: bool) -> None:
        self.store.webhooks_enabled = enabled
        self._work.set()

    def redeliver(self, event_id: str) -> dict[str, Any] | None:
        delivery = self.store.deliveries.get(event_id)
        if delivery is None or not self.url:
            return delivery
        delivery.update(status=PENDING, attempts=0, next_attempt_at=self.clock())
        self.store.deliveries.touch(event_id)
        if event_id in self._in_flight:
            self._again.add(event_id)
        else:
            self._enqueue(event_id)
        return delivery

    # scheduling

    def _enqueue(self, event_id: str, at: float | None = None) -> None:
        """Due now (``at`` None), or at ``at``. An event already waiting keeps a single place."""
        if event_id in self._scheduled and self._scheduled[event_id] is None:
            return  # already due
        if at is None:
            self._scheduled[event_id] = None
            self._ready.append(event_id)
            self._work.set()
        else:
            self._scheduled[event_id] = at
            heapq.heappush(self._later, (at, event_id))
            self._wake.set()

    def _promote_due(self, now: float) -> None:
        later = self._later
        while later and later[0][0] <= now:
            at, event_id = heapq.heappop(later)
            if self._scheduled.get(event_id) == at:  # else a stale entry: redelivered since
                self._scheduled[event_id] = None
                self._ready.append(event_id)
                self._work.set()

    def _take(self) -> str:
        """One of the oldest ORDER_WINDOW due events, at random: Stripe guarantees no order."""
        ready = self._ready
        index = self.rng.randrange(min(len(ready), ORDER_WINDOW))
        ready.rotate(-index)
        event_id = ready.popleft()
        ready.rotate(index)
        del self._scheduled[event_id]
        return event_id

    def _next(self) -> str | None:
        """An event to deliver now, if there is one and deliveries are on."""
        if not (self.store.webhooks_enabled and self.url):
            return None
        while self._ready:
            event_id = self._take()
            delivery = self.store.deliveries.get(event_id)
            if delivery is not None and delivery["status"] == PENDING:
                return event_id
        return None

    # delivery (background tasks)

    async def run(self) -> None:
        """``webhook_concurrency`` workers deliver; this task plans the retries and writes their outcomes."""
        # After a restart, resume pending deliveries at once rather than after their backoff: the endpoint was
        # most likely restarted too.
        for event_id, delivery in self.store.deliveries.items():
            if delivery["status"] == PENDING:
                self._enqueue(event_id)
        # (With no URL nothing is ever due, and the client is never used.)
        client = WebhookClient(
            self.url or "http://127.0.0.1/", max_connections=self.concurrency, timeout=DELIVERY_TIMEOUT_SECONDS
        )
        # One long-lived worker per place: at most that many deliveries in flight, by construction. A worker takes
        # the next event as soon as it is free, without a pass of a dispatcher: when the API keeps the event loop
        # busy, every pass of the loop takes long, and a delivery should need as few of them as it can.
        workers = [
            asyncio.create_task(self._worker(client), name=f"webhook-worker-{number}")
            for number in range(self.concurrency)
        ]
        try:
            while True:
                self._wake.clear()
                try:
                    now = self.clock()
                    self._promote_due(now)
                    delay = max(0.0, self._later[0][0] - now) if self._later else None
                    # The outcomes of the attempts that ended since the last pass, in one write.
                    self.store.flush(now)
                except Exception:
                    # A bug here must not silently end all deliveries: say so, and try again later.
                    log.exception("webhook scheduling failed unexpectedly; trying again in 1 s")
                    delay = 1.0
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            # Interrupted attempts count for nothing: those deliveries stay pending and resume after a restart.
            for worker in workers:
                worker.cancel()
            for worker in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await client.close()

    async def _worker(self, client: WebhookClient) -> None:
        while True:
            event_id = self._next()
            if event_id is None:
                self._work.clear()
                await self._work.wait()
                continue
            self._in_flight.add(event_id)
            try:
                await self._attempt(client, event_id)
            except Exception:
                # A bug here must not end this worker: the delivery stays pending and is tried again.
                log.exception("delivering %s failed unexpectedly; trying again in 1 s", event_id)
                self._enqueue(event_id, self.clock() + 1.0)
            finally:
                self._in_flight.discard(event_id)
                if event_id in self._again:
                    self._again.discard(event_id)
                    self._enqueue(event_id)
                self._wake.set()

    async def _attempt(self, client: WebhookClient, event_id: str) -> None:
        event = self.store.events[event_id]
        payload = payload_of(event)
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
            status_code = await client.post(payload, headers)
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # a bug here: still only a failed attempt, retried
            log.exception("delivering %s failed unexpectedly", event_id)
            error = f"{type(exc).__name__}: {exc}"

        now = self.clock()
        delivery = self.store.deliveries[event_id]
        self.store.deliveries.touch(event_id)
        delivery["attempts"] += 1
        delivery["last_attempt_at"] = now
        delivery["last_response_status"] = status_code
        delivery["last_error"] = error
        delivery["history"] = [*delivery["history"], {"at": now, "status": status_code, "error": error}][
            -ATTEMPT_HISTORY:
        ]
        if error is None:
            delivery.update(status=DELIVERED, delivered_at=now, next_attempt_at=None)
            log.info("delivered %s %s", event["type"], event_id)
        elif delivery["attempts"] >= self.max_attempts:
            delivery.update(status=FAILED, next_attempt_at=None)
            log.warning("gave up on %s %s after %d attempts: %s", event["type"], event_id, delivery["attempts"], error)
        else:
            delay = retry_delay(delivery["attempts"])
            delivery["next_attempt_at"] = now + delay
            self._enqueue(event_id, now + delay)
            log.info("delivery of %s %s failed (%s); retry in %.1fs", event["type"], event_id, error, delay)


def summary(event: dict[str, Any], delivery: dict[str, Any], *, with_event: bool = True) -> dict[str, Any]:
    """One event as the test controls list it."""
    data_object = event["data"]["object"]
    result = {
        "id": event["id"],
        "type": event["type"],
        "created": event["created"],
        "object_id": data_object.get("id"),
        "payment_intent": data_object["id"]
        if data_object.get("object") == "payment_intent"
        else data_object.get("payment_intent"),
        "delivery": delivery,
    }
    if with_event:
        result["event"] = event
    return result
