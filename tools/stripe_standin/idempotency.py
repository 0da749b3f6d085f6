"""``Idempotency-Key``: the same key answers the same response again, as Stripe does for 24 hours."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .errors import StripeError
from .store import Store


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    # A digest, not the parameters: a confirm's parameters may hold a card number.
    canonical = json.dumps([method, path, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def should_remember(status: int) -> bool:
    """Stripe saves a result once the endpoint ran (success or card decline), not validation failures."""
    return status < 400 or status == 402


class IdempotencyRecords:
    def __init__(self, store: Store) -> None:
        self.store = store

    def replay(self, key: str, request_fingerprint: str) -> tuple[int, dict[str, Any]] | None:
        record = self.store.idempotency.get(key)
        if record is None:
            return None
        if record["fingerprint"] != request_fingerprint:
            raise StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key.partition(':')[2]}' if you meant to execute a different "
                "request.",
            )
        return record["status"], record["body"]

    def remember(self, key: str, request_fingerprint: str, status: int, body: dict[str, Any], now: float) -> None:
        self.store.idempotency[key] = {
            "fingerprint": request_fingerprint,
            "status": status,
            "body": body,
            "created": now,
        }
